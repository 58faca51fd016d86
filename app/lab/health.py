"""Whether the server can serve: its database reachable, the schema at the head
revision of the migrations it ships, and how many arrays it holds.

Cheap, as probes call it every few seconds: two queries (the schema's
revision, the number of arrays). What it says reveals nothing but those.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import column, func, select, table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mockarray.array.models import Array
from mockarray.database import is_missing_schema

log = logging.getLogger(__name__)

#: Alembic's own table: the revision the database's schema is at.
_ALEMBIC_VERSION = table("alembic_version", column("version_num"))

UPGRADE_HINT = "run 'mockarray db upgrade'"


@dataclass(frozen=True)
class Health:
    database: str
    schema: str | None = None
    arrays: int | None = None
    #: Why the server cannot serve; None when it can.
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def status(self) -> str:
        return "ok" if self.ok else "unavailable"


def check(session: Session, *, head: str, known: frozenset[str]) -> Health:
    """The health of the database ``session`` reads, against the migrations the
    code ships: ``head`` its newest revision, ``known`` every one."""
    try:
        revisions = set(session.scalars(select(_ALEMBIC_VERSION.c.version_num)))
        if not revisions:
            return _not_migrated(head)
        arrays = session.scalar(select(func.count()).select_from(Array))
    except SQLAlchemyError as error:
        if is_missing_schema(error):
            return _not_migrated(head)
        # The driver's message may name hosts and users: the log has it, the answer not.
        log.warning("health: database unreachable: %s", getattr(error, "orig", error))
        return Health(
            database="unreachable",
            reason="The database cannot be reached (or is locked); the server's log says why.",
        )
    at = ", ".join(sorted(revisions))
    if revisions == {head}:
        return Health(database="reachable", schema=f"{head} (head)", arrays=arrays)
    if revisions <= known:
        return Health(
            database="reachable",
            schema=f"{at} (head is {head})",
            arrays=arrays,
            reason=f"The database's schema is at revision {at}, behind {head}: {UPGRADE_HINT}.",
        )
    return Health(
        database="reachable",
        schema=f"{at} (unknown; head is {head})",
        arrays=arrays,
        reason=f"The database's schema is at revision {at}, which this server does not know "
        f"(its newest is {head}): a newer mockarray migrated it; serve it with that version.",
    )


def _not_migrated(head: str) -> Health:
    return Health(
        database="reachable",
        schema=f"none (head is {head})",
        reason=f"The database has no mockarray schema: {UPGRADE_HINT}.",
    )
