"""One unit of work per request.

The request's database session is opened on first use and finished once,
after the view: committed when the answer is a success, rolled back
otherwise. A read (GET, HEAD, OPTIONS) runs in a read transaction: it never
takes the write lock.

Some writes must happen whatever the call's outcome, and for reads too: the
request journal, a session's last use. Views and hooks hand them to
``defer_write``: a successful write call does them in its own transaction,
before its one commit; a read or a refused call does them in one short
transaction of their own that does not wait for the disk (they are
bookkeeping, not the array's state), on a plain connection: no ORM session
is built for a few statements (``Database.bookkeeping``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, Response, current_app, g, request
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mockarray.database import Database

log = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["mockarray.db"]


def is_read() -> bool:
    return request.method in READ_METHODS


def db_session() -> Session:
    """The request's database session; write requests take the write lock first."""
    session = g.get("db_session")
    if session is None:
        session = database().session(write=not is_read())
        g.db_session = session
    return session


@contextmanager
def opening_connection() -> Iterator[Connection]:
    """Where a call reads what it is about before it acts (its session, the
    server its path names): its own transaction, except for a write call on a
    database whose write transactions exclude each other (SQLite): there, a
    short read transaction of its own, so that the write lock is taken only
    when the view acts, not while the call is checked and its body parsed."""
    if is_read() or not database().is_sqlite:
        yield db_session().connection()
        return
    with database().engine.connect() as connection:
        yield connection


def defer_write(work: Callable[[Connection], object]) -> None:
    """Run ``work(connection)`` when the request finishes, whatever its outcome:
    in the call's transaction when it commits, else in one of its own."""
    g.setdefault("deferred_writes", []).append(work)


def finish_unit_of_work(response: Response) -> Response:
    """Commit a successful call (with its deferred writes) or roll it back."""
    session: Session | None = g.pop("db_session", None)
    deferred: list[Callable[[Connection], object]] = g.pop("deferred_writes", [])
    succeeded = response.status_code < 400
    if session is not None:
        try:
            if succeeded and not is_read():
                connection = session.connection()
                for work in deferred:
                    work(connection)
                deferred = []
                session.commit()
            # Otherwise closing the session rolls its transaction back.
        finally:
            session.close()
    if deferred:
        try:
            with database().bookkeeping() as connection:
                for work in deferred:
                    work(connection)
        except SQLAlchemyError as error:
            # The call is answered; bookkeeping that cannot be kept is logged, not fatal.
            log.warning("could not record %s %s: %s", request.method, request.path, error)
    return response


def discard_unit_of_work(_exc: BaseException | None) -> None:
    # Reached without after_request only when the request failed outright.
    g.pop("deferred_writes", None)
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()  # and with it, rolls its transaction back
