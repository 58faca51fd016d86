"""Volumes: clone, split, restore (in place, to another volume, to a new one),
mount and delete, with the rules of a real array. A new block volume comes
with its LUN (``luns.attach``)."""

from __future__ import annotations

from sqlalchemy import delete, inspect, select
from sqlalchemy.orm import Session

from mockarray.array import capacity, clock, inventory, luns, tasks
from mockarray.array.models import (
    Host,
    Lun,
    LunMapping,
    Origin,
    Pool,
    Server,
    Snapshot,
    SplitSupport,
    TaskKind,
    Volume,
    new_fingerprint,
)
from mockarray.array.registry import Registry
from mockarray.array.snapshots import dependent_clones, drop_empty_group_snapshots
from mockarray.errors import Conflict, Invalid, NoSpace, NotFound


def _own_snapshot(session: Session, server: Server, volume: Volume, snapshot_id: str) -> Snapshot:
    """A snapshot of ``volume``; another volume's is ``Invalid``, an unknown one ``NotFound``."""
    sid = inventory.parse_id(snapshot_id, "Snapshot")
    snapshot = session.scalar(
        select(Snapshot)
        .join(Volume, Snapshot.volume_id == Volume.id)
        .where(Snapshot.id == sid, Volume.server_id == server.id, inventory.snapshot_ready(session))
    )
    if snapshot is None:
        raise NotFound.object("Snapshot", snapshot_id, f"server '{server.key}'")
    if snapshot.volume_id != volume.id:
        raise Invalid(
            f"Snapshot '{snapshot.name}' (id {snapshot.id}) is not a snapshot of volume "
            f"'{volume.name}'; restore a volume from its own snapshots, or use "
            "restore-to-alternate / restore-to-new from the snapshot's volume."
        )
    return snapshot


def _name_taken(session: Session, server: Server, name: str) -> Volume | None:
    return session.scalar(select(Volume).where(Volume.server_id == server.id, Volume.name == name))


def _ensure_name_free(
    session: Session, server: Server, name: str, registry: Registry | None
) -> None:
    """``Conflict`` when a volume of the server is named ``name``."""
    if registry is not None:
        taken = name in registry.volume_names(server)
    else:
        taken = _name_taken(session, server, name) is not None
    if taken:
        raise Conflict(
            f"A volume named '{name}' already exists on server '{server.key}'.",
            fields={"name": ["Taken."]},
        )


def _copy_of(source: Volume, **values) -> Volume:
    """A new volume with the source's characteristics, but for ``values``."""
    inherited = {
        "server_id": source.server_id,
        "pool_id": source.pool_id,
        "size_bytes": source.size_bytes,
        "thin": source.thin,
        "volume_type": source.volume_type,
        "server_group_key": source.server_group_key,
        "supports_revert": source.supports_revert,
        "split_support": source.split_support,
        "auto_grow_vadp_rep": source.auto_grow_vadp_rep,
    }
    return Volume(**{**inherited, **values})


# -- create ---------------------------------------------------------------------------


def create_volume(
    session: Session,
    server: Server,
    pool: Pool,
    *,
    name: str,
    size: int,
    used: int = 0,
    thin: bool = True,
    room: capacity.Room | None = None,
    registry: Registry | None = None,
    **characteristics,
) -> Volume:
    """A new volume holding ``used`` bytes of data (the lab builds volumes with data;
    the guide's API has no call for it). Its name is free on the server, its data
    fits its size and the pool has room for it (its size if thick). With a
    ``registry`` (seeding), the volume gets its id at the registry's next flush."""
    _ensure_name_free(session, server, name, registry)
    if used > size:
        raise Invalid(
            f"Volume '{name}' cannot hold {used} bytes: its size is {size} bytes.",
            fields={"used": [f"At most the size ({size} bytes)."]},
        )
    capacity.ensure_room(session, pool, size if not thin else used, f"volume '{name}'", room)
    volume = Volume(
        server_id=server.id,
        pool_id=pool.id,
        name=name,
        created_ms=clock.now(session),
        size_bytes=size,
        used_bytes=used,
        # Set now, not at the flush: its snapshots copy them, maybe before it.
        shared_bytes=0,
        content_fingerprint=new_fingerprint(),
        thin=thin,
        **characteristics,
    )
    if registry is not None:
        registry.made_volume(server, volume)
        luns.attach(session, server, volume, online=True, registry=registry)
    else:
        session.add(volume)
        luns.attach(session, server, volume, online=True)
        session.flush()
    return volume


# -- clone and split ----------------------------------------------------------------


def clone(
    session: Session,
    server: Server,
    volume_id: str,
    *,
    name: str,
    snapshot_id: str | None,
    snapshot_name: str | None,
    server_group_keys: list[str],
    instant_split: bool,
) -> Volume:
    """A thin clone of one of the volume's snapshots; retried with the same
    name and snapshot, it returns the clone made the first time."""
    source = inventory.get_volume(session, server, volume_id)
    snapshot = _clone_source(session, server, source, snapshot_id, snapshot_name)
    group_key = server_group_keys[0] if server_group_keys else source.server_group_key
    existing = _name_taken(session, server, name)
    if existing is not None:
        if _same_clone(session, existing, snapshot, group_key, instant_split):
            return existing
        raise Conflict(
            f"A volume named '{name}' already exists on server '{server.key}'"
            + (
                " (a clone of that snapshot made with other parameters)."
                if existing.origin_snapshot_id == snapshot.id
                else "."
            )
        )
    return clone_snapshot(
        session,
        server,
        source,
        snapshot,
        name=name,
        server_group_key=group_key,
        instant_split=instant_split,
    )


def clone_snapshot(
    session: Session,
    server: Server,
    source: Volume,
    snapshot: Snapshot,
    *,
    name: str,
    server_group_key: str | None,
    instant_split: bool,
    size: int | None = None,
    thin: bool = True,
    room: capacity.Room | None = None,
    registry: Registry | None = None,
    **characteristics,
) -> Volume:
    """A new clone of ``snapshot`` (of ``source``): thin and dependent on the snapshot
    until split, unless the source's clones need no split. ``size`` (at least the
    source's), ``thin`` (only for a clone split at once) and ``characteristics``
    (other ``Volume`` columns) are for the lab, which builds clones as they are now."""
    _ensure_name_free(session, server, name, registry)
    size = source.size_bytes if size is None else size
    if size < source.size_bytes:
        raise Invalid(
            f"Clone '{name}' cannot be smaller than its source '{source.name}' "
            f"({source.size_bytes} bytes).",
            fields={"size": [f"At least {source.size_bytes} bytes."]},
        )
    if not thin and not instant_split:
        raise Invalid(
            f"Clone '{name}' is thin until it is split: a thick clone must be split.",
            fields={"thin": ["An unsplit clone is thin."]},
        )
    if inspect(snapshot).pending:
        # Taken in a registry's batch (seeding): in the database before a clone refers to it.
        session.flush()
    now = clock.now(session)
    # A volume whose clones need no split (NOT_NEEDED) is copied in full at once.
    independent = source.split_support == SplitSupport.NOT_NEEDED
    volume = _copy_of(
        source,
        **{
            "name": name,
            "created_ms": now,
            "size_bytes": size,
            "thin": thin,
            "used_bytes": snapshot.volume_used_bytes,
            "shared_bytes": 0 if independent else snapshot.volume_used_bytes,
            "server_group_key": server_group_key,
            "parent_snapshot_id": None if independent else snapshot.id,
            "origin_snapshot_id": snapshot.id,
            "origin_kind": Origin.CLONE,
            "content_fingerprint": snapshot.content_fingerprint,
            **characteristics,
        },
    )
    pool = session.get(Pool, volume.pool_id)
    needed = volume.size_bytes if not thin else volume.used_bytes if independent else 0
    capacity.ensure_room(session, pool, needed, f"clone '{name}'", room)
    if registry is not None:
        registry.made_volume(server, volume)
    else:
        session.add(volume)
    # Its LUN starts offline, as an ONTAP FlexClone LUN does.
    luns.attach(session, server, volume, online=False, registry=registry)
    session.flush()
    if instant_split and not independent:
        _start_split(session, server, volume, now=now, rate=None, room=room)
    return volume


def _same_clone(session, existing: Volume, snapshot: Snapshot, group_key, instant: bool) -> bool:
    """Whether ``existing`` is what a clone call with these parameters made (a retry)."""
    if existing.origin_kind != Origin.CLONE or existing.origin_snapshot_id != snapshot.id:
        return False
    if existing.server_group_key != group_key:
        return False
    if existing.split_support == SplitSupport.NOT_NEEDED:
        return True
    split = inventory.latest_split(session, existing)
    split_at_once = split is not None and split.completes_ms == existing.created_ms
    return split_at_once == instant


def _clone_source(session, server, source: Volume, snapshot_id, snapshot_name) -> Snapshot:
    statement = select(Snapshot).where(
        Snapshot.volume_id == source.id, inventory.snapshot_ready(session)
    )
    if snapshot_id is not None:
        statement = statement.where(Snapshot.id == inventory.parse_id(snapshot_id, "Snapshot"))
    if snapshot_name is not None:
        statement = statement.where(Snapshot.name == snapshot_name)
    snapshot = session.scalar(statement)
    if snapshot is None:
        named = " and ".join(
            f"{label} '{value}'"
            for label, value in (("id", snapshot_id), ("name", snapshot_name))
            if value is not None
        )
        raise NotFound(f"Volume '{source.name}' has no snapshot with {named}.")
    return snapshot


def split(session: Session, server: Server, volume_id: str, *, rate: int) -> tasks.SplitStatus:
    """Start splitting a clone from its snapshot; a repeat reports the same split."""
    volume = inventory.get_volume(session, server, volume_id)
    now = clock.now(session)
    task = inventory.latest_split(session, volume)
    if task is not None:
        return tasks.SplitStatus.of(task, now)
    if volume.split_support == SplitSupport.NOT_NEEDED:
        return tasks.SplitStatus.of(None, now)
    if volume.split_support == SplitSupport.NONE:
        raise Invalid(f"Volume '{volume.name}' cannot be split: its supports.split is NONE.")
    if volume.parent_snapshot_id is None:
        raise Conflict(
            f"Volume '{volume.name}' is not a clone of a snapshot; there is nothing to split."
        )
    task = _start_split(session, server, volume, now=now, rate=rate)
    return tasks.SplitStatus.of(task, now)


def _start_split(session, server, volume: Volume, *, now: int, rate: int | None, room=None):
    """The clone takes its own copy of the shared data now (so the space is
    reserved at once), and stops depending on its snapshot when the task ends."""
    shared = volume.shared_bytes
    capacity.ensure_room(
        session,
        session.get(Pool, volume.pool_id),
        # A thick clone has its whole size already.
        shared if volume.thin else 0,
        f"splitting clone '{volume.name}'",
        room,
    )
    volume.shared_bytes = 0
    task = tasks.start(
        session,
        array_id=server.array_id,
        kind=TaskKind.SPLIT,
        volume_id=volume.id,
        total_bytes=shared,
        # An instant split (rate None) is complete as it starts.
        rate_bytes_per_s=rate or 1,
        instant=rate is None,
        now=now,
    )
    session.flush()
    return task


# -- restores -------------------------------------------------------------------------


def _rewrite(
    session: Session,
    volume: Volume,
    *,
    overwritten: int,
    used: int,
    what: str,
    snapshot_keeps: bool = True,
    room: capacity.Room | None = None,
) -> None:
    """The volume's data changes: ``overwritten`` bytes of it are replaced and it
    then holds ``used`` bytes. As on a real array, its newest snapshot keeps the
    replaced blocks on its own (unless ``snapshot_keeps`` is false), and an
    unsplit clone owns what it no longer shares. The space this takes is checked
    first, so a refusal changes nothing.
    """
    newest = None
    if snapshot_keeps:
        newest = session.scalar(
            select(Snapshot)
            .where(Snapshot.volume_id == volume.id, inventory.snapshot_ready(session))
            .order_by(Snapshot.created_ms.desc(), Snapshot.id.desc())
            .limit(1)
        )
    kept = min(overwritten, newest.volume_used_bytes - newest.used_bytes) if newest else 0
    unshared = min(overwritten, volume.shared_bytes)
    grown = used - volume.used_bytes
    needed = kept + unshared + (grown if volume.thin else 0)
    capacity.ensure_room(session, session.get(Pool, volume.pool_id), needed, what, room)
    if newest is not None:
        newest.used_bytes += kept
    volume.shared_bytes -= unshared
    volume.used_bytes = used
    volume.shared_bytes = min(volume.shared_bytes, used)


def _take_content(
    session: Session, volume: Volume, snapshot: Snapshot, what: str, *, in_place: bool = False
) -> None:
    """``volume`` now holds ``snapshot``'s data: its used size and content."""
    _rewrite(
        session,
        volume,
        overwritten=volume.used_bytes,
        used=snapshot.volume_used_bytes,
        what=what,
        # Reverting in place keeps the volume's snapshots as they are (the model
        # does not follow blocks shared between snapshots); over another volume,
        # that volume's newest snapshot keeps what was replaced.
        snapshot_keeps=not in_place,
    )
    volume.content_fingerprint = snapshot.content_fingerprint


def restore(session: Session, server: Server, volume_id: str, *, snapshot_id: str) -> Volume:
    """Revert a volume to one of its own snapshots."""
    volume = inventory.get_volume(session, server, volume_id)
    snapshot = _own_snapshot(session, server, volume, snapshot_id)
    if not volume.supports_revert:
        raise Invalid(
            f"Volume '{volume.name}' cannot be reverted to a snapshot: its supports.revert "
            "is false. Use restore-to-alternate or restore-to-new."
        )
    _take_content(session, volume, snapshot, f"restoring volume '{volume.name}'", in_place=True)
    # The volume is the snapshot again: the snapshot holds no blocks of its own.
    snapshot.used_bytes = 0
    session.flush()
    return volume


def restore_to_alternate(
    session: Session,
    server: Server,
    volume_id: str,
    *,
    source_snapshot_id: str,
    target_volume_id: str,
) -> Volume:
    """Write a snapshot's data over another volume of the server."""
    source = inventory.get_volume(session, server, volume_id)
    snapshot = _own_snapshot(session, server, source, source_snapshot_id)
    target = inventory.get_volume(session, server, target_volume_id)
    if target.id == source.id:
        raise Invalid("The target is the snapshot's own volume; use action=restore to revert it.")
    if target.size_bytes < source.size_bytes:
        raise Conflict(
            f"Volume '{target.name}' ({target.size_bytes} bytes) is too small for snapshot "
            f"'{snapshot.name}' of a {source.size_bytes}-byte volume."
        )
    hosts = mapped_hosts(session, target)
    if hosts:
        raise Conflict(
            f"Volume '{target.name}' is mapped to host {', '.join(hosts)}; unmap it before "
            "restoring over it."
        )
    _take_content(session, target, snapshot, f"restoring onto volume '{target.name}'")
    session.flush()
    return target


def restore_to_new(
    session: Session,
    server: Server,
    volume_id: str,
    *,
    source_snapshot_id: str,
    target_volume_name: str,
    target_pool_ids: list[str],
) -> Volume:
    """A new, independent volume with the snapshot's data, in the first pool with room."""
    source = inventory.get_volume(session, server, volume_id)
    snapshot = _own_snapshot(session, server, source, source_snapshot_id)
    pools = [
        inventory.find_pool(session, server, pool_id, field="targetPoolIds")
        for pool_id in target_pool_ids
    ] or [session.get(Pool, source.pool_id)]
    existing = _name_taken(session, server, target_volume_name)
    if existing is not None:
        if (
            existing.origin_kind == Origin.RESTORE
            and existing.origin_snapshot_id == snapshot.id
            and existing.pool_id in {p.id for p in pools}
        ):
            return existing
        raise Conflict(
            f"A volume named '{target_volume_name}' already exists on server '{server.key}'."
        )
    needed = snapshot.volume_used_bytes if source.thin else source.size_bytes
    pool = next((p for p in pools if capacity.free_bytes(session, p.id) >= needed), None)
    if pool is None:
        raise NoSpace(
            f"No pool of {', '.join(repr(p.name) for p in pools)} has the {needed} bytes free "
            f"that volume '{target_volume_name}' needs."
        )
    volume = _copy_of(
        source,
        name=target_volume_name,
        pool_id=pool.id,
        created_ms=clock.now(session),
        used_bytes=snapshot.volume_used_bytes,
        shared_bytes=0,
        origin_snapshot_id=snapshot.id,
        origin_kind=Origin.RESTORE,
        content_fingerprint=snapshot.content_fingerprint,
    )
    session.add(volume)
    # Its LUN starts offline, as a clone's does.
    luns.attach(session, server, volume, online=False)
    session.flush()
    return volume


# -- mount and delete ---------------------------------------------------------------------


def default_mount_path(volume: Volume) -> str:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in volume.name)
    return f"/mnt/{safe}"


def mount(session: Session, server: Server, volume_id: str, *, path: str | None) -> str:
    """Remember where a file (NAS) volume is mounted (a path already validated by the
    caller); a block volume is reached through its LUN, not mounted (``Invalid``)."""
    volume = inventory.get_volume(session, server, volume_id)
    if not luns.is_file_volume(volume):
        raise Invalid(
            f"Volume '{volume.name}' is a block volume (volumeType '{volume.volume_type}'): "
            "hosts reach it through its LUN (map it to a host), they do not mount it. "
            "mount applies to file (NAS) volumes."
        )
    volume.mount_path = path or volume.mount_path or default_mount_path(volume)
    session.flush()
    return volume.mount_path


def mapped_hosts(session: Session, volume: Volume) -> list[str]:
    return list(
        session.scalars(
            select(Host.name)
            .join(LunMapping, LunMapping.host_id == Host.id)
            .join(Lun, LunMapping.lun_id == Lun.id)
            .where(Lun.volume_id == volume.id)
            .order_by(Host.name)
        )
    )


def delete_volume(session: Session, server: Server, volume_id: str) -> None:
    """Delete a volume and its own snapshots, unless it is mapped or a clone depends on it."""
    volume = inventory.get_volume(session, server, volume_id)
    tasks.settle(session, server.array_id, clock.now(session))
    hosts = mapped_hosts(session, volume)
    if hosts:
        raise Conflict(
            f"Volume '{volume.name}' is mapped to host {', '.join(hosts)}; unmap it first."
        )
    snapshots = session.execute(
        select(Snapshot.id, Snapshot.cg_snapshot_id).where(Snapshot.volume_id == volume.id)
    ).all()
    dependent_clones(
        session,
        [snapshot_id for snapshot_id, _ in snapshots],
        action=f"Volume '{volume.name}' cannot be deleted: one of its snapshots is in use",
    )
    # Its snapshots, LUN and tasks go with it (ON DELETE CASCADE).
    session.execute(delete(Volume).where(Volume.id == volume.id))
    drop_empty_group_snapshots(session, [group for _, group in snapshots])
    session.expire_all()


# -- host writes (lab control) ---------------------------------------------------------------


def host_write(
    session: Session, server: Server, volume_id: str, *, size: int, append: bool = False
) -> Volume:
    """A host writes ``size`` bytes to the volume (see ``write``); not through an
    offline LUN (``Conflict``)."""
    volume = inventory.get_volume(session, server, volume_id)
    lun = session.scalar(select(Lun).where(Lun.volume_id == volume.id))
    if lun is not None and not lun.online:
        raise Conflict(
            f"The LUN of volume '{volume.name}' (LUN '{lun.name}', id {lun.id}) is offline: "
            "no host can write to it. Bring it online first "
            f"(POST /server/{server.key}/lun/{lun.id}?action=online)."
        )
    return write(session, volume, size=size, append=append)


def write(
    session: Session,
    volume: Volume,
    *,
    size: int,
    append: bool = False,
    room: capacity.Room | None = None,
) -> Volume:
    """A host writes ``size`` bytes to the volume, as on a real array.

    Overwriting (the default) changes data the volume already holds: its newest
    snapshot now holds the old blocks on its own, and an unsplit clone owns
    what it no longer shares. Appending (or overwriting more than the volume
    holds) grows its used size. Either way the content changes. Space is
    checked first (``NoSpace``), so a write that does not fit changes nothing.
    """
    overwritten = 0 if append else min(size, volume.used_bytes)
    grown = size - overwritten
    if volume.used_bytes + grown > volume.size_bytes:
        raise Conflict(
            f"Volume '{volume.name}' holds {volume.used_bytes} of {volume.size_bytes} bytes; "
            f"{grown} more do not fit.",
            fields={"used": [f"At most {volume.size_bytes} bytes."]},
        )
    _rewrite(
        session,
        volume,
        overwritten=overwritten,
        used=volume.used_bytes + grown,
        what=f"writing to '{volume.name}'",
        room=room,
    )
    volume.content_fingerprint = new_fingerprint()
    session.flush()
    return volume
