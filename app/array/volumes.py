"""Volumes: clone, split, restore (in place, to another volume, to a new one),
mount and delete, with the rules of a real array. A new block volume comes
with its LUN (``luns.attach``)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mockarray.array import capacity, clock, counting, inventory, luns, replication, tasks
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
from mockarray.errors import Conflict, Invalid, NotFound
from mockarray.units import format_size, format_sizes, format_time


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
        used_text, size_text = format_sizes(used, size)
        raise Invalid(
            f"Volume '{name}' cannot hold {used_text}: its size is {size_text}.",
            fields={"used": [f"At most the size ({size_text})."]},
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
    """A thin clone of one of the volume's snapshots. A true retry (same name and
    parameters, the clone as it was made) answers the clone made the first time;
    otherwise a taken name is ``Conflict`` (see ``_not_retry``)."""
    source = inventory.get_volume(session, server, volume_id)
    snapshot = _clone_source(session, server, source, snapshot_id, snapshot_name)
    if instant_split:
        _ensure_splittable(source, name)
    group_key = server_group_keys[0] if server_group_keys else source.server_group_key
    existing = _name_taken(session, server, name)
    if existing is not None:
        why = _clone_differs(session, existing, snapshot, group_key, instant_split)
        if why is None:
            return existing
        raise _not_retry(server, existing, why)
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
    if instant_split:
        _ensure_splittable(source, name)
    _ensure_name_free(session, server, name, registry)
    size = source.size_bytes if size is None else size
    if size < source.size_bytes:
        _, source_text = format_sizes(size, source.size_bytes)
        raise Invalid(
            f"Clone '{name}' cannot be smaller than its source '{source.name}' ({source_text}).",
            fields={"size": [f"At least {source_text}."]},
        )
    if not thin and not instant_split:
        raise Invalid(
            f"Clone '{name}' is thin until it is split: a thick clone must be split.",
            fields={"thin": ["An unsplit clone is thin."]},
        )
    if snapshot in session.new:
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
    capacity.ensure_room(session, pool, needed, f"clone '{name}'", room, spare=[snapshot.id])
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


def _ensure_splittable(source: Volume, name: str) -> None:
    """``Invalid`` when the source's clones cannot be split (``instantSplit`` asks for it)."""
    if source.split_support == SplitSupport.NONE:
        raise Invalid(
            f"Clone '{name}' cannot be split at once: volume '{source.name}' has "
            "supports.split NONE, so its clones cannot be split; clone it without instantSplit.",
            fields={"instantSplit": ["Not with supports.split NONE."]},
        )


def _not_retry(server: Server, existing: Volume, why: str) -> Conflict:
    """The ``Conflict`` of a create whose name is taken by a volume it would not make now."""
    return Conflict(
        f"A volume named '{existing.name}' (id {existing.id}, made "
        f"{format_time(existing.created_ms)}) already exists on server '{server.key}', "
        f"and {why}: it is not what this call would make now. Choose another name.",
        fields={"name": ["Taken."]},
    )


def _in_use_or_changed(session, existing: Volume, snapshot: Snapshot) -> str | None:
    """Why ``existing``, made from ``snapshot``, is no longer as it was made: its data
    changed, or it is mapped or mounted. None when it is as made."""
    if existing.content_fingerprint != snapshot.content_fingerprint:
        return "its data changed since it was made"
    hosts = mapped_hosts(session, existing)
    if hosts:
        return f"it is mapped to host {', '.join(hosts)}"
    if existing.mount_path:
        return f"it is mounted at {existing.mount_path}"
    return None


def _clone_differs(
    session, existing: Volume, snapshot: Snapshot, group_key, instant: bool
) -> str | None:
    """Why ``existing`` is not what a clone call with these parameters would make now
    (None: the call is a retry of the one that made it). A true retry's clone is of
    the same snapshot, with the same server group key and ``instantSplit``, and is
    unchanged since: its data as made, not split since (but by its instant split),
    not mapped, not mounted."""
    if existing.origin_kind != Origin.CLONE or existing.origin_snapshot_id != snapshot.id:
        return f"it is not a clone of snapshot '{snapshot.name}' (id {snapshot.id})"
    if existing.server_group_key != group_key:
        return f"it was made with server group key '{existing.server_group_key}'"
    if existing.split_support != SplitSupport.NOT_NEEDED:
        split = inventory.latest_split(session, existing)
        split_at_once = split is not None and split.completes_ms == existing.created_ms
        if instant and not split_at_once:
            return "it was made without instantSplit"
        if not instant and split is not None:
            return (
                "it was split since it was made"
                if not split_at_once
                else "it was made with instantSplit"
            )
    return _in_use_or_changed(session, existing, snapshot)


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


def split(
    session: Session, server: Server, volume_id: str, *, rate: tasks.Rate
) -> tasks.SplitStatus:
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


def _start_split(session, server, volume: Volume, *, now: int, rate: tasks.Rate | None, room=None):
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
        # Its own parent snapshot is spared anyway: the clone still depends on it.
        spare=[volume.parent_snapshot_id] if volume.parent_snapshot_id else [],
    )
    volume.shared_bytes = 0
    task = tasks.start(
        session,
        array_id=server.array_id,
        kind=TaskKind.SPLIT,
        volume_id=volume.id,
        total_bytes=shared,
        # An instant split (rate None) is complete as it starts.
        rate=tasks.QUICK if rate is None else rate,
        instant=rate is None,
        now=now,
    )
    session.flush()
    return task


# -- restores -------------------------------------------------------------------------


def _newest_snapshot(session: Session, volume: Volume) -> Snapshot | None:
    return session.scalar(
        select(Snapshot)
        .where(Snapshot.volume_id == volume.id, inventory.snapshot_ready(session))
        .order_by(Snapshot.created_ms.desc(), Snapshot.id.desc())
        .limit(1)
    )


def _still_shared(snapshot: Snapshot) -> int:
    """Bytes of the snapshot's data that its volume still holds (not overwritten since)."""
    return max(0, snapshot.volume_used_bytes - snapshot.used_bytes)


def _rewrite(
    session: Session,
    volume: Volume,
    *,
    overwritten: int,
    used: int,
    what: str,
    keeper: Snapshot | None = None,
    kept: int = 0,
    released: Snapshot | None = None,
    spare: list[int] | None = None,
    room: capacity.Room | None = None,
) -> None:
    """The volume's data changes: ``overwritten`` bytes of it are replaced and it
    then holds ``used`` bytes. ``keeper`` (a snapshot of it) keeps ``kept`` bytes
    of the replaced blocks on its own; ``released`` (the snapshot a revert brings
    back) holds nothing of its own afterwards, its blocks being the volume's again;
    an unsplit clone owns what it no longer shares. The space this takes is
    checked first (auto-deleting snapshots but ``keeper``, ``released`` and
    ``spare``), so a refusal changes nothing.
    """
    unshared = min(overwritten, volume.shared_bytes)
    grown = used - volume.used_bytes
    freed = released.used_bytes if released is not None else 0
    needed = kept + unshared + (grown if volume.thin else 0) - freed
    spared = [s.id for s in (keeper, released) if s is not None] + (spare or [])
    capacity.ensure_room(
        session, session.get(Pool, volume.pool_id), needed, what, room, spare=spared
    )
    if keeper is not None:
        keeper.used_bytes += kept
    if released is not None:
        released.used_bytes = 0
    volume.shared_bytes -= unshared
    volume.used_bytes = used
    volume.shared_bytes = min(volume.shared_bytes, used)


def _overwrite(
    session: Session,
    volume: Volume,
    *,
    overwritten: int,
    used: int,
    what: str,
    spare: list[int] | None = None,
    room: capacity.Room | None = None,
) -> None:
    """``_rewrite`` for new data written over the volume (a host write, a restore
    onto it from elsewhere): its newest snapshot keeps the replaced blocks it
    still shared with the volume."""
    newest = _newest_snapshot(session, volume)
    kept = min(overwritten, _still_shared(newest)) if newest is not None else 0
    _rewrite(
        session,
        volume,
        overwritten=overwritten,
        used=used,
        what=what,
        keeper=newest,
        kept=kept,
        spare=spare,
        room=room,
    )


def _revert(session: Session, volume: Volume, snapshot: Snapshot, what: str) -> None:
    """``volume`` goes back to its own ``snapshot`` (see docs/array-rules.md, "Restores").

    Its other snapshots stay, as on FlashArray or Spectrum Virtualize, and keep
    the blocks they hold. The volume's blocks that are not the snapshot's are
    replaced; a block still in the volume is in every snapshot taken since it
    was written, so those written before the keeper was taken are kept on its
    own by the keeper: a snapshot whose data the volume still is (the newest of
    such), else the newest snapshot. The others (written since every snapshot)
    are freed. ``snapshot``'s own blocks are the volume's again.
    """
    others = session.scalars(
        select(Snapshot)
        .where(
            Snapshot.volume_id == volume.id,
            Snapshot.id != snapshot.id,
            inventory.snapshot_ready(session),
        )
        .order_by(Snapshot.created_ms.desc(), Snapshot.id.desc())
    ).all()
    same = [s for s in others if s.content_fingerprint == volume.content_fingerprint]
    newest = _newest_snapshot(session, volume)
    keeper = (
        same[0] if same else newest if newest is not None and newest.id != snapshot.id else None
    )
    kept = 0
    if keeper is not None:
        # The volume's blocks not in the snapshot, of which those the keeper still shares.
        differing = max(0, volume.used_bytes - _still_shared(snapshot))
        kept = min(differing, max(0, _still_shared(keeper) - _still_shared(snapshot)))
    _rewrite(
        session,
        volume,
        overwritten=volume.used_bytes,
        used=snapshot.volume_used_bytes,
        what=what,
        keeper=keeper if kept else None,
        kept=kept,
        released=snapshot,
    )
    volume.content_fingerprint = snapshot.content_fingerprint


def restore(session: Session, server: Server, volume_id: str, *, snapshot_id: str) -> Volume:
    """Revert a volume to one of its own snapshots."""
    volume = inventory.get_volume(session, server, volume_id)
    snapshot = _own_snapshot(session, server, volume, snapshot_id)
    replication.ensure_writable(session, volume, "restoring it")
    if not volume.supports_revert:
        raise Invalid(
            f"Volume '{volume.name}' cannot be reverted to a snapshot: its supports.revert "
            "is false. Use restore-to-alternate or restore-to-new."
        )
    _revert(session, volume, snapshot, f"restoring volume '{volume.name}'")
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
    replication.ensure_writable(session, target, "restoring onto it")
    if target.size_bytes < source.size_bytes:
        target_text, source_text = format_sizes(target.size_bytes, source.size_bytes)
        raise Conflict(
            f"Volume '{target.name}' ({target_text}) is too small for snapshot "
            f"'{snapshot.name}' of a {source_text} volume."
        )
    hosts = mapped_hosts(session, target)
    if hosts:
        raise Conflict(
            f"Volume '{target.name}' is mapped to host {', '.join(hosts)}; unmap it before "
            "restoring over it."
        )
    _overwrite(
        session,
        target,
        overwritten=target.used_bytes,
        used=snapshot.volume_used_bytes,
        what=f"restoring onto volume '{target.name}'",
        spare=[snapshot.id],
    )
    target.content_fingerprint = snapshot.content_fingerprint
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
    """A new, independent volume with the snapshot's data, in the first pool with room
    (see ``capacity.first_with_room``). A true retry (same name, snapshot and pools,
    the volume as it was made) answers the volume made the first time; otherwise a
    taken name is ``Conflict``."""
    source = inventory.get_volume(session, server, volume_id)
    snapshot = _own_snapshot(session, server, source, source_snapshot_id)
    pools = [
        inventory.find_pool(session, server, pool_id, field="targetPoolIds")
        for pool_id in target_pool_ids
    ] or [session.get(Pool, source.pool_id)]
    existing = _name_taken(session, server, target_volume_name)
    if existing is not None:
        if existing.origin_kind != Origin.RESTORE or existing.origin_snapshot_id != snapshot.id:
            why = f"it is not a restore of snapshot '{snapshot.name}' (id {snapshot.id})"
        elif existing.pool_id not in {p.id for p in pools}:
            why = "it is in a pool that is not one of targetPoolIds"
        else:
            why = _in_use_or_changed(session, existing, snapshot)
        if why is None:
            return existing
        raise _not_retry(server, existing, why)
    needed = snapshot.volume_used_bytes if source.thin else source.size_bytes
    pool = capacity.first_with_room(
        session, pools, needed, f"volume '{target_volume_name}'", spare=[snapshot.id]
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
    _ensure_no_transfer(session, volume, [snapshot_id for snapshot_id, _ in snapshots])
    # Its snapshots, LUN and tasks go with it (ON DELETE CASCADE).
    session.execute(delete(Volume).where(Volume.id == volume.id))
    counting.volumes_removed(session, server.id)
    drop_empty_group_snapshots(session, [group for _, group in snapshots])
    session.expire_all()


def _ensure_no_transfer(session: Session, volume: Volume, snapshot_ids: list[int]) -> None:
    """``Conflict`` while a replication sends one of the volume's snapshots, or
    sends a snapshot into it (a replica volume)."""
    sent = replication.outgoing(session, snapshot_ids)
    if sent:
        transfers = ", ".join(f"snapshot '{name}' to {partner}" for name, partner in sent)
        raise Conflict(
            f"Volume '{volume.name}' cannot be deleted: a replication is still sending "
            f"{transfers}; delete it once get-Progress says isCompleted."
        )
    received = replication.incoming(session, volume)
    if received:
        transfers = ", ".join(
            f"snapshot '{name}' of volume '{source}' on array '{array}'"
            for name, array, source in received
        )
        raise Conflict(
            f"Volume '{volume.name}' cannot be deleted: a replication is still sending "
            f"{transfers} into it; delete it once the transfer completes."
        )


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
    replication.ensure_writable(session, volume, "a host writing to it")
    overwritten = 0 if append else min(size, volume.used_bytes)
    grown = size - overwritten
    if volume.used_bytes + grown > volume.size_bytes:
        used_text, size_text = format_sizes(volume.used_bytes, volume.size_bytes)
        raise Conflict(
            f"Volume '{volume.name}' holds {used_text} of {size_text}; "
            f"{format_size(grown)} more do not fit.",
            fields={"used": [f"At most {size_text}."]},
        )
    _overwrite(
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
