"""Volume snapshots: take, delete, and the replication progress of one."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from mockarray.array import capabilities, capacity, clock, inventory, replication, tasks
from mockarray.array.models import CgSnapshot, Pool, Server, Snapshot, Volume, new_fingerprint
from mockarray.array.registry import Registry
from mockarray.errors import Conflict, Invalid
from mockarray.prepared import Prepared
from mockarray.units import format_time


def create_snapshot(
    session: Session,
    server: Server,
    volume_id: str,
    *,
    name: str,
    pool_id: str | None = None,
    replicate: bool = False,
    is_auto_delete: bool = False,
    replication_rate: int = 1,
) -> Snapshot:
    """Take a snapshot of the volume; a true retry returns it again (see ``take_snapshot``).

    With ``replicate`` the snapshot is sent to the volume's replication partners
    (its consistency group's targets, else the server's remote arrays).
    """
    volume = inventory.read_volume(session, server, volume_id)
    pool = inventory.find_pool(session, server, pool_id, field="poolId") if pool_id else None
    return take_snapshot(
        session,
        server,
        volume,
        name=name,
        pool=pool,
        replicate=replicate,
        is_auto_delete=is_auto_delete,
        replication_rate=replication_rate,
    )


_SNAPSHOTS = Snapshot.__table__
_SNAPSHOT_NAMED = Prepared(
    select(_SNAPSHOTS).where(
        _SNAPSHOTS.c.volume_id == bindparam("volume_id"), _SNAPSHOTS.c.name == bindparam("name")
    )
)
#: A new snapshot's row, every column as stored (defaults included).
_INSERT_SNAPSHOT = Prepared(_SNAPSHOTS.insert().returning(*_SNAPSHOTS.c))


def take_snapshot(
    session: Session,
    server: Server,
    volume: Volume,
    *,
    name: str,
    pool: Pool | None = None,
    replicate: bool = False,
    is_auto_delete: bool = False,
    replication_rate: int = 1,
    ground_clone_required: bool = False,
    own_bytes: int = 0,
    room: capacity.Room | None = None,
    registry: Registry | None = None,
) -> Snapshot:
    """Take a snapshot of ``volume`` now (see ``create_snapshot``). ``own_bytes`` is for
    the lab: blocks since overwritten in the volume that the snapshot holds on its own
    (taken from its pool, and the snapshot's content is no longer the volume's). With a
    ``registry`` (seeding), the snapshot is an object that gets its id at the registry's
    next flush; otherwise it is its row, inserted: the columns as read-only attributes.

    A name the volume already has is a retry only when it is one: the same
    parameters, and the volume's content unchanged since that snapshot was taken
    (taking it now would make the same snapshot). Otherwise ``Conflict``, naming
    the snapshot and when it was taken."""
    wanted = {
        "pool_id": pool.id if pool else None,
        "replicate": replicate,
        "is_auto_delete": is_auto_delete,
    }
    if registry is not None:
        existing = registry.snapshots(volume).get(name)
    else:
        params = {"volume_id": volume.id, "name": name}
        existing = _SNAPSHOT_NAMED.first(session.connection(), params)
    if existing is not None:
        if not all(getattr(existing, key) == value for key, value in wanted.items()):
            why = "with other parameters (poolId, replicate, isAutoDelete)"
        elif existing.content_fingerprint != volume.content_fingerprint:
            why = "and the volume's data changed since, so it is not the snapshot this call takes"
        else:
            return existing
        raise Conflict(
            f"Volume '{volume.name}' already has a snapshot named '{name}' (id {existing.id}), "
            f"taken {format_time(existing.created_ms)} {why}; choose another name.",
            fields={"name": ["Taken."]},
        )
    replication.ensure_writable(session, volume, f"taking snapshot '{name}' of it")
    if replicate:
        capabilities.require(server, "replication", "volumeReplication", "newSnapshotReplication")
    if own_bytes:  # a new snapshot shares every block with its volume: no room needed
        capacity.ensure_room(
            session,
            pool or session.get(Pool, volume.pool_id),
            own_bytes,
            f"snapshot '{name}' of volume '{volume.name}'",
            room,
        )
    columns = Snapshot.columns_of(
        volume,
        name=name,
        created_ms=clock.now(session),
        ground_clone_required=ground_clone_required,
        **wanted,
    )
    if own_bytes:
        columns.update(used_bytes=own_bytes, content_fingerprint=new_fingerprint())
    if registry is not None:
        snapshot = Snapshot(volume=volume, **columns)
        registry.made_snapshot(volume, snapshot)
        if replicate:
            session.flush()
    else:
        # One plain insert: the unit of work would cost several times as much.
        snapshot = _INSERT_SNAPSHOT.one(session.connection(), {"volume_id": volume.id, **columns})
    if replicate:
        partners = replication.partners_of_volume(session, server, volume)
        if not partners:
            raise Invalid(
                f"Volume '{volume.name}' has no replication partner: server '{server.key}' "
                "has no remote arrays."
            )
        replication.replicate(session, server, snapshot, partners, rate=replication_rate)
    return snapshot


def delete_snapshot(session: Session, server: Server, volume_id: str, snapshot_id: str) -> None:
    """Delete a snapshot, unless a clone still depends on it or its group forbids it."""
    snapshot = inventory.get_snapshot(session, server, volume_id, snapshot_id)
    tasks.settle(session, server.array_id, clock.now(session))
    dependent_clones(session, [snapshot.id], action=f"Snapshot '{snapshot.name}' cannot be deleted")
    partners = replication.sending(session, [snapshot.id])
    if partners:
        raise Conflict(
            f"Snapshot '{snapshot.name}' is still being replicated to {', '.join(partners)}; "
            "delete it once get-Progress says isCompleted."
        )
    if snapshot.cg_snapshot_id is not None and not server.delete_from_snapshot_group:
        group_snapshot = session.get(CgSnapshot, snapshot.cg_snapshot_id)
        raise Conflict(
            f"Snapshot '{snapshot.name}' belongs to consistency-group snapshot "
            f"'{group_snapshot.name}' (id {group_snapshot.id}), and server '{server.key}' does "
            "not support deleting from a snapshot group (supports.deleteFromSnapshotGroup)."
        )
    session.execute(delete(Snapshot).where(Snapshot.id == snapshot.id))
    drop_empty_group_snapshots(session, [snapshot.cg_snapshot_id])
    session.expire_all()


def dependent_clones(session: Session, snapshot_ids: list[int], *, action: str) -> None:
    """``Conflict`` naming the unsplit clones that depend on any of these snapshots."""
    clones = session.execute(
        select(Volume.id, Volume.name)
        .where(Volume.parent_snapshot_id.in_(snapshot_ids))
        .order_by(Volume.id)
    ).all()
    if clones:
        named = ", ".join(f"'{name}' (id {vid})" for vid, name in clones)
        raise Conflict(
            f"{action}: clone volume {named} still depends on it. "
            "Split the clone (action=split) or delete it first."
        )


def drop_empty_group_snapshots(session: Session, group_snapshot_ids: list[int | None]) -> None:
    """A consistency-group snapshot goes with the last of its volume snapshots."""
    ids = [gid for gid in group_snapshot_ids if gid is not None]
    if not ids:
        return
    members = (
        select(func.count())
        .select_from(Snapshot)
        .where(Snapshot.cg_snapshot_id == CgSnapshot.id)
        .scalar_subquery()
    )
    session.execute(delete(CgSnapshot).where(CgSnapshot.id.in_(ids), members == 0))
