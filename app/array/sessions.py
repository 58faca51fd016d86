"""Plugin sessions: log in to one array, then every call acts on that array."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from mockarray.array.clock import wall_ms
from mockarray.array.models import Array, PluginSession
from mockarray.errors import Unauthorized

#: Salted PBKDF2; cheap enough that a lab's many logins stay fast.
PASSWORD_METHOD = "pbkdf2:sha256:60000"
#: ``last_seen_ms`` is refreshed at most this often, so reads stay reads.
TOUCH_INTERVAL_MS = 60_000


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
) -> tuple[str, Array]:
    """Log in to an array; return the new session's token and the array."""
    array = find_array(session, hostname=hostname, ip_address=ip_address, port=port)
    if not username or password is None:
        raise Unauthorized(
            f"Credentials are missing for array '{array.name}': send HTTP Basic "
            "authorization, or 'username' and 'password' in the body."
        )
    if username != array.username or not check_password_hash(array.password_hash, password):
        raise Unauthorized(f"Wrong username or password for array '{array.name}'.")
    token = secrets.token_urlsafe(32)
    opened = wall_ms()
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


def resolve(session: Session, token: str, *, idle_timeout_s: int) -> tuple[PluginSession, bool]:
    """The open session a token names, and whether its idle clock is due a
    refresh (``touch``); ``Unauthorized`` when unknown or expired.

    The idle clock counts real time (how long the client was away), not the
    simulated arrays' clock, and is refreshed at most once a minute.
    """
    plugin_session = session.scalar(
        select(PluginSession)
        .options(joinedload(PluginSession.array))
        .where(PluginSession.token_hash == _token_hash(token))
    )
    if plugin_session is None:
        raise Unauthorized(
            "The session id is unknown (the lab may have been reset). "
            "Open a new session with POST /storageplugin/api/session."
        )
    idle_ms = wall_ms() - plugin_session.last_seen_ms
    if idle_timeout_s > 0 and idle_ms > idle_timeout_s * 1000:
        raise Unauthorized(
            f"The session expired after {idle_timeout_s} s without use. "
            "Open a new session with POST /storageplugin/api/session."
        )
    stale = idle_timeout_s > 0 and idle_ms > min(TOUCH_INTERVAL_MS, idle_timeout_s * 100)
    return plugin_session, stale


def touch(session: Session, session_id: int) -> None:
    """Note that the session was used now."""
    session.execute(
        update(PluginSession)
        .where(PluginSession.id == session_id)
        .values(last_seen_ms=wall_ms())
        .execution_options(synchronize_session=False)
    )


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
