"""Against a real gunicorn with several workers: restarts and concurrency."""

from __future__ import annotations

import http.client
import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from mockarray.array.models import PluginSession
from mockarray.config.serving import KEEPALIVE_REQUESTS, THREADS
from mockarray.lab import faults as lab_faults
from tests.support.api import CONTROL, PASSWORD, basic_auth
from tests.support.live import Gunicorn

pytestmark = pytest.mark.live


@pytest.fixture
def server(app, migrated, tmp_path):
    gunicorn = Gunicorn(migrated, tmp_path / "live")
    yield gunicorn
    gunicorn.discard()


def test_state_and_sessions_survive_a_restart(lab, server):
    lab.standard()
    server.start()
    session = server.login()
    status, before = server.call("GET", "/server/0/volume", headers=session)
    assert status == 200 and len(before["volumes"]) == 3

    server.stop()
    server.start()

    status, after = server.call("GET", "/server/0/volume", headers=session)
    assert status == 200
    assert after == before


def test_a_connection_is_kept_alive_for_a_hundred_calls(server):
    server.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for number in range(1, KEEPALIVE_REQUESTS + 1):
            connection.request("GET", "/storageplugin/api/info")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            if number == 1:
                kept = connection.sock
            closing = response.getheader("Connection") == "close"
            assert closing == (number == KEEPALIVE_REQUESTS), number
            if not closing:
                assert connection.sock is kept, f"call {number} came on a new connection"
    finally:
        connection.close()


def test_concurrent_logins_and_reads_across_workers(lab, server, database):
    lab.standard()
    server.start()
    session = server.login()

    def one_client(number: int) -> list[int]:
        statuses = []
        for _ in range(5):
            statuses.append(
                server.call(
                    "POST",
                    "/session",
                    {"hostname": "alpha.lab.test"},
                    basic_auth("admin", PASSWORD),
                )[0]
            )
            statuses.append(server.call("GET", "/server/0/volume", headers=session)[0])
            statuses.append(server.call("GET", "/server/0/system", headers=session)[0])
        return statuses

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [status for statuses in pool.map(one_client, range(8)) for status in statuses]

    assert sorted(set(results)) == [200, 201], server.errors()
    with database.transaction(write=False) as db:
        assert db.scalar(select(func.count()).select_from(PluginSession)) == 1 + 8 * 5


def test_a_control_call_answers_at_once_while_delayed_plugin_calls_sleep(lab, server, database):
    """Injected delays never starve the control plane (docs/ci.md): more delayed
    calls than the server has threads are in flight, and the control plane and
    an undelayed call still answer at once."""
    lab.standard()
    with database.transaction() as session:
        lab_faults.add_rule(session, method="GET", path="/server/*", delay_ms=(2000, 2000))
    server.start()
    session = server.login()
    in_flight = 2 * THREADS * 2  # twice what two workers have threads for

    def delayed(_: int) -> int:
        return server.call("GET", "/server/0/volume", headers=session)[0]

    with ThreadPoolExecutor(max_workers=in_flight) as pool:
        calls = [pool.submit(delayed, n) for n in range(in_flight)]
        time.sleep(0.5)  # they are all sleeping in the fault's delay by now
        started = time.monotonic()
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.port}{CONTROL}/faults",
            headers={"Accept": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
            (rule,) = json.loads(response.read())["faults"]
        control_s = time.monotonic() - started
        started = time.monotonic()
        assert server.call("GET", "/info")[0] == 200
        info_s = time.monotonic() - started
        statuses = [call.result() for call in calls]
    assert statuses == [200] * in_flight
    assert rule["delayMs"] == 2000
    assert control_s < 1.0, server.errors()
    assert info_s < 1.0, server.errors()
