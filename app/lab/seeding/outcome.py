"""Seeding as both fronts offer it (``mockarray seed``, ``POST /mockarray/api/seed``):
seed a fixture document, only check it, or seed only an empty lab; what was
done, in the one sentence both say."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mockarray.array.models import Server, Volume
from mockarray.lab.seeding.loader import check as check_fixture
from mockarray.lab.seeding.loader import is_empty, seed


@dataclass(frozen=True)
class SeedOutcome:
    source: str
    #: The arrays seeded (or, only checking, that the document makes).
    arrays: list[str]
    #: The volumes seeded: 0 when nothing was loaded.
    volumes: int
    loaded: bool
    message: str


def seed_fixture(
    session: Session,
    text: str,
    source: str,
    *,
    replace: bool = False,
    if_empty: bool = False,
    check: bool = False,
    progress=None,
) -> SeedOutcome:
    """Seed the fixture ``text`` (named ``source`` in messages), or only ``check`` it,
    or (``if_empty``) leave a lab that holds arrays alone. A bad document is a
    ``FixtureError`` listing every problem; nothing is loaded then. ``progress(done,
    total)`` is told how far the seeding is."""
    if check:
        names = check_fixture(session, text, source, replace=replace)
        message = f"{source} is a good fixture (nothing loaded): {', '.join(names)}."
        return SeedOutcome(source, names, 0, False, message)
    if if_empty and not is_empty(session):
        return SeedOutcome(source, [], 0, False, "The lab already holds arrays; nothing seeded.")
    arrays = seed(session, text, source, replace=replace, progress=progress)
    names = [array.name for array in arrays]
    volumes = session.scalar(
        select(func.count(Volume.id))
        .join(Server, Volume.server_id == Server.id)
        .where(Server.array_id.in_([array.id for array in arrays]))
    )
    message = f"Seeded {len(arrays)} array(s) from {source}: {', '.join(names)}."
    return SeedOutcome(source, names, volumes or 0, True, message)
