"""Replication of snapshots to partner arrays.

A replication is a long task: it sends the snapshot's data at a set rate.
When the partner is another array simulated here, the partner gets a replica
volume (made on the first replication of the volume, flagged as a
replication target) and on it a replica snapshot that appears when the
transfer completes (``Snapshot.ready_ms``). A partner that is only a name
completes the task without a replica.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mockarray.array import capacity, clock, inventory, luns, tasks
from mockarray.array.models import (
    Array,
    CgReplicationTarget,
    LongTask,
    Pool,
    RemoteArray,
    Server,
    Snapshot,
    TaskKind,
    Volume,
)
from mockarray.errors import Conflict, NoSpace, NotFound


def replicate(
    session: Session,
    server: Server,
    snapshot: Snapshot,
    partners: list[RemoteArray],
    *,
    rate: int,
) -> list[LongTask]:
    """Start sending ``snapshot`` to each partner."""
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
            rate_bytes_per_s=rate,
            now=now,
        )
        if partner.partner_array_id is not None:
            replica = _replica_snapshot(session, server, volume, snapshot, partner, task)
            task.destination_snapshot_id = replica.id
        started.append(task)
    session.flush()
    return started


def _bytes_to_send(session: Session, volume: Volume, snapshot: Snapshot, partner) -> int:
    """The whole volume the first time; after that, what changed since the last one."""
    previous = session.scalar(
        select(Snapshot)
        .join(LongTask, LongTask.snapshot_id == Snapshot.id)
        .where(
            LongTask.kind == TaskKind.REPLICATION,
            LongTask.remote_array_id == partner.id,
            Snapshot.volume_id == volume.id,
            Snapshot.id != snapshot.id,
        )
        .order_by(LongTask.started_ms.desc(), LongTask.id.desc())
        .limit(1)
    )
    if previous is None:
        return snapshot.volume_used_bytes
    grown = max(snapshot.volume_used_bytes - previous.volume_used_bytes, 0)
    return previous.used_bytes + grown


def _replica_snapshot(session, server, volume, snapshot, partner, task) -> Snapshot:
    replica_volume = _replica_volume(session, server, volume, snapshot, partner)
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
            f"Partner '{partner.name}' has no pool with {growth} bytes free for the replica of "
            f"volume '{volume.name}'."
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
    return list(
        session.scalars(
            select(RemoteArray.name)
            .join(LongTask, LongTask.remote_array_id == RemoteArray.id)
            .where(
                LongTask.kind == TaskKind.REPLICATION,
                LongTask.snapshot_id.in_(snapshot_ids),
                LongTask.completes_ms > clock.now(session),
            )
            .distinct()
        )
    )
