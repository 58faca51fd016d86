"""Consistency groups: membership, group snapshots, condense and replication targets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mockarray.array import clock, inventory, replication, tasks
from mockarray.array.capabilities import require
from mockarray.array.models import (
    CgReplicationTarget,
    CgSnapshot,
    ConsistencyGroup,
    LongTask,
    RemoteArray,
    Server,
    Snapshot,
    TaskKind,
    Volume,
)
from mockarray.errors import Conflict, Invalid, NotFound
from mockarray.units import format_time

DAY_MS = 86_400_000


def _group(session: Session, server: Server, group_id: str) -> ConsistencyGroup:
    return inventory.get_consistency_group(session, server, group_id)


def add_volume(
    session: Session,
    server: Server,
    group_id: str,
    *,
    volume_id: str,
    pool_id: str | None = None,
    is_incremental: bool | None = None,
) -> ConsistencyGroup:
    """Add a volume of the same server that is in no other group (idempotent)."""
    require(server, "persistentConsistencyGroup")
    group = _group(session, server, group_id)
    volume = _volume_of_server(session, server, volume_id)
    if pool_id is not None:
        inventory.find_pool(session, server, pool_id, field="poolId")
    join(session, group, volume)
    if is_incremental is not None:
        group.incremental = is_incremental
    session.flush()
    session.refresh(group)
    return group


def create_group(
    session: Session,
    server: Server,
    *,
    name: str,
    incremental: bool = False,
    replication_target: bool = False,
) -> ConsistencyGroup:
    """A new, empty consistency group (the lab's; the guide's API has no call for it)."""
    inventory.ensure_name_free(session, ConsistencyGroup, server, name, "consistency group")
    group = ConsistencyGroup(
        server_id=server.id,
        name=name,
        created_ms=clock.now(session),
        incremental=incremental,
        replication_target=replication_target,
    )
    session.add(group)
    session.flush()
    return group


def join(session: Session, group: ConsistencyGroup, volume: Volume) -> None:
    """``volume`` (of the group's server) becomes a member; a volume is in one group."""
    if volume.consistency_group_id not in (None, group.id):
        other = session.get(ConsistencyGroup, volume.consistency_group_id)
        raise Conflict(
            f"Volume '{volume.name}' is already in consistency group '{other.name}'; "
            "remove it there first."
        )
    volume.consistency_group_id = group.id


def _volume_of_server(session: Session, server: Server, volume_id: str) -> Volume:
    try:
        return inventory.get_volume(session, server, volume_id)
    except NotFound:
        elsewhere = session.execute(
            select(Volume.name, Server.key)
            .join(Server, Volume.server_id == Server.id)
            .where(
                Server.array_id == server.array_id,
                Volume.id == inventory.parse_id(volume_id, "Volume"),
            )
        ).first()
        if elsewhere is None:
            raise
        raise Conflict(
            f"Volume '{elsewhere.name}' is on server '{elsewhere.key}'; a consistency group "
            f"holds volumes of its own server ('{server.key}') only."
        ) from None


def remove_volumes(
    session: Session, server: Server, group_id: str, volume_ids: list[str]
) -> ConsistencyGroup:
    """Take volumes out of the group: unknown ids ``NotFound``, non-members ``Conflict``."""
    require(server, "persistentConsistencyGroup")
    group = _group(session, server, group_id)
    volumes = [inventory.get_volume(session, server, vid) for vid in volume_ids]
    outsiders = [v.name for v in volumes if v.consistency_group_id != group.id]
    if outsiders:
        raise Conflict(f"Not members of consistency group '{group.name}': {', '.join(outsiders)}.")
    for volume in volumes:
        volume.consistency_group_id = None
    session.flush()
    session.refresh(group)
    return group


def snapshot_name(prefix: str, now: int) -> str:
    """``prefix`` and the UTC time to the millisecond: ``daily.20261127T051707123Z``."""
    moment = datetime.fromtimestamp(now / 1000, UTC)
    stamp = moment.strftime("%Y%m%dT%H%M%S") + f"{now % 1000:03d}Z"
    prefix = prefix or "cgsnap"
    return f"{prefix}{stamp}" if prefix[-1] in ".-_" else f"{prefix}.{stamp}"


def take_snapshot(
    session: Session,
    server: Server,
    group_id: str,
    *,
    prefix: str,
    replicate: bool,
    is_auto_delete: bool,
    is_incremental: bool,
    rate: tasks.Rate,
) -> CgSnapshot:
    """One snapshot per member volume, all at once, under one group snapshot."""
    group = _group(session, server, group_id)
    if not group.volumes:
        raise Conflict(f"Consistency group '{group.name}' has no volumes to snapshot.")
    if replicate:
        require(server, "replication", "consistencyGroupReplication", "newSnapshotReplication")
        if not group.targets:
            raise Invalid(
                f"Consistency group '{group.name}' has no replication target; add one with "
                "action=add-replication-target."
            )
    return snapshot_group(
        session,
        server,
        group,
        name=snapshot_name(prefix, clock.now(session)),
        replicate=replicate,
        is_auto_delete=is_auto_delete,
        is_incremental=is_incremental,
        rate=rate,
    )


def snapshot_group(
    session: Session,
    server: Server,
    group: ConsistencyGroup,
    *,
    name: str,
    replicate: bool = False,
    is_auto_delete: bool = False,
    is_incremental: bool = False,
    rate: tasks.Rate = tasks.QUICK,
) -> CgSnapshot:
    """The group snapshot ``name``: one snapshot per member volume, taken now.

    A name the group already has (a retry within the same millisecond, the name
    being the prefix and the time) answers that group snapshot only for a true
    retry: the same parameters, the same members, and every member's content
    unchanged since. Otherwise ``Conflict``, naming it and when it was taken."""
    members = list(session.scalars(select(Volume).where(Volume.consistency_group_id == group.id)))
    if not members:
        raise Conflict(f"Consistency group '{group.name}' has no volumes to snapshot.")
    for volume in members:
        replication.ensure_writable(
            session, volume, f"a snapshot of consistency group '{group.name}'"
        )
    existing = session.scalar(
        select(CgSnapshot).where(
            CgSnapshot.consistency_group_id == group.id, CgSnapshot.name == name
        )
    )
    if existing is not None:
        why = _group_snapshot_differs(
            existing,
            members,
            replicate=replicate,
            is_auto_delete=is_auto_delete,
            is_incremental=is_incremental,
        )
        if why is None:
            return existing
        raise Conflict(
            f"Consistency group '{group.name}' already has a snapshot named '{name}' "
            f"(id {existing.id}), taken {format_time(existing.created_ms)}, and {why}; "
            "take it under another prefix or later.",
            fields={"name": ["Taken."]},
        )
    now = clock.now(session)
    group_snapshot = CgSnapshot(
        consistency_group_id=group.id,
        name=name,
        created_ms=now,
        replicate=replicate,
        is_auto_delete=is_auto_delete,
        is_incremental=is_incremental,
    )
    session.add(group_snapshot)
    session.flush()
    for volume in members:
        if session.scalar(
            select(Snapshot.id).where(Snapshot.volume_id == volume.id, Snapshot.name == name)
        ):
            raise Conflict(
                f"Volume '{volume.name}' already has a snapshot named '{name}'.",
                fields={"name": ["Taken."]},
            )
        snapshot = Snapshot.of(
            volume,
            name=name,
            created_ms=now,
            replicate=replicate,
            is_auto_delete=is_auto_delete,
            cg_snapshot_id=group_snapshot.id,
        )
        session.add(snapshot)
        session.flush()
        if replicate:
            replication.replicate(
                session,
                server,
                snapshot,
                list(group.targets),
                rate=rate,
                group_snapshot=group_snapshot,
            )
    return group_snapshot


def _group_snapshot_differs(
    existing: CgSnapshot, members: list[Volume], **parameters: bool
) -> str | None:
    """Why ``existing`` is not what taking the group snapshot now would make (None: a retry)."""
    if any(getattr(existing, key) != value for key, value in parameters.items()):
        return "it was taken with other parameters (replicate, isAutoDelete, isIncremental)"
    taken = {snapshot.volume_id: snapshot for snapshot in existing.snapshots}
    if set(taken) != {volume.id for volume in members}:
        return "the group's volumes changed since"
    changed = [v.name for v in members if taken[v.id].content_fingerprint != v.content_fingerprint]
    if changed:
        return f"the data of volume {', '.join(changed)} changed since"
    return None


@dataclass(frozen=True)
class CondenseDecision:
    name: str
    deleted: bool
    reason: str


def condense(
    session: Session,
    server: Server,
    group_id: str,
    *,
    age_in_days: int,
    number_of_instances: int,
    snapshot_prefixes: list[str],
) -> list[CondenseDecision]:
    """Prune the group's snapshots (see docs/replication.md, "Condense").

    Among the group snapshots whose names start with one of the prefixes, the
    newest ``number_of_instances`` are kept; of the others, those older than
    ``age_in_days`` are deleted with their volume snapshots, except one that an
    unsplit clone depends on or that is still replicating (kept, and said so).
    """
    group = _group(session, server, group_id)
    now = clock.now(session)
    tasks.settle(session, server.array_id, now)
    candidates = [
        s
        for s in session.scalars(
            select(CgSnapshot)
            # A replica group snapshot still arriving is not there yet.
            .where(
                CgSnapshot.consistency_group_id == group.id, inventory.cg_snapshot_ready(session)
            )
            .order_by(CgSnapshot.created_ms.desc(), CgSnapshot.id.desc())
        )
        if any(s.name.startswith(prefix) for prefix in snapshot_prefixes)
    ]
    decisions = []
    for index, group_snapshot in enumerate(candidates):
        if index < number_of_instances:
            decisions.append(CondenseDecision(group_snapshot.name, False, "among the newest"))
            continue
        if now - group_snapshot.created_ms <= age_in_days * DAY_MS:
            decisions.append(CondenseDecision(group_snapshot.name, False, "not old enough"))
            continue
        clones = session.scalars(
            select(Volume.name)
            .join(Snapshot, Volume.parent_snapshot_id == Snapshot.id)
            .where(Snapshot.cg_snapshot_id == group_snapshot.id)
            .order_by(Volume.name)
        ).all()
        if clones:
            decisions.append(
                CondenseDecision(
                    group_snapshot.name,
                    False,
                    f"kept: clone {', '.join(clones)} depends on it",
                )
            )
            continue
        sending = session.scalar(
            select(LongTask.id)
            .join(Snapshot, LongTask.snapshot_id == Snapshot.id)
            .where(
                Snapshot.cg_snapshot_id == group_snapshot.id,
                LongTask.kind == TaskKind.REPLICATION,
                LongTask.completes_ms > now,
            )
            .limit(1)
        )
        if sending is not None:
            decisions.append(
                CondenseDecision(group_snapshot.name, False, "kept: still replicating")
            )
            continue
        session.execute(delete(Snapshot).where(Snapshot.cg_snapshot_id == group_snapshot.id))
        session.execute(delete(CgSnapshot).where(CgSnapshot.id == group_snapshot.id))
        decisions.append(CondenseDecision(group_snapshot.name, True, "deleted"))
    session.flush()
    session.expire_all()
    return decisions


def add_replication_target(
    session: Session, server: Server, group_id: str, *, target_name: str
) -> RemoteArray:
    """Make one of the server's remote arrays a target of the group (idempotent)."""
    require(server, "replication", "consistencyGroupReplication")
    return add_target(session, server, _group(session, server, group_id), target_name)


def add_target(
    session: Session, server: Server, group: ConsistencyGroup, target_name: str
) -> RemoteArray:
    """One of the server's remote arrays becomes a target of the group (idempotent)."""
    partner = session.scalar(
        select(RemoteArray).where(
            RemoteArray.server_id == server.id, RemoteArray.name == target_name
        )
    )
    if partner is None:
        known = session.scalars(
            select(RemoteArray.name).where(RemoteArray.server_id == server.id)
        ).all()
        raise NotFound(
            f"Server '{server.key}' has no remote array named '{target_name}' "
            f"(its remote arrays: {', '.join(known) or 'none'})."
        )
    if partner not in group.targets:
        session.add(CgReplicationTarget(consistency_group_id=group.id, remote_array_id=partner.id))
        session.flush()
    return partner
