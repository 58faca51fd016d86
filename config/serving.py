"""The gunicorn settings mockarray runs with, built from its configuration.

One function for both ways of serving: ``mockarray serve`` (gunicorn's Python
API) and ``gunicorn -c config/gunicorn.conf.py wsgi:app``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from gunicorn.glogging import Logger

from mockarray.config.logging import logging_config
from mockarray.database import private_dir

#: The control socket (gunicorn's ``gunicornc``), in the data directory: two
#: instances on one host, each with its own data directory, never share one.
CONTROL_SOCKET = "gunicorn.ctl"
#: Seconds a request may take before gunicorn gives up on its worker.
WORKER_TIMEOUT_S = 60
#: Threads of each worker (``gthread``): a call slowed down by a fault rule
#: sleeps in one thread while the others answer.
THREADS = 8
#: Of a worker's threads, at most this many sleep in injected delays at once:
#: the others are always free for the control plane and undelayed calls.
DELAY_THREADS = THREADS - 2
#: The longest delay a fault rule may inject: the worker timeout, less 5 s for
#: the call itself.
MAX_FAULT_DELAY_MS = (WORKER_TIMEOUT_S - 5) * 1000
#: Seconds a connection stays open, idle, for the client's next call.
KEEPALIVE_S = 5
#: Calls answered on one connection before the server closes it (as nginx's
#: ``keepalive_requests``): a kept-alive connection stays with the worker that
#: accepted it, so it is closed now and then and the client's next connection
#: goes to whichever worker takes it; a few clients cannot keep one worker busy
#: for long while the other idles.
KEEPALIVE_REQUESTS = 100
#: Connections a worker holds at once, twice its threads: a busy worker is the
#: quickest to accept the next connection, so without a bound it takes them all
#: and the other workers idle. Of these, at most ``THREADS`` wait idle for their
#: next call (gunicorn closes the others after their answer): a client beyond
#: waits in the listen queue only until one is closed.
CONNECTIONS = 2 * THREADS
#: The folder of the data directory where the workers keep their Prometheus
#: metrics (``mockarray.lab.metrics``), emptied when the server starts.
METRICS_DIR = "metrics"
#: prometheus_client's variable naming that folder (its multiprocess mode).
MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def close_now_and_then(_worker, request) -> None:
    """gunicorn's ``pre_request`` hook: the answer to a connection's
    ``KEEPALIVE_REQUESTS``-th call closes it (``Connection: close``)."""
    if request.req_number >= KEEPALIVE_REQUESTS:
        request.must_close = True


class WithoutAccessLog(Logger):
    """gunicorn's logger without the access log: with a logging configuration
    given, gunicorn builds every access line's fields (a dict of the request's
    headers and environment) even when no handler writes them."""

    def access(self, resp, req, environ, request_time) -> None:
        return None


def gunicorn_settings(config: Mapping[str, object]) -> dict[str, object]:
    """gunicorn's settings (names as in a ``gunicorn.conf.py``) for ``config``
    (``mockarray.config.from_env``)."""
    settings: dict[str, object] = {
        "bind": [str(config["BIND"])],
        "workers": int(config["WORKERS"]),
        # Threaded workers: most requests are one short database transaction, but a
        # fault rule's delay sleeps; a sleeping thread blocks no other call
        # (docs/ci.md, "Delays and the control plane").
        "worker_class": "gthread",
        "threads": THREADS,
        # Connections are kept alive (a connect and a close per call cost more than
        # most calls), for KEEPALIVE_REQUESTS calls at most (close_now_and_then).
        "keepalive": KEEPALIVE_S,
        "pre_request": close_now_and_then,
        "worker_connections": CONNECTIONS,
        "timeout": WORKER_TIMEOUT_S,
        "graceful_timeout": 10,
        # The application logs every API call itself (GET /log); no access log here.
        "accesslog": None,
        "logger_class": WithoutAccessLog,
        "logconfig_dict": logging_config(str(config["LOG_LEVEL"])),
        "control_socket": str(Path(str(config["DATA_DIR"])) / CONTROL_SOCKET),
        "control_socket_mode": 0o600,
        # Let long URLs and headers reach the application, which answers them with a
        # JSON 414 or 431 (mockarray.web.limits) instead of gunicorn's HTML page:
        # 0 is gunicorn's most (1 MiB) for the request line; 64 KiB for a header.
        "limit_request_line": 0,
        "limit_request_field_size": 64 * 1024,
    }
    settings.update(metrics_hooks(Path(str(config["DATA_DIR"])) / METRICS_DIR))
    if config.get("TLS_CERTFILE") or config.get("TLS_KEYFILE"):
        settings["certfile"] = str(config["TLS_CERTFILE"])
        settings["keyfile"] = str(config["TLS_KEYFILE"])
    return settings


def metrics_hooks(directory: Path) -> dict[str, Callable]:
    """gunicorn hooks that keep the workers' Prometheus metrics in ``directory``.

    The master empties it and names it in ``PROMETHEUS_MULTIPROC_DIR`` before it
    starts a worker, so every worker (forked with that environment) counts its
    calls in files of its own there and a scrape of any worker sums them all
    (the counts of workers that exited included). A new server starts from zero.
    """

    def on_starting(_server) -> None:
        private_dir(directory)
        for stale in directory.glob("*.db"):
            stale.unlink()
        os.environ[MULTIPROCESS_DIR_VARIABLE] = str(directory)

    def child_exit(_server, worker) -> None:
        # Imported here, after on_starting named the directory.
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, str(directory))

    return {"on_starting": on_starting, "child_exit": child_exit}
