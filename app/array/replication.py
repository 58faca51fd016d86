"""Replication of snapshots to partner arrays.

A replication is a long task: it sends the snapshot's data at a set rate.
When the partner is another array simulated here, the partner gets a replica
volume (made on the first replication of the volume, flagged as a
replication target) and on it a replica snapshot that appears when the
transfer completes (``Snapshot.ready_ms``). A group snapshot lands in a
replica consistency group, as a group snapshot of its own. A partner that is
only a name completes the task without a replica.

The replica volume is a read-only destination while it receives a source
volume's snapshots (``ensure_writable``), and neither end of a running
transfer can be deleted (``outgoing``, ``incoming``). A transfer is
incremental only from a base both sides still hold (``_base``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from mockarray.array import capacity, clock, inventory, luns, tasks
from mockarray.array.models import (
    Array,
    CgReplicationTarget,
    CgSnapshot,
    ConsistencyGroup,
    LongTask,
    Pool,
    RemoteArray,
    Server,
    Snapshot,
    TaskKind,
    Volume,
)
from mockarray.errors import Conflict, NoSpace, NotFound
from mockarray.units import format_size


def replicate(
    session: Session,
    server: Server,
    snapshot: Snapshot,
    partners: list[RemoteArray],
    *,
    rate: tasks.Rate,
    group_snapshot: CgSnapshot | None = None,
) -> list[LongTask]:
    """Start sending ``snapshot`` to each partner (as part of ``group_snapshot``,
    which lands on a simulated partner as a group snapshot of a replica group)."""
    now = clock.now(session)
    volume = session.get(Volume, snapshot.volume_id)
    started = []
    for partner in partners:
        task = tasks.start(
            session,
            array_id=server.array_id,
            kind=TaskKind.REPLICATION,
            snapshot_id=snapshot.id,
            remote_array_id=partner.id,
            total_bytes=_bytes_to_send(session, volume, snapshot, partner),
            rate=rate,
            now=now,
        )
        if partner.partner_array_id is not None:
            replica = _replica_snapshot(
                session, server, volume, snapshot, partner, task, group_snapshot
            )
            task.destination_snapshot_id = replica.id
        started.append(task)
    session.flush()
    return started


def _bytes_to_send(session: Session, volume: Volume, snapshot: Snapshot, partner) -> int:
    """The whole volume, unless both sides still hold a snapshot sent before
    (``_base``); then what changed since: the space the snapshots taken since
    hold on their own (blocks since overwritten) plus what the volume grew."""
    base = _base(session, volume, snapshot, partner)
    if base is None:
        return snapshot.volume_used_bytes
    since = session.scalar(
        select(capacity.total(Snapshot.used_bytes)).where(
            Snapshot.volume_id == volume.id,
            Snapshot.id != snapshot.id,
            or_(
                Snapshot.created_ms > base.created_ms,
                and_(Snapshot.created_ms == base.created_ms, Snapshot.id >= base.id),
            ),
        )
    )
    grown = max(snapshot.volume_used_bytes - base.volume_used_bytes, 0)
    return min(int(since) + grown, snapshot.volume_used_bytes)


def _base(session: Session, volume: Volume, snapshot: Snapshot, partner) -> Snapshot | None:
    """The newest snapshot of ``volume`` sent to ``partner`` before that both sides
    still hold: here (its task goes with it), and, on a partner simulated here,
    its replica on the replica volume (deleting either drops the link)."""
    statement = (
        select(Snapshot)
        .join(LongTask, LongTask.snapshot_id == Snapshot.id)
        .where(
            LongTask.kind == TaskKind.REPLICATION,
            LongTask.remote_array_id == partner.id,
            Snapshot.volume_id == volume.id,
            Snapshot.id != snapshot.id,
        )
        .order_by(Snapshot.created_ms.desc(), Snapshot.id.desc())
        .limit(1)
    )
    if partner.partner_array_id is not None:
        statement = statement.where(LongTask.destination_snapshot_id.is_not(None))
    return session.scalar(statement)


def _replica_snapshot(
    session, server, volume, snapshot, partner, task, group_snapshot=None
) -> Snapshot:
    replica_volume = _replica_volume(session, server, volume, snapshot, partner)
    replica_group_snapshot = None
    if group_snapshot is not None:
        replica_group_snapshot = _replica_group_snapshot(
            session, server, group_snapshot, partner, replica_volume
        )
    existing = session.scalar(
        select(Snapshot).where(
            Snapshot.volume_id == replica_volume.id, Snapshot.name == snapshot.name
        )
    )
    if existing is not None:
        raise Conflict(
            f"The replica volume '{replica_volume.name}' on '{partner.name}' already has a "
            f"snapshot named '{snapshot.name}'."
        )
    replica = Snapshot(
        volume_id=replica_volume.id,
        name=snapshot.name,
        created_ms=snapshot.created_ms,
        volume_used_bytes=snapshot.volume_used_bytes,
        used_bytes=0,
        content_fingerprint=snapshot.content_fingerprint,
        ready_ms=task.completes_ms,
        cg_snapshot_id=replica_group_snapshot.id if replica_group_snapshot else None,
    )
    session.add(replica)
    session.flush()
    return replica


def _replica_volume(session, server, volume: Volume, snapshot: Snapshot, partner) -> Volume:
    """The partner's volume that receives ``volume``'s snapshots; made the first time.

    It takes the snapshot's data as the transfer starts (its space is
    reserved then), so a partner without room refuses the replication.
    """
    replica = session.scalar(
        select(Volume)
        .join(Server, Volume.server_id == Server.id)
        .where(
            Volume.replica_of_volume_id == volume.id, Server.array_id == partner.partner_array_id
        )
    )
    growth = snapshot.volume_used_bytes - (replica.used_bytes if replica else 0)
    if replica is not None:
        capacity.ensure_room(
            session, session.get(Pool, replica.pool_id), growth, f"replica '{replica.name}'"
        )
        replica.used_bytes = snapshot.volume_used_bytes
        replica.content_fingerprint = snapshot.content_fingerprint
        return replica
    target_server = session.scalar(
        select(Server).where(Server.array_id == partner.partner_array_id).order_by(Server.id)
    )
    source_array = session.get(Array, server.array_id)
    name = f"{source_array.name}-{volume.name}"
    pools = list(session.scalars(select(Pool).where(Pool.server_id == target_server.id)))
    pool = next((p for p in pools if capacity.free_bytes(session, p.id) >= growth), None)
    if pool is None:
        raise NoSpace(
            f"Partner '{partner.name}' has no pool with {format_size(growth)} free for the "
            f"replica of volume '{volume.name}'."
        )
    if session.scalar(
        select(Volume.id).where(Volume.server_id == target_server.id, Volume.name == name)
    ):
        raise Conflict(f"Partner '{partner.name}' already has a volume named '{name}'.")
    replica = Volume(
        server_id=target_server.id,
        pool_id=pool.id,
        name=name,
        created_ms=clock.now(session),
        size_bytes=volume.size_bytes,
        used_bytes=snapshot.volume_used_bytes,
        thin=True,
        volume_type=volume.volume_type,
        supports_revert=volume.supports_revert,
        split_support=volume.split_support,
        auto_grow_vadp_rep=volume.auto_grow_vadp_rep,
        replication_target=True,
        replica_of_volume_id=volume.id,
        content_fingerprint=snapshot.content_fingerprint,
    )
    session.add(replica)
    # A block replica has its LUN too, online (hosts may read a destination).
    luns.attach(session, target_server, replica, online=True)
    session.flush()
    return replica


def _replica_group_snapshot(
    session, server, group_snapshot: CgSnapshot, partner, replica_volume: Volume
) -> CgSnapshot:
    """The group snapshot on the partner that ``group_snapshot``'s replicas land in,
    in the replica group ``<source array>-<group>`` (made on the first replicated
    group snapshot, flagged as a replication target), which ``replica_volume`` joins."""
    group = session.get(ConsistencyGroup, group_snapshot.consistency_group_id)
    source_array = session.get(Array, server.array_id)
    name = f"{source_array.name}-{group.name}"
    replica_group = session.scalar(
        select(ConsistencyGroup).where(
            ConsistencyGroup.server_id == replica_volume.server_id,
            ConsistencyGroup.name == name,
        )
    )
    if replica_group is None:
        replica_group = ConsistencyGroup(
            server_id=replica_volume.server_id,
            name=name,
            created_ms=clock.now(session),
            incremental=group.incremental,
            replication_target=True,
        )
        session.add(replica_group)
        session.flush()
    elif not replica_group.replication_target:
        raise Conflict(
            f"Partner '{partner.name}' already has a consistency group named '{name}' that is "
            f"not the replica of group '{group.name}'; rename or delete it there."
        )
    replica_volume.consistency_group_id = replica_group.id
    replica = session.scalar(
        select(CgSnapshot).where(
            CgSnapshot.consistency_group_id == replica_group.id,
            CgSnapshot.name == group_snapshot.name,
        )
    )
    if replica is None:
        replica = CgSnapshot(
            consistency_group_id=replica_group.id,
            name=group_snapshot.name,
            created_ms=group_snapshot.created_ms,
            is_auto_delete=group_snapshot.is_auto_delete,
            is_incremental=group_snapshot.is_incremental,
        )
        session.add(replica)
        session.flush()
    return replica


def partners_of_volume(session: Session, server: Server, volume: Volume) -> list[RemoteArray]:
    """Where a volume's snapshot replicates: its group's targets, else the server's partners."""
    statement = select(RemoteArray).order_by(RemoteArray.id)
    if volume.consistency_group_id is not None:
        targets = list(
            session.scalars(
                statement.join(
                    CgReplicationTarget, CgReplicationTarget.remote_array_id == RemoteArray.id
                ).where(CgReplicationTarget.consistency_group_id == volume.consistency_group_id)
            )
        )
        if targets:
            return targets
    return list(session.scalars(statement.where(RemoteArray.server_id == server.id)))


# -- progress -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReplicationStatus:
    start_time: int
    complete_time: int | None
    percent_complete: int
    in_progress: bool
    transfer_rate: int
    transferred: int
    total_size_to_be_synchronized: int
    estimated_sync_time: int
    is_completed: bool


@dataclass(frozen=True)
class ReplicationProgress:
    name: str
    created_ms: int
    status: ReplicationStatus


def progress(
    session: Session,
    server: Server,
    volume_id: str,
    snapshot_id: str,
    *,
    destination_snapshot_id: str | None = None,
    destination_server_id: str | None = None,
) -> ReplicationProgress:
    """``?action=get-Progress``: how far the snapshot's replication has got."""
    snapshot = inventory.get_snapshot(session, server, volume_id, snapshot_id)
    rows = session.execute(
        select(LongTask, RemoteArray, Snapshot, Server)
        .join(RemoteArray, LongTask.remote_array_id == RemoteArray.id)
        .outerjoin(Snapshot, LongTask.destination_snapshot_id == Snapshot.id)
        .outerjoin(Volume, Snapshot.volume_id == Volume.id)
        .outerjoin(Server, Volume.server_id == Server.id)
        .where(LongTask.kind == TaskKind.REPLICATION, LongTask.snapshot_id == snapshot.id)
        .order_by(LongTask.id)
    ).all()
    if not rows:
        raise NotFound(
            f"Snapshot '{snapshot.name}' was never replicated; take it with replicate: true "
            "to send it to the replication partners."
        )
    chosen = rows
    if destination_snapshot_id is not None:
        # The guide calls it the replica's name; its id is accepted too.
        chosen = [
            r
            for r in rows
            if r[2] is not None and destination_snapshot_id in {str(r[2].id), r[2].name}
        ]
    elif destination_server_id is not None:
        chosen = [
            r
            for r in rows
            if destination_server_id in {r[1].name, str(r[1].id)}
            or (r[3] is not None and r[3].key == destination_server_id)
        ]
    if not chosen:
        raise NotFound(
            f"Snapshot '{snapshot.name}' has no replication to that destination; it replicates "
            f"to {', '.join(r[1].name for r in rows)}."
        )
    task = chosen[0][0]
    now = clock.now(session)
    done = tasks.fraction_done(task, now)
    completed = done >= 1.0
    return ReplicationProgress(
        name=snapshot.name,
        created_ms=snapshot.created_ms,
        status=ReplicationStatus(
            start_time=task.started_ms,
            complete_time=task.completes_ms if completed else None,
            percent_complete=int(done * 100),
            in_progress=not completed,
            transfer_rate=task.rate_bytes_per_s,
            transferred=task.total_bytes if completed else int(task.total_bytes * done),
            total_size_to_be_synchronized=task.total_bytes,
            estimated_sync_time=max(task.completes_ms - now, 0),
            is_completed=completed,
        ),
    )


def sending(session: Session, snapshot_ids: list[int]) -> list[str]:
    """Names of the partners the snapshots are still being sent to."""
    return sorted({partner for _, partner in outgoing(session, snapshot_ids)})


def outgoing(session: Session, snapshot_ids: list[int]) -> list[tuple[str, str]]:
    """``(snapshot name, partner name)`` of the transfers of these snapshots still running."""
    rows = session.execute(
        select(Snapshot.name, RemoteArray.name)
        .join(LongTask, LongTask.snapshot_id == Snapshot.id)
        .join(RemoteArray, LongTask.remote_array_id == RemoteArray.id)
        .where(
            LongTask.kind == TaskKind.REPLICATION,
            LongTask.snapshot_id.in_(snapshot_ids),
            LongTask.completes_ms > clock.now(session),
        )
        .order_by(LongTask.id)
    )
    return [tuple(row) for row in rows]


def incoming(session: Session, volume: Volume) -> list[tuple[str, str, str]]:
    """``(snapshot name, source array, source volume)`` of the transfers still
    running into ``volume`` (a replica volume)."""
    source = aliased(Snapshot)
    source_volume = aliased(Volume)
    rows = session.execute(
        select(source.name, Array.name, source_volume.name)
        .select_from(LongTask)
        .join(Snapshot, LongTask.destination_snapshot_id == Snapshot.id)
        .join(source, LongTask.snapshot_id == source.id)
        .join(source_volume, source.volume_id == source_volume.id)
        .join(Array, LongTask.array_id == Array.id)
        .where(
            LongTask.kind == TaskKind.REPLICATION,
            Snapshot.volume_id == volume.id,
            LongTask.completes_ms > clock.now(session),
        )
        .order_by(LongTask.id)
    )
    return [tuple(row) for row in rows]


def ensure_writable(session: Session, volume: Volume, what: str) -> None:
    """``Conflict`` when ``volume`` is a replica volume still receiving a source
    volume's snapshots: a read-only destination (``what`` is refused)."""
    if volume.replica_of_volume_id is None:
        return
    row = session.execute(
        select(Volume.name, Array.name)
        .join(Server, Volume.server_id == Server.id)
        .join(Array, Server.array_id == Array.id)
        .where(Volume.id == volume.replica_of_volume_id)
    ).first()
    if row is None:
        return
    source_volume, source_array = row
    raise Conflict(
        f"Volume '{volume.name}' is the read-only replica of volume '{source_volume}' on "
        f"array '{source_array}', so {what} is refused; clone one of its snapshots to get "
        "a writable volume."
    )
