"""One request at a time runs in a worker process; the others wait their turn.

gunicorn's threaded workers answer with several threads so that a call slowed
down by a fault rule sleeps while the others answer (docs/ci.md). Running
the other calls *at the same time* buys nothing on a busy worker: Python runs
one thread at a time anyway, and threads that hand the interpreter to each
other at every database call cost CPU and caches. So a request runs with its
worker's turn (``OneAtATime``), as in a sync worker, and gives it up only
where it waits without working: an injected delay, SQLite's write lock held
by another worker or process, the disk sync of a durable commit
(``turn_given_up``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

_turn = threading.Lock()
_held = threading.local()


class OneAtATime:
    """WSGI middleware: the wrapped application runs with the worker's turn (the
    answer's body, when streamed, is sent after it)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ, start_response) -> Iterable[bytes]:
        if getattr(_held, "turn", False):  # a request made while answering one
            return self.app(environ, start_response)
        with _turn:
            _held.turn = True
            try:
                return self.app(environ, start_response)
            finally:
                _held.turn = False


@contextmanager
def turn_given_up() -> Iterator[None]:
    """Let the worker's other requests run meanwhile (this thread only waits)."""
    if not getattr(_held, "turn", False):
        yield
        return
    _held.turn = False
    _turn.release()
    try:
        yield
    finally:
        _turn.acquire()
        _held.turn = True
