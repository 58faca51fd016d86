"""Against a real gunicorn with 4 workers: races for the last free space of a pool.

A pool has exactly 1 GiB free; 8 clients at once clone a 1 GiB volume with
``instantSplit`` (each clone needs its own 1 GiB). Exactly one may win; the
others answer ``507`` and the pool never goes below zero. On PostgreSQL the
pool's row is locked while its free space is checked and taken; SQLite
serializes writers. Several rounds, each starting from the same free space.
"""

from __future__ import annotations

import threading

import pytest

from tests.support.lab import array_doc
from tests.support.live import Gunicorn

pytestmark = pytest.mark.live

GiB = 2**30
CALLERS = 8
ROUNDS = 4


@pytest.fixture
def server(app, migrated, tmp_path):
    gunicorn = Gunicorn(migrated, tmp_path / "live", workers=4)
    yield gunicorn
    gunicorn.discard()


def tight_pool_lab() -> dict:
    """A 2 GiB pool holding a thin volume with 1 GiB written: 1 GiB free."""
    server = {
        "pools": [{"name": "tight", "capacity": "2GiB"}],
        "volumes": [
            {
                "name": "data",
                "size": "1GiB",
                "used": "1GiB",
                "snapshots": [{"name": "data.snap"}],
            }
        ],
    }
    return array_doc("alpha", servers=[server])


def pool_free(server: Gunicorn, session) -> int:
    status, body = server.call("GET", "/server/0/pool", headers=session)
    assert status == 200, body
    return body["pools"][0]["freeSpace"]


def test_the_last_free_gibibyte_goes_to_exactly_one_clone(lab, server):
    lab.seed(tight_pool_lab())
    server.start()
    session = server.login()
    status, volumes = server.call("GET", "/server/0/volume", headers=session)
    volume = volumes["volumes"][0]["id"]
    status, snapshots = server.call("GET", f"/server/0/volume/{volume}/snapshot", headers=session)
    snapshot = snapshots["snapshots"][0]["id"]
    assert pool_free(server, session) == GiB

    for round_number in range(ROUNDS):
        answers = race(server, session, volume, snapshot, round_number)
        statuses = sorted(status for status, _ in answers)
        assert statuses == [200] + [507] * (CALLERS - 1), (round_number, answers, server.errors())
        assert pool_free(server, session) == 0
        winner = next(body["id"] for status, body in answers if status == 200)
        status, _ = server.call("DELETE", f"/server/0/volume/{winner}", headers=session)
        assert status == 200
        assert pool_free(server, session) == GiB


def race(server: Gunicorn, session, volume: str, snapshot: str, round_number: int) -> list:
    """CALLERS clients clone at the same moment; their answers."""
    start = threading.Barrier(CALLERS)
    answers: list[tuple[int, dict]] = [(0, {})] * CALLERS

    def clone(number: int) -> None:
        start.wait()
        answers[number] = server.call(
            "POST",
            f"/server/0/volume/{volume}?action=clone",
            {
                "name": f"race-{round_number}-{number}",
                "snapshot": {"id": snapshot},
                "instantSplit": True,
            },
            session,
        )

    threads = [threading.Thread(target=clone, args=(n,)) for n in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers
