"""How space is counted, in SQL, so that every figure agrees with the others.

- A thick volume takes its whole size from its pool; a thin one takes what it
  owns: its used size less what an unsplit clone still shares with its parent
  snapshot (``Volume.allocated_bytes``).
- A snapshot takes the space it holds on its own (``Snapshot.used_bytes``),
  from the pool it was placed in, else from its volume's pool.
- A pool's free space is its capacity less both of those.
- A server's system figures add up its pools: ``capacityInBytes`` is the pools'
  capacity plus the space the system keeps for itself, ``totalSizeInBytes`` is
  volumes + snapshots + system, so ``capacity - total`` is the pools' free space.

Every check that can refuse a call for want of space goes through ``Room.take``
(``ensure_room``, ``first_with_room``): when a pool would run out, it first
deletes the pool's ``isAutoDelete`` snapshots, oldest first, and records each
deletion on the session (``take_auto_deleted``) for the caller to report.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import BigInteger, ScalarSelect, cast, delete, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from mockarray.array import clock
from mockarray.array.models import (
    Array,
    CgSnapshot,
    LongTask,
    Pool,
    Server,
    Snapshot,
    TaskKind,
    Volume,
)
from mockarray.errors import NoSpace
from mockarray.units import format_size, format_sizes


def total(column):
    """``SUM(column)``, 0 for no rows, as a whole number on every database
    (PostgreSQL's SUM of a bigint is a numeric)."""
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


def _snapshot_pool_id():
    return func.coalesce(Snapshot.pool_id, Volume.pool_id)


def pool_volume_bytes() -> ScalarSelect:
    """Bytes the pool's volumes take (correlated to ``Pool``)."""
    return (
        select(total(Volume.allocated_bytes))
        .where(Volume.pool_id == Pool.id)
        .correlate(Pool)
        .scalar_subquery()
    )


def pool_snapshot_bytes() -> ScalarSelect:
    """Bytes the snapshots placed in the pool hold (correlated to ``Pool``)."""
    return (
        select(total(Snapshot.used_bytes))
        .join(Volume, Snapshot.volume_id == Volume.id)
        .where(_snapshot_pool_id() == Pool.id)
        .correlate(Pool)
        .scalar_subquery()
    )


def pool_free_bytes():
    """``Pool.capacity_bytes`` less what its volumes and snapshots take."""
    return cast(Pool.capacity_bytes - pool_volume_bytes() - pool_snapshot_bytes(), BigInteger)


@dataclass(frozen=True)
class SystemReport:
    capacity_bytes: int
    system_size_bytes: int
    snapshots_size_bytes: int
    volumes_size_bytes: int
    total_size_bytes: int
    shared_space_bytes: int
    provisioned_size_bytes: int
    data_reduction: float
    thin_provisioning: float
    total_reduction: float
    parity: str
    serial_number: str
    model: str
    version: str


def system_report(session: Session, server: Server) -> SystemReport:
    """``GET /server/{sid}/system``: three aggregate queries whatever the size."""
    pool_capacity = session.scalar(
        select(total(Pool.capacity_bytes)).where(Pool.server_id == server.id)
    )
    volumes, shared, provisioned = session.execute(
        select(
            total(Volume.allocated_bytes),
            total(Volume.shared_bytes),
            total(Volume.size_bytes),
        ).where(Volume.server_id == server.id)
    ).one()
    snapshots = session.scalar(
        select(total(Snapshot.used_bytes))
        .join(Volume, Snapshot.volume_id == Volume.id)
        .where(Volume.server_id == server.id)
    )
    array = session.get(Array, server.array_id)
    written = volumes + shared
    # Provisioned over written: how much more the hosts were promised than they use.
    thin_provisioning = round(provisioned / written, 2) if written else 1.0
    return SystemReport(
        capacity_bytes=int(pool_capacity) + server.system_size_bytes,
        system_size_bytes=server.system_size_bytes,
        snapshots_size_bytes=int(snapshots),
        volumes_size_bytes=int(volumes),
        total_size_bytes=int(volumes) + int(snapshots) + server.system_size_bytes,
        shared_space_bytes=int(shared),
        provisioned_size_bytes=int(provisioned),
        data_reduction=server.data_reduction,
        thin_provisioning=thin_provisioning,
        total_reduction=round(server.data_reduction * thin_provisioning, 2),
        parity=server.parity,
        serial_number=array.serial_number,
        model=array.model,
        version=array.version,
    )


def free_bytes(session: Session, pool_id: int) -> int:
    """The pool's free space, with the pool locked until the transaction ends, so
    that what is checked here is still free when it is taken: concurrent calls
    that need space from one pool take turns (PostgreSQL: ``SELECT … FOR NO KEY
    UPDATE`` on the pool's row, which rows that merely reference the pool do not
    block, so a call that already added such a row cannot deadlock on it; SQLite
    serializes every writer anyway)."""
    session.execute(select(Pool.id).where(Pool.id == pool_id).with_for_update(key_share=True))
    return int(session.scalar(select(pool_free_bytes()).where(Pool.id == pool_id)))


# -- auto-deletion --------------------------------------------------------------------

_AUTO_DELETED = "mockarray.capacity.auto_deleted"


@dataclass(frozen=True)
class AutoDeleted:
    """A snapshot deleted to make room (``isAutoDelete``), and for what."""

    snapshot_id: int
    snapshot: str
    volume: str
    pool: str
    freed_bytes: int
    created_ms: int
    needed_by: str

    def sentence(self) -> str:
        return (
            f"auto-deleted snapshot '{self.snapshot}' (id {self.snapshot_id}) of volume "
            f"'{self.volume}', freeing {format_size(self.freed_bytes)} in pool '{self.pool}' "
            f"for {self.needed_by}"
        )


def take_auto_deleted(session: Session) -> list[AutoDeleted]:
    """The snapshots auto-deleted in this session since the last call (then forgotten)."""
    return session.info.pop(_AUTO_DELETED, [])


def _auto_delete_candidates(session: Session, pool: Pool, spare: Collection[int]):
    """``(snapshot, volume name)`` rows that may go to free space in ``pool``, oldest first:
    ``isAutoDelete``, holding space of their own there, and not one a clone depends on,
    one being replicated or received, one the call itself uses (``spare``), or a member
    of a group snapshot where the server forbids deleting from a snapshot group."""
    now = clock.now(session)
    clone = aliased(Volume)
    in_use_by_clone = exists().where(clone.parent_snapshot_id == Snapshot.id)
    replicating = exists().where(
        LongTask.kind == TaskKind.REPLICATION,
        or_(LongTask.snapshot_id == Snapshot.id, LongTask.destination_snapshot_id == Snapshot.id),
        LongTask.completes_ms > now,
    )
    statement = (
        select(Snapshot, Volume.name)
        .join(Volume, Snapshot.volume_id == Volume.id)
        .join(Server, Volume.server_id == Server.id)
        .where(
            _snapshot_pool_id() == pool.id,
            Snapshot.is_auto_delete.is_(True),
            Snapshot.used_bytes > 0,
            or_(Snapshot.ready_ms.is_(None), Snapshot.ready_ms <= now),
            or_(Snapshot.cg_snapshot_id.is_(None), Server.delete_from_snapshot_group.is_(True)),
            ~in_use_by_clone,
            ~replicating,
        )
        .order_by(Snapshot.created_ms, Snapshot.id)
    )
    if spare:
        statement = statement.where(Snapshot.id.not_in(list(spare)))
    return session.execute(statement).all()


def _auto_delete_plan(
    session: Session, pool: Pool, missing: int, spare: Collection[int]
) -> list[tuple[Snapshot, str]] | None:
    """The oldest candidates whose space adds up to ``missing``; None if all do not."""
    plan, freed = [], 0
    for snapshot, volume_name in _auto_delete_candidates(session, pool, spare):
        plan.append((snapshot, volume_name))
        freed += snapshot.used_bytes
        if freed >= missing:
            return plan
    return None


def _auto_delete(
    session: Session, pool: Pool, plan: Sequence[tuple[Snapshot, str]], what: str
) -> int:
    """Delete the planned snapshots (a group snapshot goes with its last member),
    record them, and answer the bytes freed."""
    deleted = [
        AutoDeleted(
            snapshot.id,
            snapshot.name,
            volume_name,
            pool.name,
            snapshot.used_bytes,
            snapshot.created_ms,
            what,
        )
        for snapshot, volume_name in plan
    ]
    ids = [entry.snapshot_id for entry in deleted]
    groups = {snapshot.cg_snapshot_id for snapshot, _ in plan} - {None}
    session.execute(delete(Snapshot).where(Snapshot.id.in_(ids)))
    if groups:
        members = (
            select(func.count())
            .select_from(Snapshot)
            .where(Snapshot.cg_snapshot_id == CgSnapshot.id)
            .scalar_subquery()
        )
        session.execute(delete(CgSnapshot).where(CgSnapshot.id.in_(groups), members == 0))
    session.info.setdefault(_AUTO_DELETED, []).extend(deleted)
    return sum(entry.freed_bytes for entry in deleted)


class Room:
    """Free space of pools, read once per pool, then kept up to date by what is taken
    through it: building many objects in one transaction (seeding) needs no query per
    object. Only valid while nothing else changes the pools' contents.

    With ``auto_delete`` (every call but seeding), a pool that would run out of
    space first deletes its ``isAutoDelete`` snapshots, oldest first; a call that
    still does not fit deletes nothing."""

    def __init__(self, session: Session, *, auto_delete: bool = False):
        self.session = session
        self.auto_delete = auto_delete
        self._free: dict[int, int] = {}

    def free(self, pool: Pool) -> int:
        free = self._free.get(pool.id)
        if free is None:
            free = self._free[pool.id] = free_bytes(self.session, pool.id)
        return free

    def can_make(self, pool: Pool, needed_bytes: int, spare: Collection[int] = ()) -> bool:
        """Whether ``pool`` has ``needed_bytes`` free, or would after auto-deletion."""
        missing = needed_bytes - self.free(pool)
        if missing <= 0:
            return True
        if not self.auto_delete:
            return False
        return _auto_delete_plan(self.session, pool, missing, spare) is not None

    def take(self, pool: Pool, needed_bytes: int, what: str, spare: Collection[int] = ()) -> None:
        """``NoSpace`` unless ``pool`` has ``needed_bytes`` free for ``what`` (after
        auto-deleting snapshots other than ``spare``, if this room may); else taken."""
        if needed_bytes <= 0:
            return
        free = self.free(pool)
        if needed_bytes > free and self.auto_delete:
            plan = _auto_delete_plan(self.session, pool, needed_bytes - free, spare)
            if plan is not None:
                free += _auto_delete(self.session, pool, plan, what)
        if needed_bytes > free:
            free_text, needed_text = format_sizes(free, needed_bytes)
            raise NoSpace(
                f"Pool '{pool.name}' has {free_text} free; {what} needs {needed_text}. "
                "Free space (delete snapshots or volumes) or use another pool."
            )
        self._free[pool.id] = free - needed_bytes


def ensure_room(
    session: Session,
    pool: Pool,
    needed_bytes: int,
    what: str,
    room: Room | None = None,
    *,
    spare: Collection[int] = (),
) -> None:
    """``NoSpace`` unless ``pool`` has ``needed_bytes`` free for ``what`` (see ``Room``:
    without a ``room``, the pool's ``isAutoDelete`` snapshots but ``spare`` may go)."""
    (room or Room(session, auto_delete=True)).take(pool, needed_bytes, what, spare)


def first_with_room(
    session: Session,
    pools: Sequence[Pool],
    needed_bytes: int,
    what: str,
    *,
    spare: Collection[int] = (),
) -> Pool:
    """The first of ``pools`` with ``needed_bytes`` free, else the first where
    auto-deleting snapshots makes room (they are deleted); ``NoSpace`` if none."""
    room = Room(session, auto_delete=True)
    fits = next((p for p in pools if room.free(p) >= needed_bytes), None)
    if fits is None:
        fits = next((p for p in pools if room.can_make(p, needed_bytes, spare)), None)
    if fits is None:
        raise NoSpace(
            f"No pool of {', '.join(repr(p.name) for p in pools)} has the {needed_bytes} "
            f"bytes free that {what} needs."
        )
    room.take(fits, needed_bytes, what, spare)
    return fits
