"""The lab as seeded, kept as a checkpoint: a reset puts it back as fast as a
checkpoint restore, with the same ids, so what a client holds (CDM's
registered volumes, snapshots, hosts) stays valid across resets.

Seeding into an empty lab (or with replace) saves the lab's state afterwards
as the checkpoint ``.seeded`` (``checkpoints.SEEDED``), noting the seeded
fixtures (``lab_fixture`` rows) it holds. Seeding more into a lab that is
still as seeded saves it again; into a lab changed since, it leaves it as it
is, and the next reset puts it back and seeds the later fixtures on top (their
objects get new ids once, then keep them). A database without a usable
``.seeded`` (seeded by an older version, or migrated since: another schema)
is reset by seeding its fixtures again, and the checkpoint saved then.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mockarray.array.models import Array, PluginSession
from mockarray.lab import checkpoints
from mockarray.lab.models import Checkpoint, LabFixture


def fixture_ids(session: Session) -> list[int]:
    """The seeded fixtures (``lab_fixture`` rows), in the order they were seeded."""
    return list(session.scalars(select(LabFixture.id).order_by(LabFixture.id)))


def _usable(session: Session) -> dict | None:
    """What ``.seeded`` saved, when it can be put back into this database."""
    checkpoint = session.scalar(select(Checkpoint).where(Checkpoint.name == checkpoints.SEEDED))
    if checkpoint is None:
        return None
    saved = checkpoints.read(checkpoint)
    if checkpoints.unusable(session, saved) is not None:
        return None
    if not set(saved.get("fixtures", ())) <= set(fixture_ids(session)):
        return None
    return saved


def untouched(session: Session) -> bool:
    """Whether the lab is as seeded: empty with nothing seeded, or row for row what
    ``.seeded`` holds, with every fixture seeded so far."""
    seeded = fixture_ids(session)
    if not seeded:
        return not session.scalar(select(func.count()).select_from(Array))
    saved = _usable(session)
    return (
        saved is not None
        and saved.get("fixtures") == seeded
        and checkpoints.matches(session, saved)
    )


def save(session: Session) -> None:
    """Keep the lab's state as its seeded state, holding every fixture seeded so far."""
    session.flush()
    checkpoints.save_seeded(session, fixture_ids(session))


def forget(session: Session) -> None:
    """No seeded state (the lab is emptied or replaced)."""
    checkpoints.drop_seeded(session)


def put_back(session: Session, *, progress=None) -> set[int] | None:
    """The seeded state restored, every plugin session ended; the fixtures it holds.
    ``None`` (nothing changed) when there is no usable ``.seeded``."""
    saved = _usable(session)
    if saved is None:
        return None
    session.execute(delete(PluginSession))
    checkpoints.put_back(session, saved, progress=progress)
    return set(saved.get("fixtures", ()))
