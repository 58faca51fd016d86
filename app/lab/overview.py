"""What the dashboard shows: the lab read in a few queries, whatever its size.

Plain data (dataclasses, read-only rows) for ``mockarray.lab.dashboard`` to
render, and the running long tasks the control plane answers at
``GET /mockarray/api/tasks``. Nothing here changes the lab. Volumes are read
a page at a time (``inventory.list_volumes``); what hangs off a page
(snapshots, clones, LUNs, mappings) is read for the whole page in one query
each, so a page costs the same on a 10-volume lab as on a 100,000-volume one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from mockarray.array import capacity, clock, inventory
from mockarray.array.models import (
    Array,
    CgReplicationTarget,
    ConsistencyGroup,
    Host,
    HostGroup,
    HostInitiator,
    LongTask,
    Lun,
    LunMapping,
    Origin,
    Pool,
    RemoteArray,
    Server,
    Snapshot,
    TaskKind,
    Volume,
)
from mockarray.array.tasks import fraction_done
from mockarray.lab import journal
from mockarray.lab.journal import JournalQuery
from mockarray.queries import Page

#: Volumes on one page of the dashboard.
VOLUMES_PER_PAGE = 50


@dataclass(frozen=True)
class Space:
    """How a capacity divides up; the parts add up to ``capacity``."""

    capacity: int
    system: int
    volumes: int
    snapshots: int

    @property
    def free(self) -> int:
        return self.capacity - self.system - self.volumes - self.snapshots

    def percent(self, part: int) -> float:
        return round(100 * part / self.capacity, 2) if self.capacity > 0 else 0.0


@dataclass(frozen=True)
class PoolView:
    id: int
    name: str
    space: Space
    volume_count: int


@dataclass(frozen=True)
class ServerView:
    key: str
    name: str
    volume_count: int
    #: What ``GET /server/{sid}/system`` says: system, volumes, snapshots of the pools.
    space: Space
    pools: list[PoolView]


@dataclass(frozen=True)
class ArrayView:
    name: str
    hostname: str
    ip_address: str
    port: int
    vendor: str
    model: str
    version: str
    serial_number: str
    servers: list[ServerView]


def arrays(session: Session) -> list[ArrayView]:
    """Every array with its servers and pools, and the space each takes: the server
    figures are ``system_report``'s (what ``/system`` answers), the pools' one query."""
    pool_rows = session.execute(
        select(
            Pool.id,
            Pool.server_id,
            Pool.name,
            Pool.capacity_bytes,
            capacity.pool_volume_bytes().label("volumes"),
            capacity.pool_snapshot_bytes().label("snapshots"),
            select(func.count(Volume.id))
            .where(Volume.pool_id == Pool.id)
            .correlate(Pool)
            .scalar_subquery()
            .label("volume_count"),
        ).order_by(Pool.created_ms, Pool.id)
    ).all()
    pools: dict[int, list[PoolView]] = defaultdict(list)
    for row in pool_rows:
        space = Space(row.capacity_bytes, 0, int(row.volumes), int(row.snapshots))
        pools[row.server_id].append(PoolView(row.id, row.name, space, row.volume_count))
    servers: dict[int, list[ServerView]] = defaultdict(list)
    for server in session.scalars(select(Server).order_by(Server.id)):
        report = capacity.system_report(session, server)
        space = Space(
            report.capacity_bytes,
            report.system_size_bytes,
            report.volumes_size_bytes,
            report.snapshots_size_bytes,
        )
        servers[server.array_id].append(
            ServerView(server.key, server.name, server.volume_count, space, pools[server.id])
        )
    return [
        ArrayView(
            array.name,
            array.hostname,
            array.ip_address,
            array.port,
            array.vendor,
            array.model,
            array.version,
            array.serial_number,
            servers[array.id],
        )
        for array in session.scalars(select(Array).order_by(Array.name))
    ]


def find_server(session: Session, array_name: str | None, key: str | None) -> Server | None:
    """The server ``key`` of ``array_name``; the first server of the first array
    (by name) when either is missing or unknown."""
    named = (
        select(Server)
        .join(Array, Server.array_id == Array.id)
        .where(Array.name == array_name, Server.key == key)
    )
    found = session.scalar(named) if array_name and key else None
    if found is None:
        first = select(Server).join(Array, Server.array_id == Array.id)
        found = session.scalar(first.order_by(Array.name, Server.id).limit(1))
    return found


# -- a server's objects ------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotNode:
    id: int
    name: str
    created_ms: int
    used_bytes: int
    ready: bool
    #: Volumes cloned from this snapshot: (id, name, ``unsplit``, ``splitting`` or ``split``).
    clones: list[tuple[int, str, str]]


def split_states(session: Session, clone_ids: list[int], now: int) -> dict[int, str]:
    """``splitting`` or ``split`` of each clone that a split was started for (a clone
    stops depending on its snapshot only at the next write: ``tasks.settle``)."""
    latest = (
        select(LongTask.volume_id, func.max(LongTask.completes_ms))
        .where(LongTask.kind == TaskKind.SPLIT, LongTask.volume_id.in_(clone_ids))
        .group_by(LongTask.volume_id)
    )
    return {
        volume_id: "split" if completes <= now else "splitting"
        for volume_id, completes in session.execute(latest)
    }


@dataclass(frozen=True)
class VolumeNode:
    id: int
    name: str
    pool: str
    size_bytes: int
    used_bytes: int
    thin: bool
    created_ms: int
    replication_target: bool
    #: A clone's origin: (snapshot name, source volume id, source volume name).
    clone_of: tuple[str, int, str] | None
    luns: list[str]
    snapshots: list[SnapshotNode]


@dataclass(frozen=True)
class VolumePage:
    volumes: list[VolumeNode]
    total: int
    page: int
    pages: int


def volume_page(session: Session, server: Server, page: int) -> VolumePage:
    """Page ``page`` (from 1) of the server's volumes, each with its snapshots, the
    clones made of them, where the volume itself was cloned from, and its LUNs."""
    pages = max(1, -(-server.volume_count // VOLUMES_PER_PAGE))
    page = min(max(page, 1), pages)
    rows, total = inventory.list_volumes(
        session, server, Page(start=(page - 1) * VOLUMES_PER_PAGE, limit=VOLUMES_PER_PAGE)
    )
    ids = [row.id for row in rows]
    now = clock.now(session)
    pool_names = dict(
        session.execute(select(Pool.id, Pool.name).where(Pool.server_id == server.id)).all()
    )

    snapshots: dict[int, list[Snapshot]] = defaultdict(list)
    snapshot_ids = []
    for snapshot in session.scalars(
        select(Snapshot)
        .where(Snapshot.volume_id.in_(ids))
        .order_by(Snapshot.created_ms, Snapshot.id)
    ):
        snapshots[snapshot.volume_id].append(snapshot)
        snapshot_ids.append(snapshot.id)

    origin = func.coalesce(Volume.parent_snapshot_id, Volume.origin_snapshot_id)
    found = session.execute(
        select(Volume.id, Volume.name, Volume.parent_snapshot_id, origin)
        .where(
            or_(
                Volume.parent_snapshot_id.in_(snapshot_ids),
                and_(
                    Volume.origin_snapshot_id.in_(snapshot_ids), Volume.origin_kind == Origin.CLONE
                ),
            )
        )
        .order_by(Volume.id)
    ).all()
    states = split_states(session, [row[0] for row in found if row[2] is not None], now)
    clones: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for clone_id, name, parent, origin_id in found:
        clones[origin_id].append(
            (clone_id, name, states.get(clone_id, "unsplit") if parent else "split")
        )

    source = aliased(Volume)
    clone_of = {
        volume_id: (snapshot_name, source_id, source_name)
        for volume_id, snapshot_name, source_id, source_name in session.execute(
            select(Volume.id, Snapshot.name, source.id, source.name)
            .join(
                Snapshot,
                Snapshot.id == func.coalesce(Volume.parent_snapshot_id, Volume.origin_snapshot_id),
            )
            .join(source, source.id == Snapshot.volume_id)
            .where(Volume.id.in_(ids), Volume.origin_kind == Origin.CLONE)
        )
    }

    luns: dict[int, list[str]] = defaultdict(list)
    for volume_id, lun_name in session.execute(
        select(Lun.volume_id, Lun.name).where(Lun.volume_id.in_(ids)).order_by(Lun.id)
    ):
        luns[volume_id].append(lun_name)

    volumes = [
        VolumeNode(
            id=row.id,
            name=row.name,
            pool=pool_names.get(row.pool_id, "?"),
            size_bytes=row.size_bytes,
            used_bytes=row.used_bytes,
            thin=row.thin,
            created_ms=row.created_ms,
            replication_target=row.replication_target,
            clone_of=clone_of.get(row.id),
            luns=luns[row.id],
            snapshots=[
                SnapshotNode(
                    s.id,
                    s.name,
                    s.created_ms,
                    s.used_bytes,
                    s.ready_ms is None or s.ready_ms <= now,
                    clones[s.id],
                )
                for s in snapshots[row.id]
            ],
        )
        for row in rows
    ]
    return VolumePage(volumes, total, page, pages)


@dataclass(frozen=True)
class HostView:
    id: int
    name: str
    group: str | None
    initiators: list[str]
    #: (LUN number, LUN name, volume name, through the host group): the first few.
    mappings: list[tuple[int, str, str, bool]] = field(default_factory=list)
    #: How many LUNs the host has mapped.
    mapping_count: int = 0


@dataclass(frozen=True)
class HostGroupView:
    id: int
    name: str
    hosts: list[str]


#: Hosts listed at most, and mappings listed per host (the rest are counted).
HOSTS_SHOWN = 100
MAPPINGS_SHOWN = 8


def hosts(session: Session, server: Server) -> tuple[list[HostView], list[HostGroupView], int]:
    """The server's first ``HOSTS_SHOWN`` hosts with their initiators and first
    ``MAPPINGS_SHOWN`` mapped LUNs (and how many they have), its host groups, and
    how many hosts it has."""
    groups = dict(
        session.execute(
            select(HostGroup.id, HostGroup.name).where(HostGroup.server_id == server.id)
        ).all()
    )
    total = session.scalar(select(func.count(Host.id)).where(Host.server_id == server.id)) or 0
    shown = session.scalars(
        select(Host)
        .where(Host.server_id == server.id)
        .order_by(Host.created_ms, Host.id)
        .limit(HOSTS_SHOWN)
    ).all()
    ids = [host.id for host in shown]
    initiators: dict[int, list[str]] = defaultdict(list)
    for host_id, address in session.execute(
        select(HostInitiator.host_id, HostInitiator.address)
        .where(HostInitiator.host_id.in_(ids))
        .order_by(HostInitiator.id)
    ):
        initiators[host_id].append(address)
    rank = (
        func.row_number()
        .over(partition_by=LunMapping.host_id, order_by=(LunMapping.lun_number, LunMapping.id))
        .label("rank")
    )
    counted = func.count().over(partition_by=LunMapping.host_id).label("counted")
    ranked = (
        select(
            LunMapping.host_id,
            LunMapping.lun_number,
            Lun.name.label("lun"),
            Volume.name.label("volume"),
            LunMapping.host_group_id,
            rank,
            counted,
        )
        .join(Lun, Lun.id == LunMapping.lun_id)
        .join(Volume, Volume.id == Lun.volume_id)
        .where(LunMapping.host_id.in_(ids))
        .subquery()
    )
    mappings: dict[int, list[tuple[int, str, str, bool]]] = defaultdict(list)
    mapping_counts: dict[int, int] = {}
    for row in session.execute(
        select(ranked)
        .where(ranked.c.rank <= MAPPINGS_SHOWN)
        .order_by(ranked.c.host_id, ranked.c.rank)
    ):
        mappings[row.host_id].append(
            (row.lun_number, row.lun, row.volume, row.host_group_id is not None)
        )
        mapping_counts[row.host_id] = row.counted
    host_views = [
        HostView(
            host.id,
            host.name,
            groups.get(host.host_group_id),
            initiators[host.id],
            mappings[host.id],
            mapping_counts.get(host.id, 0),
        )
        for host in shown
    ]
    members: dict[int, list[str]] = defaultdict(list)
    for group_id, name in session.execute(
        select(Host.host_group_id, Host.name)
        .where(Host.host_group_id.in_(list(groups)))
        .order_by(Host.created_ms, Host.id)
    ):
        members[group_id].append(name)
    group_views = [
        HostGroupView(group_id, name, members[group_id]) for group_id, name in groups.items()
    ]
    return host_views, group_views, total


@dataclass(frozen=True)
class GroupView:
    id: int
    name: str
    volumes: list[str]
    targets: list[str]
    replication_target: bool


def consistency_groups(session: Session, server: Server) -> list[GroupView]:
    """The server's consistency groups, their volumes and the partners they replicate to."""
    volumes: dict[int, list[str]] = defaultdict(list)
    for group_id, name in session.execute(
        select(Volume.consistency_group_id, Volume.name)
        .where(Volume.server_id == server.id, Volume.consistency_group_id.is_not(None))
        .order_by(Volume.id)
    ):
        volumes[group_id].append(name)
    targets: dict[int, list[str]] = defaultdict(list)
    for group_id, name in session.execute(
        select(CgReplicationTarget.consistency_group_id, RemoteArray.name)
        .join(RemoteArray, RemoteArray.id == CgReplicationTarget.remote_array_id)
        .where(RemoteArray.server_id == server.id)
        .order_by(RemoteArray.name)
    ):
        targets[group_id].append(name)
    return [
        GroupView(
            group.id, group.name, volumes[group.id], targets[group.id], group.replication_target
        )
        for group in session.scalars(
            select(ConsistencyGroup)
            .where(ConsistencyGroup.server_id == server.id)
            .order_by(ConsistencyGroup.created_ms, ConsistencyGroup.id)
        )
    ]


@dataclass(frozen=True)
class ReplicaView:
    array: str
    server: str
    volume: str
    snapshots: int
    source_array: str | None
    source_volume: str | None


#: Replicas listed at most (a lab that replicates every volume still paints at once).
REPLICAS_SHOWN = 100


def replicas(session: Session) -> tuple[list[ReplicaView], int]:
    """Volumes that receive another array's snapshots, with their source and how many
    snapshots have arrived, and how many such volumes there are."""
    source = aliased(Volume)
    source_server = aliased(Server)
    source_array = aliased(Array)
    # The snapshots that have arrived (one being sent is not there yet).
    snapshot_count = (
        select(func.count(Snapshot.id))
        .where(Snapshot.volume_id == Volume.id, inventory.snapshot_ready(session))
        .correlate(Volume)
        .scalar_subquery()
    )
    statement = (
        select(Array.name, Server.key, Volume.name, snapshot_count, source_array.name, source.name)
        .join(Server, Server.id == Volume.server_id)
        .join(Array, Array.id == Server.array_id)
        .outerjoin(source, source.id == Volume.replica_of_volume_id)
        .outerjoin(source_server, source_server.id == source.server_id)
        .outerjoin(source_array, source_array.id == source_server.array_id)
        .where(Volume.replication_target.is_(True))
    )
    total = session.scalar(select(func.count(Volume.id)).where(Volume.replication_target.is_(True)))
    rows = session.execute(statement.order_by(Array.name, Volume.id).limit(REPLICAS_SHOWN))
    return [ReplicaView(*row) for row in rows], int(total or 0)


# -- long tasks --------------------------------------------------------------------


@dataclass(frozen=True)
class TaskView:
    id: int
    kind: str
    array: str
    #: The clone being split, or the volume whose snapshot is sent.
    volume: str | None
    snapshot: str | None
    partner: str | None
    started_ms: int
    completes_ms: int
    total_bytes: int
    percent_complete: int


def running_tasks(session: Session, now: int | None = None) -> list[TaskView]:
    """Splits and replications not complete at ``now`` (the lab clock's), oldest first."""
    now = clock.now(session) if now is None else now
    snapshot_volume = aliased(Volume)
    rows = session.execute(
        select(
            LongTask,
            Array.name,
            Volume.name,
            Snapshot.name,
            snapshot_volume.name,
            RemoteArray.name,
        )
        .join(Array, Array.id == LongTask.array_id)
        .outerjoin(Volume, Volume.id == LongTask.volume_id)
        .outerjoin(Snapshot, Snapshot.id == LongTask.snapshot_id)
        .outerjoin(snapshot_volume, snapshot_volume.id == Snapshot.volume_id)
        .outerjoin(RemoteArray, RemoteArray.id == LongTask.remote_array_id)
        .where(LongTask.completes_ms > now)
        .order_by(LongTask.started_ms, LongTask.id)
    )
    return [
        TaskView(
            id=task.id,
            kind=task.kind,
            array=array,
            volume=volume if task.kind == TaskKind.SPLIT else snapshot_volume_name,
            snapshot=snapshot,
            partner=partner,
            started_ms=task.started_ms,
            completes_ms=task.completes_ms,
            total_bytes=task.total_bytes,
            # Floor, as splitstatus does: 100 only once complete.
            percent_complete=int(fraction_done(task, now) * 100),
        )
        for task, array, volume, snapshot, snapshot_volume_name, partner in rows
    ]


def latest_calls(session: Session, query: JournalQuery, count: int) -> tuple[list, int]:
    """The last ``count`` journal entries that match, newest first, and how many match."""
    total = journal.count(session, query)
    entries, _ = journal.entries(session, query, Page(start=max(total - count, 0), limit=count))
    return list(reversed(entries)), total
