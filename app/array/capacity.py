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
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, ScalarSelect, cast, func, select
from sqlalchemy.orm import Session

from mockarray.array.models import Array, Pool, Server, Snapshot, Volume
from mockarray.errors import NoSpace


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


class Room:
    """Free space of pools, read once per pool, then kept up to date by what is taken
    through it: building many objects in one transaction (seeding) needs no query per
    object. Only valid while nothing else changes the pools' contents."""

    def __init__(self, session: Session):
        self.session = session
        self._free: dict[int, int] = {}

    def take(self, pool: Pool, needed_bytes: int, what: str) -> None:
        """``NoSpace`` unless ``pool`` has ``needed_bytes`` free for ``what``; else taken."""
        if needed_bytes <= 0:
            return
        free = self._free.get(pool.id)
        if free is None:
            free = free_bytes(self.session, pool.id)
        if needed_bytes > free:
            raise NoSpace(
                f"Pool '{pool.name}' has {free} bytes free; {what} needs {needed_bytes}. "
                "Free space (delete snapshots or volumes) or use another pool."
            )
        self._free[pool.id] = free - needed_bytes


def ensure_room(
    session: Session, pool: Pool, needed_bytes: int, what: str, room: Room | None = None
) -> None:
    """``NoSpace`` unless ``pool`` has ``needed_bytes`` free for ``what``."""
    (room or Room(session)).take(pool, needed_bytes, what)
