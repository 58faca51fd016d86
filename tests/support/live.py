"""A real gunicorn (``make run``'s server) on a free port, for the live tests.

Each one has a port of its own (asked of the kernel) and a data directory the
test gives it, so tests in several xdist workers never share either.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tests.support.api import PASSWORD, PREFIX, SESSION_HEADER, basic_auth

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """``make run``'s server, on a free port, against the test database."""

    def __init__(self, database_url: str, data_dir: Path, workers: int = 2):
        self.port = free_port()
        self.env = {
            **os.environ,
            "MOCKARRAY_DATABASE_URL": database_url,
            "MOCKARRAY_DATA_DIR": str(data_dir),
            "MOCKARRAY_BIND": f"127.0.0.1:{self.port}",
            "MOCKARRAY_WORKERS": str(workers),
        }
        self.process: subprocess.Popen | None = None
        self.error_log = data_dir / "gunicorn.err"
        data_dir.mkdir(parents=True, exist_ok=True)

    def errors(self) -> str:
        """What gunicorn and the app printed: shown when a live test fails."""
        return self.error_log.read_text() if self.error_log.exists() else ""

    def start(self, *, ready: Callable[[], bool] | None = None) -> Gunicorn:
        """Start it and wait until ``ready()`` (default: ``GET /info`` answers 200)."""
        ready = ready or (lambda: self.call("GET", "/info")[0] == 200)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.error_log.open("a"),
            # Its own process group, so that ``crash`` can kill the workers too.
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited: {self.errors()}")
            try:
                if ready():
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("gunicorn did not answer within 30 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        self.process = None

    def discard(self) -> None:
        """Gone at once, at the end of a test: nothing of it is looked at again, and a
        graceful stop (``stop``) takes gunicorn a second."""
        self.crash()

    def crash(self) -> None:
        """SIGKILL the master and every worker at once, as a power cut would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None

    def fetch(self, path: str, headers=None) -> tuple[int, dict[str, str], bytes]:
        """``GET`` any path (``/mockarray/api/metrics``) on a new connection: status,
        headers and the raw body."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def call(self, method: str, path: str, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{PREFIX}{path}",
            data=data,
            method=method,
            headers={
                "Accept": "application/json",
                "Content-Type": "application/json",
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def login(self, hostname: str = "alpha.lab.test") -> dict[str, str]:
        status, body = self.call(
            "POST", "/session", {"hostname": hostname}, basic_auth("admin", PASSWORD)
        )
        assert status == 201, body
        return {SESSION_HEADER: body["sessionId"]}
