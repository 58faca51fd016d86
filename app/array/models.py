"""The simulated arrays' state: every table of the domain.

Ids are integers in the database and strings on the wire. Names are unique
where a real array requires it; LUN numbers are unique per host; all links
are foreign keys, and every lookup path has an index. Times are epoch
milliseconds (``BigInteger``) so they compare the same on every database.
"""

from __future__ import annotations

import secrets
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    case,
    event,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class SplitSupport(StrEnum):
    """How a volume's clones are split from their snapshot (the guide's ``supports.split``)."""

    NONE = "NONE"
    ANY_TIME = "ANY_TIME"
    NOT_NEEDED = "NOT_NEEDED"
    FROM_SNAPSHOT = "FROM_SNAPSHOT"


class TaskKind(StrEnum):
    """What a long task does."""

    SPLIT = "split"
    REPLICATION = "replication"


class Origin(StrEnum):
    """How a volume was made from a snapshot (``Volume.origin_kind``)."""

    CLONE = "clone"
    RESTORE = "restore"


class InitiatorKind(StrEnum):
    IQN = "iqn"
    WWN = "wwn"


def one_of(column: str, values: type[StrEnum]) -> str:
    """The SQL of a CHECK that ``column`` holds one of the enum's values."""
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"


def new_fingerprint() -> str:
    """A fresh content fingerprint: stands for a volume's data at one point in time."""
    return secrets.token_hex(16)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@event.listens_for(Base, "instrument_class", propagate=True)
def _never_reuse_ids(mapper, cls) -> None:
    # A client keeps ids: a deleted volume's id must never name a new one.
    # PostgreSQL sequences never reuse; SQLite needs AUTOINCREMENT for that.
    table = getattr(cls, "__table__", None)
    if table is not None and len(table.primary_key.columns) == 1:
        table.dialect_options["sqlite"]["autoincrement"] = True


def _fk(target: str, *, cascade: bool = True, nullable: bool = False, **kwargs):
    """A foreign key; without ``cascade`` the referenced row cannot go while referenced
    (NO ACTION, checked at the end of the statement so cascades of a whole array work)."""
    return mapped_column(
        ForeignKey(target, ondelete="CASCADE" if cascade else None),
        nullable=nullable,
        **kwargs,
    )


class Array(Base):
    """One simulated storage array (a "storage" in the guide)."""

    __tablename__ = "array"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    hostname: Mapped[str] = mapped_column(String(255), unique=True)
    ip_address: Mapped[str] = mapped_column(String(64), unique=True)
    port: Mapped[int] = mapped_column(Integer, default=443)
    vendor: Mapped[str] = mapped_column(String(255))
    model: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(64))
    serial_number: Mapped[str] = mapped_column(String(64), unique=True)
    #: IEEE OUI (6 hex digits) that starts the NAA-6 ids of this array's LUNs.
    naa_oui: Mapped[str] = mapped_column(String(6))
    username: Mapped[str] = mapped_column(String(255))
    #: Salted hash (werkzeug format), never the password itself.
    password_hash: Mapped[str] = mapped_column(String(255))
    created_ms: Mapped[int] = mapped_column(BigInteger)

    servers: Mapped[list[Server]] = relationship(
        back_populates="array", order_by="Server.id", passive_deletes=True
    )


class Server(Base):
    """A (virtual) server of an array; an array without them has one, id ``"0"``."""

    __tablename__ = "server"
    __table_args__ = (
        UniqueConstraint("array_id", "key"),
        UniqueConstraint("array_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    array_id: Mapped[int] = _fk("array.id")
    #: The server's id on the wire, unique within its array.
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    # supports
    replication: Mapped[bool] = mapped_column(Boolean, default=True)
    volume_replication: Mapped[bool] = mapped_column(Boolean, default=True)
    consistency_group_replication: Mapped[bool] = mapped_column(Boolean, default=True)
    new_snapshot_replication: Mapped[bool] = mapped_column(Boolean, default=True)
    existing_snapshot_replication: Mapped[bool] = mapped_column(Boolean, default=True)
    replication_to_itself: Mapped[bool] = mapped_column(Boolean, default=False)
    delete_from_snapshot_group: Mapped[bool] = mapped_column(Boolean, default=True)
    persistent_consistency_group: Mapped[bool] = mapped_column(Boolean, default=True)
    single_consistency_group: Mapped[bool] = mapped_column(Boolean, default=False)
    # config
    is_dp_destination: Mapped[bool] = mapped_column(Boolean, default=False)
    is_nfs_service_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    is_iscsi_service_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    is_incremental_consistency_group: Mapped[bool] = mapped_column(Boolean, default=False)
    # system
    parity: Mapped[str] = mapped_column(String(32), default="RAID6")
    #: Space the array keeps for itself (metadata, spares); counted as used.
    system_size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Compression/deduplication ratio the simulated array claims.
    data_reduction: Mapped[float] = mapped_column(Float, default=1.0)
    #: How many volumes the server has, kept by ``mockarray.array.counting`` so that a
    #: page of a long volume list needs no ``count(*)`` over all of them.
    volume_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    array: Mapped[Array] = relationship(back_populates="servers")


class Pool(Base):
    __tablename__ = "pool"
    __table_args__ = (
        UniqueConstraint("server_id", "name"),
        CheckConstraint("capacity_bytes >= 0", name="capacity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = _fk("server.id")
    name: Mapped[str] = mapped_column(String(255))
    capacity_bytes: Mapped[int] = mapped_column(BigInteger)
    created_ms: Mapped[int] = mapped_column(BigInteger)


class Volume(Base):
    __tablename__ = "volume"
    __table_args__ = (
        UniqueConstraint("server_id", "name"),
        # The order of a server's volume list: a page is read off the index.
        Index("ix_volume_server_order", "server_id", "created_ms", "id"),
        Index("ix_volume_pool_id", "pool_id"),
        Index("ix_volume_parent_snapshot_id", "parent_snapshot_id"),
        Index("ix_volume_origin_snapshot_id", "origin_snapshot_id"),
        Index("ix_volume_replica_of_volume_id", "replica_of_volume_id"),
        Index("ix_volume_consistency_group_id", "consistency_group_id"),
        CheckConstraint("size_bytes >= 0", name="size_not_negative"),
        CheckConstraint("used_bytes >= 0 AND used_bytes <= size_bytes", name="used_within_size"),
        CheckConstraint(
            "shared_bytes >= 0 AND shared_bytes <= used_bytes", name="shared_within_used"
        ),
        CheckConstraint(one_of("split_support", SplitSupport), name="split_support_known"),
        CheckConstraint(one_of("origin_kind", Origin), name="origin_kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = _fk("server.id")
    pool_id: Mapped[int] = _fk("pool.id", cascade=False)
    name: Mapped[str] = mapped_column(String(255))
    created_ms: Mapped[int] = mapped_column(BigInteger)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    #: Bytes the host has written (what ``stats.usedSize`` shows).
    used_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Of ``used_bytes``, the bytes an unsplit clone still shares with its
    #: parent snapshot (they take no space of their own).
    shared_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    thin: Mapped[bool] = mapped_column(Boolean, default=True)
    volume_type: Mapped[str] = mapped_column(String(64), default="block")
    server_group_key: Mapped[str | None] = mapped_column(String(255))
    supports_revert: Mapped[bool] = mapped_column(Boolean, default=True)
    split_support: Mapped[str] = mapped_column(String(16), default=SplitSupport.ANY_TIME)
    auto_grow_vadp_rep: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The snapshot this volume was cloned from, while the clone depends on it.
    parent_snapshot_id: Mapped[int | None] = mapped_column(
        # volume <-> snapshot is a cycle: this side is added after both tables exist.
        ForeignKey("snapshot.id", use_alter=True)
    )
    #: The snapshot a clone or a restore-to-new was made from; kept after a
    #: split, so that a retried create can be recognised.
    origin_snapshot_id: Mapped[int | None] = mapped_column(
        ForeignKey("snapshot.id", ondelete="SET NULL", use_alter=True)
    )
    #: How the volume was made from ``origin_snapshot_id``: a clone or a restore-to-new.
    origin_kind: Mapped[str | None] = mapped_column(String(16))
    mount_path: Mapped[str | None] = mapped_column(String(1024))
    content_fingerprint: Mapped[str] = mapped_column(String(64), default=new_fingerprint)
    #: True for a volume that receives another array's replicated snapshots.
    replication_target: Mapped[bool] = mapped_column(Boolean, default=False)
    #: For a replica: the volume (on the source array) whose snapshots it receives.
    replica_of_volume_id: Mapped[int | None] = mapped_column(
        ForeignKey("volume.id", ondelete="SET NULL")
    )
    consistency_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("consistency_group.id", ondelete="SET NULL")
    )

    @hybrid_property
    def allocated_bytes(self) -> int:
        """Space the volume takes from its pool: its size if thick, else what it owns."""
        return self.size_bytes if not self.thin else self.used_bytes - self.shared_bytes

    @allocated_bytes.inplace.expression
    @classmethod
    def _allocated_bytes_expression(cls):
        return case((cls.thin.is_(False), cls.size_bytes), else_=cls.used_bytes - cls.shared_bytes)


class Snapshot(Base):
    __tablename__ = "snapshot"
    __table_args__ = (
        UniqueConstraint("volume_id", "name"),
        Index("ix_snapshot_cg_snapshot_id", "cg_snapshot_id"),
        Index("ix_snapshot_pool_id", "pool_id"),
        CheckConstraint("used_bytes >= 0", name="used_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volume_id: Mapped[int] = _fk("volume.id")
    name: Mapped[str] = mapped_column(String(255))
    created_ms: Mapped[int] = mapped_column(BigInteger)
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("pool.id", ondelete="SET NULL"))
    replicate: Mapped[bool] = mapped_column(Boolean, default=False)
    is_auto_delete: Mapped[bool] = mapped_column(Boolean, default=False)
    ground_clone_required: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The volume's used size when the snapshot was taken (what a restore brings back).
    volume_used_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Space the snapshot holds on its own: blocks since overwritten in the volume.
    used_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    content_fingerprint: Mapped[str] = mapped_column(String(64), default=new_fingerprint)
    #: A replica snapshot exists from this time on (when its transfer completes);
    #: None for a snapshot taken here.
    ready_ms: Mapped[int | None] = mapped_column(BigInteger)
    cg_snapshot_id: Mapped[int | None] = mapped_column(
        ForeignKey("cg_snapshot.id", ondelete="SET NULL")
    )

    volume: Mapped[Volume] = relationship(foreign_keys=[volume_id])

    @staticmethod
    def columns_of(volume: Volume, *, name: str, created_ms: int, **values) -> dict:
        """The columns of a snapshot of ``volume`` as it is now: its used size and
        content, and nothing held on its own yet (``volume_id`` aside)."""
        return {
            "name": name,
            "created_ms": created_ms,
            "volume_used_bytes": volume.used_bytes,
            "used_bytes": 0,
            "content_fingerprint": volume.content_fingerprint,
            **values,
        }

    @classmethod
    def of(cls, volume: Volume, *, name: str, created_ms: int, **values) -> Snapshot:
        """A snapshot of ``volume`` as it is now (``columns_of``), as an object."""
        # By object: a volume made in a batch (seeding) has no id until it is flushed.
        return cls(
            volume=volume, **cls.columns_of(volume, name=name, created_ms=created_ms, **values)
        )


class Lun(Base):
    """The SCSI logical unit that exposes a volume to hosts (one per volume)."""

    __tablename__ = "lun"
    __table_args__ = (UniqueConstraint("volume_id"), UniqueConstraint("naa_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    volume_id: Mapped[int] = _fk("volume.id")
    name: Mapped[str] = mapped_column(String(255))
    serial_number: Mapped[str] = mapped_column(String(64), unique=True)
    naa_id: Mapped[str] = mapped_column(String(32))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    private_iscsi_target: Mapped[str | None] = mapped_column(String(255))
    created_ms: Mapped[int] = mapped_column(BigInteger)

    volume: Mapped[Volume] = relationship()


class HostGroup(Base):
    __tablename__ = "host_group"
    __table_args__ = (UniqueConstraint("server_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = _fk("server.id")
    name: Mapped[str] = mapped_column(String(255))
    created_ms: Mapped[int] = mapped_column(BigInteger)

    hosts: Mapped[list[Host]] = relationship(back_populates="host_group", order_by="Host.id")


class Host(Base):
    __tablename__ = "host"
    __table_args__ = (
        UniqueConstraint("server_id", "name"),
        Index("ix_host_host_group_id", "host_group_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = _fk("server.id")
    name: Mapped[str] = mapped_column(String(255))
    #: A host belongs to at most one host group, as on real arrays.
    host_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("host_group.id", ondelete="SET NULL")
    )
    server_group_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_ms: Mapped[int] = mapped_column(BigInteger)

    host_group: Mapped[HostGroup | None] = relationship(back_populates="hosts")
    initiators: Mapped[list[HostInitiator]] = relationship(
        order_by="HostInitiator.id", cascade="all, delete-orphan", passive_deletes=True
    )
    mappings: Mapped[list[LunMapping]] = relationship(
        back_populates="host", order_by="LunMapping.lun_number", passive_deletes=True
    )
    #: The mapped LUNs' ids when a list read them for its whole page at once
    #: (``inventory.list_hosts``); not a column.
    listed_lun_ids = None

    @property
    def mapped_lun_ids(self) -> list[int]:
        """The ids of the LUNs mapped to the host, by LUN number."""
        if self.listed_lun_ids is not None:
            return self.listed_lun_ids
        return [mapping.lun_id for mapping in self.mappings]


class HostInitiator(Base):
    """An iSCSI IQN or FC WWN of a host; one initiator belongs to one host."""

    __tablename__ = "host_initiator"
    __table_args__ = (
        UniqueConstraint("server_id", "address"),
        Index("ix_host_initiator_host_id", "host_id"),
        CheckConstraint(one_of("kind", InitiatorKind), name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = _fk("host.id")
    server_id: Mapped[int] = _fk("server.id")
    kind: Mapped[str] = mapped_column(String(3))
    address: Mapped[str] = mapped_column(String(255))


class LunMapping(Base):
    """A LUN presented to a host under a LUN number."""

    __tablename__ = "lun_mapping"
    __table_args__ = (
        UniqueConstraint("host_id", "lun_number"),
        UniqueConstraint("host_id", "lun_id"),
        Index("ix_lun_mapping_lun_id", "lun_id"),
        Index("ix_lun_mapping_host_group_id", "host_group_id"),
        CheckConstraint("lun_number >= 0 AND lun_number <= 16383", name="lun_number_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = _fk("host.id")
    lun_id: Mapped[int] = _fk("lun.id", cascade=False)
    lun_number: Mapped[int] = mapped_column(Integer)
    #: Set when the mapping was made through a host group.
    host_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("host_group.id", ondelete="SET NULL")
    )
    created_ms: Mapped[int] = mapped_column(BigInteger)

    host: Mapped[Host] = relationship(back_populates="mappings")
    lun: Mapped[Lun] = relationship()


class Network(Base):
    __tablename__ = "network"
    __table_args__ = (UniqueConstraint("server_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = _fk("server.id")
    name: Mapped[str] = mapped_column(String(255))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    wwpn: Mapped[str | None] = mapped_column(String(32))
    iqn: Mapped[str | None] = mapped_column(String(255))
    server_group_key: Mapped[str | None] = mapped_column(String(255))
    nfs: Mapped[bool] = mapped_column(Boolean, default=False)
    cifs: Mapped[bool] = mapped_column(Boolean, default=False)
    iscsi: Mapped[bool] = mapped_column(Boolean, default=False)
    fc: Mapped[bool] = mapped_column(Boolean, default=False)
    created_ms: Mapped[int] = mapped_column(BigInteger)


class ConsistencyGroup(Base):
    __tablename__ = "consistency_group"
    __table_args__ = (UniqueConstraint("server_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = _fk("server.id")
    name: Mapped[str] = mapped_column(String(255))
    created_ms: Mapped[int] = mapped_column(BigInteger)
    incremental: Mapped[bool] = mapped_column(Boolean, default=False)
    replication_target: Mapped[bool] = mapped_column(Boolean, default=False)

    volumes: Mapped[list[Volume]] = relationship(order_by="Volume.id")
    targets: Mapped[list[RemoteArray]] = relationship(
        secondary="cg_replication_target", order_by="RemoteArray.id"
    )


class RemoteArray(Base):
    """A replication partner of a server, by name and address.

    ``partner_array_id`` is set when the partner is another array simulated
    here, so replication can create real replica snapshots on it.
    """

    __tablename__ = "remote_array"
    __table_args__ = (
        UniqueConstraint("server_id", "name"),
        Index("ix_remote_array_partner_array_id", "partner_array_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = _fk("server.id")
    name: Mapped[str] = mapped_column(String(255))
    host_address: Mapped[str] = mapped_column(String(255))
    partner_array_id: Mapped[int | None] = mapped_column(
        ForeignKey("array.id", ondelete="SET NULL")
    )
    created_ms: Mapped[int] = mapped_column(BigInteger)


class CgReplicationTarget(Base):
    __tablename__ = "cg_replication_target"
    __table_args__ = (Index("ix_cg_replication_target_remote_array_id", "remote_array_id"),)

    consistency_group_id: Mapped[int] = mapped_column(
        ForeignKey("consistency_group.id", ondelete="CASCADE"), primary_key=True
    )
    remote_array_id: Mapped[int] = mapped_column(
        ForeignKey("remote_array.id", ondelete="CASCADE"), primary_key=True
    )


class CgSnapshot(Base):
    """A consistency-group snapshot: one volume snapshot per member, taken together."""

    __tablename__ = "cg_snapshot"
    __table_args__ = (UniqueConstraint("consistency_group_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consistency_group_id: Mapped[int] = _fk("consistency_group.id")
    name: Mapped[str] = mapped_column(String(255))
    created_ms: Mapped[int] = mapped_column(BigInteger)
    replicate: Mapped[bool] = mapped_column(Boolean, default=False)
    is_auto_delete: Mapped[bool] = mapped_column(Boolean, default=False)
    is_incremental: Mapped[bool] = mapped_column(Boolean, default=False)

    snapshots: Mapped[list[Snapshot]] = relationship(order_by="Snapshot.id")


class LongTask(Base):
    """A split or a replication: progress is computed from the time.

    Nothing runs in the background: the task moves ``total_bytes`` evenly
    between ``started_ms`` and ``completes_ms`` (fixed when it starts, from
    the size and the rate), so its progress at any moment is known.
    """

    __tablename__ = "long_task"
    __table_args__ = (
        Index("ix_long_task_volume_id", "volume_id"),
        Index("ix_long_task_snapshot_id", "snapshot_id"),
        Index("ix_long_task_remote_array_id", "remote_array_id"),
        Index("ix_long_task_destination_snapshot_id", "destination_snapshot_id"),
        Index("ix_long_task_array_id_kind_completes_ms", "array_id", "kind", "completes_ms"),
        CheckConstraint(one_of("kind", TaskKind), name="kind_known"),
        CheckConstraint("rate_bytes_per_s > 0", name="rate_positive"),
        CheckConstraint("completes_ms >= started_ms", name="completes_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    array_id: Mapped[int] = _fk("array.id")
    kind: Mapped[str] = mapped_column(String(16))
    #: split: the clone being split.
    volume_id: Mapped[int | None] = mapped_column(ForeignKey("volume.id", ondelete="CASCADE"))
    #: replication: the snapshot being sent.
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshot.id", ondelete="CASCADE"))
    remote_array_id: Mapped[int | None] = mapped_column(
        ForeignKey("remote_array.id", ondelete="CASCADE")
    )
    #: replication: the replica snapshot made on the partner, once complete.
    destination_snapshot_id: Mapped[int | None] = mapped_column(
        ForeignKey("snapshot.id", ondelete="SET NULL")
    )
    started_ms: Mapped[int] = mapped_column(BigInteger)
    completes_ms: Mapped[int] = mapped_column(BigInteger)
    total_bytes: Mapped[int] = mapped_column(BigInteger)
    rate_bytes_per_s: Mapped[int] = mapped_column(BigInteger)


class PluginSession(Base):
    """A session opened with ``POST /session``; the token is stored hashed."""

    __tablename__ = "plugin_session"
    __table_args__ = (
        Index("ix_plugin_session_array_id", "array_id"),
        # Expired sessions are deleted by their last use (``sessions.purge_expired``).
        Index("ix_plugin_session_last_seen_ms", "last_seen_ms"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    array_id: Mapped[int] = _fk("array.id")
    created_ms: Mapped[int] = mapped_column(BigInteger)
    #: Refreshed at most once a minute, so reads stay reads.
    last_seen_ms: Mapped[int] = mapped_column(BigInteger)

    array: Mapped[Array] = relationship()


class LoginFailures(Base):
    """Wrong passwords given lately for one array: later logins to it are slowed
    down (``mockarray.array.sessions``). Bookkeeping, not the array's state (no
    checkpoint keeps it); it goes with its array."""

    __tablename__ = "login_failures"

    array_id: Mapped[int] = mapped_column(
        ForeignKey("array.id", ondelete="CASCADE"), primary_key=True
    )
    #: Wrong passwords in a row (none older than ``sessions.FAILURE_MEMORY_MS`` apart).
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_ms: Mapped[int] = mapped_column(BigInteger)
    #: No login to the array is tried before this moment (real time, epoch ms).
    blocked_until_ms: Mapped[int] = mapped_column(BigInteger, default=0)
