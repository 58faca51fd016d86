"""The request journal: every plugin API call, kept in the database.

One cheap insert per call; bounded (the oldest entries are dropped first),
queryable by time, path, action, status and array, countable, clearable.
Several workers and hosts on one database share one journal.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import Connection, Select, delete, func, select
from sqlalchemy.orm import Session

from mockarray.lab.models import JournalEntry
from mockarray.naming import normalize_action
from mockarray.prepared import Prepared
from mockarray.queries import Page, paginate

#: Journal trimming runs once every this many entries, to keep each insert cheap.
TRIM_EVERY = 100
BODY_LIMIT = 64 * 1024
SECRET_WORDS = ("password", "secret", "token", "authorization")
#: In a body that is not JSON: ``password=...``, ``"password": "..."`` and the like.
_SECRET_IN_TEXT = re.compile(
    r"(?i)((?:password|secret|token|authorization)[\w-]*[\"']?\s*[:=]\s*[\"']?)([^\"'&,;\s}]*)"
)


def redact(body: str | None) -> str | None:
    """The request body with credentials replaced by ``***``."""
    if not body:
        return None
    lowered = body.lower()
    if "\\" not in body and not any(word in lowered for word in SECRET_WORDS):
        # Nothing that could name a credential (a JSON escape could spell one): as sent.
        return body[:BODY_LIMIT]
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to read
        return _SECRET_IN_TEXT.sub(r"\1***", body[:BODY_LIMIT])

    def scrub(value):
        if isinstance(value, dict):
            return {
                key: "***" if any(w in key.lower() for w in SECRET_WORDS) else scrub(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [scrub(item) for item in value]
        return value

    try:
        return json.dumps(scrub(document))[:BODY_LIMIT]
    except RecursionError:
        return _SECRET_IN_TEXT.sub(r"\1***", body[:BODY_LIMIT])


_JOURNAL_TABLE = JournalEntry.__table__
_INSERT = Prepared(_JOURNAL_TABLE.insert().returning(_JOURNAL_TABLE.c.id))


def record(connection: Connection, *, keep: int, **fields) -> int:
    """Add one entry (``fields`` are ``JournalEntry`` columns) and return its id;
    keep the newest ``keep``. One plain insert (no ORM object), and every
    ``TRIM_EVERY`` entries one delete of the oldest."""
    entry_id = _INSERT.one(connection, fields).id
    if entry_id % TRIM_EVERY == 0:
        connection.execute(delete(_JOURNAL_TABLE).where(_JOURNAL_TABLE.c.id <= entry_id - keep))
    return entry_id


@dataclass(frozen=True)
class JournalQuery:
    since_ms: int | None = None
    until_ms: int | None = None
    method: str | None = None
    path: str | None = None
    action: str | None = None
    status: int | None = None
    array: str | None = None
    after_id: int | None = None

    def apply(self, statement: Select) -> Select:
        conditions = []
        if self.since_ms is not None:
            conditions.append(JournalEntry.at_ms >= self.since_ms)
        if self.until_ms is not None:
            conditions.append(JournalEntry.at_ms <= self.until_ms)
        if self.method:
            conditions.append(JournalEntry.method == self.method.upper())
        if self.path:
            # A glob: '*' stands for anything.
            pattern = self.path.replace("%", r"\%").replace("_", r"\_").replace("*", "%")
            conditions.append(JournalEntry.path.like(pattern, escape="\\"))
        if self.action:
            conditions.append(JournalEntry.action == normalize_action(self.action))
        if self.status is not None:
            conditions.append(JournalEntry.status == self.status)
        if self.array:
            conditions.append(JournalEntry.array == self.array)
        if self.after_id is not None:
            conditions.append(JournalEntry.id > self.after_id)
        return statement.where(*conditions)


def entries(session: Session, query: JournalQuery, page: Page) -> tuple[list[JournalEntry], int]:
    """Matching entries, oldest first, and how many match."""
    statement = query.apply(select(JournalEntry)).order_by(JournalEntry.id)
    return paginate(session, statement, page)


def count(session: Session, query: JournalQuery) -> int:
    return session.scalar(query.apply(select(func.count()).select_from(JournalEntry))) or 0


def clear(session: Session) -> int:
    return session.execute(delete(JournalEntry)).rowcount
