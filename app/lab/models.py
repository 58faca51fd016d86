"""The lab's own tables: not the arrays' state, but how the lab is driven
(seeded fixtures, the simulated clock, checkpoints, fault rules, the journal)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from mockarray.array.models import Base


class LabFixture(Base):
    """The fixture documents seeded into this database, for a later reset."""

    __tablename__ = "lab_fixture"
    #: Stamped by the clock when added (``mockarray.array.clock``).
    __stamped__ = ("seeded_ms",)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(1024))
    document: Mapped[str] = mapped_column(Text)
    seeded_ms: Mapped[int] = mapped_column(BigInteger)


class LabClock(Base):
    """The simulated clock (one row): an offset from real time, and how long tasks run."""

    __tablename__ = "lab_clock"
    __table_args__ = (CheckConstraint("speed > 0", name="speed_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offset_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Long tasks started from now on run this many times faster.
    speed: Mapped[float] = mapped_column(Float, default=1.0)
    #: Long tasks started from now on complete at once.
    instant: Mapped[bool] = mapped_column(Boolean, default=False)


class Checkpoint(Base):
    """The whole simulated state under a name (compressed JSON of every row)."""

    __tablename__ = "checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    arrays: Mapped[int] = mapped_column(Integer, default=0)
    volumes: Mapped[int] = mapped_column(Integer, default=0)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class FaultRule(Base):
    """Make matching plugin API calls fail or slow down, as real arrays do."""

    __tablename__ = "fault_rule"
    __table_args__ = (
        CheckConstraint("status IS NULL OR (status >= 400 AND status <= 599)", name="status_error"),
        CheckConstraint("delay_min_ms >= 0 AND delay_max_ms >= delay_min_ms", name="delay_range"),
        CheckConstraint("remaining IS NULL OR remaining >= 0", name="remaining_not_negative"),
        CheckConstraint(
            "probability IS NULL OR (probability > 0 AND probability <= 1)", name="probability"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: HTTP method to match; None matches any.
    method: Mapped[str | None] = mapped_column(String(10))
    #: Glob over the path below /storageplugin/api (``/server/*/volume/*``).
    path: Mapped[str] = mapped_column(String(1024), default="*")
    #: Action to match (normalised like the dispatcher's); None matches any.
    action: Mapped[str | None] = mapped_column(String(64))
    #: Array name to match; None matches any.
    array: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(String(1024))
    delay_min_ms: Mapped[int] = mapped_column(Integer, default=0)
    delay_max_ms: Mapped[int] = mapped_column(Integer, default=0)
    #: Applies to this many more calls; None until removed.
    remaining: Mapped[int | None] = mapped_column(Integer)
    probability: Mapped[float | None] = mapped_column(Float)
    applied: Mapped[int] = mapped_column(Integer, default=0)
    created_ms: Mapped[int] = mapped_column(BigInteger)


class JournalEntry(Base):
    """One plugin API call, as the request journal keeps it."""

    __tablename__ = "journal_entry"
    __table_args__ = (
        # Only time has an index: every index is pages more to write on every call,
        # and the other filters scan a journal of at most JOURNAL_SIZE rows.
        Index("ix_journal_entry_at_ms", "at_ms"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at_ms: Mapped[int] = mapped_column(BigInteger)
    array: Mapped[str | None] = mapped_column(String(255))
    #: The first characters of the session's token hash: tells sessions apart, reveals nothing.
    session: Mapped[str | None] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(1024))
    action: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[float] = mapped_column(Float)
    body: Mapped[str | None] = mapped_column(Text)
    fault_id: Mapped[int | None] = mapped_column(Integer)
    #: What the array did on its own during the call, one sentence each (the
    #: snapshots it auto-deleted to make room); None when nothing.
    notes: Mapped[list[str] | None] = mapped_column(JSON)
