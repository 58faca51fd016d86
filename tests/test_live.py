"""Against a real gunicorn with several workers: restarts and concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from mockarray.array.models import PluginSession
from tests.support.api import PASSWORD, basic_auth
from tests.support.live import Gunicorn

pytestmark = pytest.mark.live


@pytest.fixture
def server(app, migrated, tmp_path):
    gunicorn = Gunicorn(migrated, tmp_path / "live")
    yield gunicorn
    gunicorn.stop()


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
