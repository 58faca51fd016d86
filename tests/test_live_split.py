"""Against a real gunicorn: a split survives a restart, and concurrent writes
across workers are decided by the database (``200`` or ``409``, never ``500``)."""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.lab import array_doc
from tests.support.live import Gunicorn

pytestmark = pytest.mark.live

GiB = 2**30
#: The standard lab's clone shares 10 GiB with its snapshot; split it in about 4 s.
CLONE_SHARED = 10 * GiB
SPLIT_SECONDS = 4
CLIENTS = 8


@pytest.fixture(scope="module")
def gunicorn(migrated, tmp_path_factory):
    """gunicorn with two workers, splitting the standard clone in ``SPLIT_SECONDS``;
    one for the module, as starting and stopping it takes most of a test's time."""
    server = Gunicorn(migrated, tmp_path_factory.mktemp("live"), workers=2)
    server.env["MOCKARRAY_SPLIT_RATE"] = str(CLONE_SHARED // SPLIT_SECONDS)
    yield server
    server.discard()


@pytest.fixture
def live(app, gunicorn):
    """The running server (each test seeds its own lab; ``app`` empties it after)."""
    if gunicorn.process is None:
        gunicorn.start()
    return gunicorn


def ids(live: Gunicorn, session: dict, path: str, key: str) -> dict[str, str]:
    """``{name: id}`` of a list."""
    status, body = live.call("GET", path, headers=session)
    assert status == 200, body
    return {item["name"]: item["id"] for item in body[key]}


def all_at_once(calls: list) -> list[tuple[int, object]]:
    """Run the calls from ``len(calls)`` threads released together; their answers."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def only_200_or_409(live: Gunicorn, results: list[tuple[int, object]]) -> None:
    statuses = [status for status, _ in results]
    assert set(statuses) <= {200, 409}, (results, live.errors())
    assert 200 in statuses, results
    for status, body in results:
        if status == 409:
            assert body["code"] == 409 and body["message"], body


# -- a split survives a restart -------------------------------------------------------------


def test_a_split_continues_across_a_restart_and_then_frees_its_snapshot(lab, live):
    lab.standard()
    session = live.login()
    volumes = ids(live, session, "/server/0/volume", "volumes")
    vol1, clone = volumes["vol1"], volumes["vol1-clone"]
    snapshot = ids(live, session, f"/server/0/volume/{vol1}/snapshot", "snapshots")["vol1.snap2"]
    snapshot_path = f"/server/0/volume/{vol1}/snapshot/{snapshot}"

    def progress() -> tuple[int, bool]:
        status, body = live.call("GET", f"/server/0/volume/{clone}/splitstatus", headers=session)
        assert status == 200, (body, live.errors())
        return body["percentageComplete"], body["complete"]

    status, body = live.call("POST", f"/server/0/volume/{clone}?action=split", headers=session)
    started = time.monotonic()
    assert status == 200, (body, live.errors())
    assert body["complete"] is False and body["percentageComplete"] < 100
    status, body = live.call("DELETE", snapshot_path, headers=session)
    assert status == 409 and "vol1-clone" in body["message"], body

    # Stop the server part-way through the split.
    deadline = started + SPLIT_SECONDS
    seen = progress()
    while seen[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
        seen = progress()
    assert 0 < seen[0] < 100 and not seen[1], seen
    live.stop()
    live.start()

    asked = time.monotonic()
    after = progress()
    # Not reset: at least what it was, and at least what the time since the split gives.
    elapsed_share = math.floor((asked - started) / SPLIT_SECONDS * 100)
    assert after[0] >= max(seen[0], min(elapsed_share, 100) - 1), (seen, after, elapsed_share)

    # It goes on growing, whichever worker answers, until complete.
    history = [seen, after]
    while not history[-1][1]:
        assert time.monotonic() < started + SPLIT_SECONDS + 10, history
        time.sleep(0.2)
        history.append(progress())
    percentages = [percentage for percentage, _ in history]
    assert percentages == sorted(percentages), history
    assert history[-1] == (100, True)

    status, body = live.call("DELETE", snapshot_path, headers=session)
    assert status == 204, (body, live.errors())
    assert "vol1.snap2" not in ids(live, session, f"/server/0/volume/{vol1}/snapshot", "snapshots")


# -- concurrent writes across workers --------------------------------------------------------


def test_concurrent_maps_to_one_host_get_distinct_lun_numbers(lab, live):
    lab.seed(
        array_doc(
            "alpha",
            1,
            servers=[
                {
                    "pools": [{"name": "pool1", "capacity": "1TiB"}],
                    "volumes": [{"name": f"disk{i}", "size": "10GiB"} for i in range(CLIENTS)],
                    "hosts": [{"name": "esx", "iqns": ["iqn.1998-01.com.vmware:esx"]}],
                }
            ],
        )
    )
    session = live.login()
    volumes = ids(live, session, "/server/0/volume", "volumes")
    host = ids(live, session, "/server/0/host", "hosts")["esx"]

    def mapper(volume_id: str):
        def call():
            return live.call(
                "POST", f"/server/0/host/{host}?action=map", {"volumeId": volume_id}, session
            )

        return call

    results = all_at_once([mapper(volume_id) for volume_id in volumes.values()])
    only_200_or_409(live, results)
    mapped = {body["volumeId"]: body["lunNumber"] for status, body in results if status == 200}
    assert len(set(mapped.values())) == len(mapped), results

    def host_luns() -> dict[str, int]:
        status, body = live.call("GET", f"/server/0/host/{host}/lun", headers=session)
        assert status == 200, body
        return {lun["volumeId"]: lun["lunNumber"] for lun in body["luns"]}

    # What was answered is what the host shows; a loser left nothing behind.
    assert host_luns() == mapped
    status, body = live.call("GET", f"/server/0/host/{host}", headers=session)
    assert status == 200 and len(body["mappedLunIds"]) == len(mapped), body

    # The losers, retried one by one, take the numbers left: 0..7 in all.
    for volume_id in volumes.values():
        if volume_id not in mapped:
            status, body = mapper(volume_id)()
            assert status == 200, body
    assert sorted(host_luns().values()) == list(range(CLIENTS))


def test_concurrent_creations_of_one_host_make_exactly_one(lab, live):
    lab.standard()
    session = live.login()
    request = {
        "name": "esx-new",
        "iqns": ["iqn.1998-01.com.vmware:esx-new"],
        "wwns": ["21:00:00:24:ff:4a:7b:99"],
    }

    def create():
        return live.call("POST", "/server/0/host", request, session)

    results = all_at_once([create] * CLIENTS)
    only_200_or_409(live, results)
    created = {body["id"] for status, body in results if status == 200}
    assert len(created) == 1, results

    status, body = live.call("GET", "/server/0/host", headers=session)
    assert status == 200
    named = [host for host in body["hosts"] if host["name"] == "esx-new"]
    assert [host["id"] for host in named] == list(created)
    assert named[0]["iqns"] == request["iqns"] and named[0]["wwns"] == request["wwns"]
    # A retry now answers the same host.
    status, body = create()
    assert status == 200 and body["id"] in created, body
