"""Plugin sessions: log in to one array, then every call acts on that array.

Expired sessions are deleted: at every login, whenever a session's time of
last use is refreshed (at most once a minute per session), and when an
expired one is presented (``purge_expired``, ``forget``).

Wrong passwords for one array slow its logins down (``note_failure``): the
first ``FREE_FAILURES`` in a row cost nothing; each one after blocks logins to
the array for twice as long as the one before (1 s, 2 s, 4 s ... at most
``MAX_BLOCK_S``), answered ``429`` with ``Retry-After``. A login that succeeds
clears the count, and so do ``FAILURE_MEMORY_MS`` without a failure. The
count is in the database, so every worker and host agrees on it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    delete,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from mockarray.array.clock import wall_ms
from mockarray.array.inventory import SERVER_COLUMNS
from mockarray.array.models import Array, LoginFailures, PluginSession, Server
from mockarray.errors import TooManyRequests, Unauthorized
from mockarray.prepared import Prepared, PreparedRow

#: Salted PBKDF2; cheap enough that a lab's many logins stay fast.
PASSWORD_METHOD = "pbkdf2:sha256:60000"
#: ``last_seen_ms`` is refreshed at most this often, so reads stay reads.
TOUCH_INTERVAL_MS = 60_000
#: Wrong passwords in a row for one array that are not slowed down.
FREE_FAILURES = 5
#: The longest a run of wrong passwords blocks an array's logins.
MAX_BLOCK_S = 300
#: A run of wrong passwords is forgotten after this long without one.
FAILURE_MEMORY_MS = 15 * 60_000


class WrongCredentials(Unauthorized):
    """A wrong username or password for ``array_id`` (to be counted: ``note_failure``)."""

    def __init__(self, message: str, *, array_id: int):
        super().__init__(message)
        self.array_id = array_id


class SessionExpired(Unauthorized):
    """An expired session was presented (to be deleted: ``forget``)."""

    def __init__(self, message: str, *, session_id: int):
        super().__init__(message)
        self.session_id = session_id


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_array(
    session: Session, *, hostname: str | None, ip_address: str | None, port: int | None
) -> Array:
    """The array a client names by hostname and/or IP address (and port)."""
    if not hostname and not ip_address:
        raise Unauthorized("Name the array to log in to: give 'hostname' or 'ipAddress'.")
    candidates: list[Array] = []
    if hostname:
        wanted = hostname.strip().lower()
        # The guide: the hostname "may be the same as the IP address".
        candidates.append(
            session.scalar(
                # Hostnames are stored in lower case (the fixture loader sees to it).
                select(Array).where(or_(Array.hostname == wanted, Array.ip_address == wanted))
            )
        )
    if ip_address:
        candidates.append(
            session.scalar(select(Array).where(Array.ip_address == ip_address.strip()))
        )
    found = {array.id: array for array in candidates if array is not None}
    named = " and ".join(
        f"{label} '{value}'"
        for label, value in (("hostname", hostname), ("ipAddress", ip_address))
        if value
    )
    if len(found) != 1 or None in candidates:
        known = session.scalars(select(Array.hostname).order_by(Array.id).limit(20)).all()
        if len(found) > 1:
            raise Unauthorized(f"The {named} name two different arrays; give one of them.")
        raise Unauthorized(
            f"No array here answers to {named}. Known arrays: {', '.join(known) or 'none'}."
        )
    array = next(iter(found.values()))
    if port is not None and port != array.port:
        raise Unauthorized(f"Array '{array.name}' listens on port {array.port}, not {port}.")
    return array


def open_session(
    session: Session,
    *,
    hostname: str | None,
    ip_address: str | None,
    port: int | None,
    username: str | None,
    password: str | None,
    idle_timeout_s: int = 0,
) -> tuple[str, Array]:
    """Log in to an array; return the new session's token and the array.

    ``TooManyRequests`` while wrong passwords block the array's logins;
    ``WrongCredentials`` for a wrong username or password (count it with
    ``note_failure``, in a transaction of its own: this one is rolled back).
    Sessions idle for longer than ``idle_timeout_s`` are deleted on the way.
    """
    array = find_array(session, hostname=hostname, ip_address=ip_address, port=port)
    opened = wall_ms()
    failures = session.get(LoginFailures, array.id)
    if failures is not None and failures.blocked_until_ms > opened:
        wait_s = -(-(failures.blocked_until_ms - opened) // 1000)
        raise TooManyRequests(
            f"Too many wrong passwords for array '{array.name}' "
            f"({failures.failures} in a row): its logins are refused for {wait_s} s more; "
            "retry after that with the right credentials.",
            retry_after_s=wait_s,
        )
    if not username or password is None:
        raise Unauthorized(
            f"Credentials are missing for array '{array.name}': send HTTP Basic "
            "authorization, or 'username' and 'password' in the body."
        )
    if username != array.username or not check_password_hash(array.password_hash, password):
        raise WrongCredentials(
            f"Wrong username or password for array '{array.name}'.", array_id=array.id
        )
    if failures is not None:
        session.delete(failures)
    purge_expired(session, idle_timeout_s)
    token = secrets.token_urlsafe(32)
    session.add(
        PluginSession(
            token_hash=_token_hash(token),
            array_id=array.id,
            created_ms=opened,
            last_seen_ms=opened,
        )
    )
    session.flush()
    return token, array


@dataclass(frozen=True)
class OpenSession:
    """What a call needs of the session it presents."""

    id: int
    array_id: int
    array_name: str
    last_seen_ms: int


_SESSION_TABLE = PluginSession.__table__
_ARRAY_TABLE = Array.__table__
_SESSION_COLUMNS = (
    _SESSION_TABLE.c.id,
    _SESSION_TABLE.c.array_id,
    _ARRAY_TABLE.c.name,
    _SESSION_TABLE.c.last_seen_ms,
)


def lookup_with(*columns: ColumnElement, server: bool = False) -> Prepared:
    """The statement behind every call's session check (one indexed query, plain
    rows), with ``columns`` (scalar subqueries) read in the same round trip: one
    row whether a session has the token or not (its columns are then NULL).

    With ``server``, the session's array's server whose key is bound as
    ``server_key`` too (``inventory.server_in``)."""
    opening = select(literal(1).label("opening")).subquery("opening")
    joined = opening.outerjoin(
        _SESSION_TABLE, _SESSION_TABLE.c.token_hash == bindparam("token_hash")
    ).outerjoin(_ARRAY_TABLE, _ARRAY_TABLE.c.id == _SESSION_TABLE.c.array_id)
    if server:
        servers = Server.__table__
        joined = joined.outerjoin(
            servers,
            and_(
                servers.c.array_id == _SESSION_TABLE.c.array_id,
                servers.c.key == bindparam("server_key"),
            ),
        )
        columns = (*columns, *SERVER_COLUMNS)
    return Prepared(select(*_SESSION_COLUMNS, *columns).select_from(joined))


_LOOKUP = lookup_with()


def lookup(
    connection: Connection,
    token: str | None,
    statement: Prepared = _LOOKUP,
    server_key: str | None = None,
) -> PreparedRow:
    """The row ``statement`` (``lookup_with``) reads for ``token`` (and ``server_key``)."""
    params = {"token_hash": _token_hash(token) if token else None}
    if server_key is not None:
        params["server_key"] = server_key
    return statement.one(connection, params)


def resolve(row: PreparedRow, *, idle_timeout_s: int) -> tuple[OpenSession, bool]:
    """The open session a token's ``lookup`` found (``row``), and whether its idle
    clock is due a refresh (``touch``); ``Unauthorized`` when unknown or expired.

    The idle clock counts real time (how long the client was away), not the
    simulated arrays' clock, and is refreshed at most once a minute.
    """
    if row.id is None:
        raise Unauthorized(
            "The session id is unknown (it expired, or the lab was reset). "
            "Open a new session with POST /storageplugin/api/session."
        )
    found = OpenSession(*row[: len(_SESSION_COLUMNS)])
    idle_ms = wall_ms() - found.last_seen_ms
    if idle_timeout_s > 0 and idle_ms > idle_timeout_s * 1000:
        raise SessionExpired(
            f"The session expired after {idle_timeout_s} s without use. "
            "Open a new session with POST /storageplugin/api/session.",
            session_id=found.id,
        )
    stale = idle_timeout_s > 0 and idle_ms > min(TOUCH_INTERVAL_MS, idle_timeout_s * 100)
    return found, stale


def touch(session: Session | Connection, session_id: int, idle_timeout_s: int = 0) -> None:
    """Note that the session was used now (and delete the sessions that expired)."""
    session.execute(
        update(PluginSession)
        .where(PluginSession.id == session_id)
        .values(last_seen_ms=wall_ms())
        .execution_options(synchronize_session=False)
    )
    purge_expired(session, idle_timeout_s)


def purge_expired(session: Session | Connection, idle_timeout_s: int) -> int:
    """Delete the sessions idle for longer than ``idle_timeout_s`` (``0``: none
    expire); how many went. One indexed statement."""
    if idle_timeout_s <= 0:
        return 0
    return session.execute(
        delete(PluginSession)
        .where(PluginSession.last_seen_ms < wall_ms() - idle_timeout_s * 1000)
        .execution_options(synchronize_session=False)
    ).rowcount


def forget(session: Session | Connection, session_id: int) -> None:
    """Delete one (expired) session."""
    session.execute(
        delete(PluginSession)
        .where(PluginSession.id == session_id)
        .execution_options(synchronize_session=False)
    )


def block_ms(failures: int) -> int:
    """How long ``failures`` wrong passwords in a row block an array's logins."""
    if failures <= FREE_FAILURES:
        return 0
    return min(2 ** (failures - FREE_FAILURES - 1), MAX_BLOCK_S) * 1000


def note_failure(session: Session, array_id: int) -> LoginFailures | None:
    """Count a wrong password for the array (``None`` if the array is gone)."""
    now = wall_ms()
    failures = session.get(LoginFailures, array_id, with_for_update=True)
    if failures is None:
        if session.get(Array, array_id) is None:
            return None
        failures = LoginFailures(array_id=array_id, failures=0, blocked_until_ms=0)
        session.add(failures)
    elif now - failures.last_failure_ms > FAILURE_MEMORY_MS:
        failures.failures = 0
    failures.failures += 1
    failures.last_failure_ms = now
    failures.blocked_until_ms = now + block_ms(failures.failures)
    session.flush()
    return failures


def token_tag(token: str) -> str:
    """A short tag that tells sessions apart in logs and reveals nothing of the token."""
    return _token_hash(token)[:12]


def array_name_of(session: Session, token: str | None) -> str | None:
    """The name of the array a session token belongs to (``None`` if unknown)."""
    if not token:
        return None
    return session.scalar(
        select(Array.name)
        .join(PluginSession, PluginSession.array_id == Array.id)
        .where(PluginSession.token_hash == _token_hash(token))
    )
