"""Against a real gunicorn: killed with SIGKILL in the middle of a stream of writes.

Every write the server acknowledged (a ``201`` for a snapshot) must be there
after a restart: an answered call is on disk. Two rounds in ``make test``;
for a longer run, ask for more rounds:
``MOCKARRAY_CRASH_ROUNDS=50 .venv/bin/pytest tests/test_live_crash.py``.
"""

from __future__ import annotations

import http.client
import os
import threading
import time

import pytest

from tests.support.live import Gunicorn

pytestmark = pytest.mark.live

ROUNDS = int(os.environ.get("MOCKARRAY_CRASH_ROUNDS", "2"))


@pytest.fixture
def server(app, migrated, tmp_path):
    gunicorn = Gunicorn(migrated, tmp_path / "live")
    yield gunicorn
    gunicorn.crash()


def write_until_killed(server: Gunicorn, session, volume: str, tag: str) -> list[str]:
    """Take snapshots one after another until the server stops answering; the
    names it acknowledged."""
    acknowledged: list[str] = []
    number = 0
    while True:
        name = f"{tag}-{number}"
        try:
            status, _ = server.call(
                "POST", f"/server/0/volume/{volume}/snapshot", {"name": name}, session
            )
        except (OSError, http.client.HTTPException):
            # Killed before or while answering (an answer cut short is not counted).
            return acknowledged
        if status == 201:
            acknowledged.append(name)
        number += 1


def test_no_acknowledged_write_is_lost_to_a_sigkill(lab, server):
    lab.standard()
    server.start()
    session = server.login()
    _, volumes = server.call("GET", "/server/0/volume", headers=session)
    volume = next(v["id"] for v in volumes["volumes"] if v["name"] == "vol2")

    for round_number in range(ROUNDS):
        result: list[str] = []
        writer = threading.Thread(
            target=lambda tag, into: into.extend(write_until_killed(server, session, volume, tag)),
            args=(f"crash{round_number}", result),
        )
        writer.start()
        time.sleep(0.5 + 0.3 * round_number)
        server.crash()
        writer.join(timeout=60)
        assert result, "no write was acknowledged before the kill"

        server.start()
        status, body = server.call("GET", f"/server/0/volume/{volume}/snapshot", headers=session)
        assert status == 200, body
        kept = {snapshot["name"] for snapshot in body["snapshots"]}
        lost = [name for name in result if name not in kept]
        assert not lost, f"round {round_number}: acknowledged but lost: {lost}"
