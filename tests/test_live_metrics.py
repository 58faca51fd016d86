"""Health and Prometheus metrics against a real gunicorn with 2 workers: the
per-call counts of every worker add up exactly, whichever worker is scraped,
a worker that exits included; the health check answers 200 on a migrated
database and 503 on an unmigrated one."""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from mockarray.config.serving import METRICS_DIR
from mockarray.lab import faults as lab_faults
from tests.support.api import CONTROL
from tests.support.live import Gunicorn

pytestmark = pytest.mark.live

WORKERS = 2
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0;q=0.5,"
    "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
)
LIST = {"operation": "/server/{sid}/volume", "method": "GET"}


@pytest.fixture
def server(app, migrated, tmp_path):
    gunicorn = Gunicorn(migrated, tmp_path / "live", workers=WORKERS)
    yield gunicorn
    gunicorn.discard()


def scrape(server: Gunicorn) -> dict[tuple[str, frozenset], float]:
    """Every sample of ``GET /metrics``, by name and labels."""
    status, headers, body = server.fetch(f"{CONTROL}/metrics", {"Accept": PROMETHEUS_ACCEPT})
    assert status == 200, (body, server.errors())
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def workers_of(server: Gunicorn) -> set[int]:
    """The pids of the master's workers (Linux: /proc)."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(child) for child in children}


def wait_for_workers(server: Gunicorn, gone: int) -> set[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = workers_of(server)
        if len(workers) == WORKERS and gone not in workers:
            return workers
        time.sleep(0.1)
    raise AssertionError(f"no new worker: {server.errors()}")


def calls(server: Gunicorn, session: dict, count: int) -> list[int]:
    """``count`` volume lists, 8 at a time, each on a new connection (so both
    workers answer some)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(
            pool.map(
                lambda _: server.call("GET", "/server/0/volume", headers=session)[0],
                range(count),
            )
        )


def test_every_workers_calls_add_up_exactly_a_restarted_workers_too(lab, server, database):
    lab.standard()
    server.start()
    session = server.login()
    metrics_dir = server.env["MOCKARRAY_DATA_DIR"] + "/" + METRICS_DIR

    # Which worker accepts a connection is the kernel's choice: call until both did.
    made = 0
    counted_by: set[int] = set()
    while len(counted_by) < WORKERS and made < 600:
        assert calls(server, session, 20) == [200] * 20
        made += 20
        counted_by = {
            int(name.stem.rsplit("_", 1)[1]) for name in Path(metrics_dir).glob("counter_*")
        }
    assert len(counted_by) == WORKERS, "both workers answered calls and counted them"

    # A worker exits (gunicorn starts another): what it counted still counts.
    gone = min(workers_of(server))
    os.kill(gone, signal.SIGTERM)
    wait_for_workers(server, gone)

    with database.transaction() as db:
        lab_faults.add_rule(db, method="GET", path="/server/*/volume", status=503, times=5)
    statuses = calls(server, session, 60)
    assert sorted(statuses) == [200] * 55 + [503] * 5

    # Whichever worker answers the scrape, the totals are the same, and exact.
    for _ in range(6):
        samples = scrape(server)
        assert value(samples, "mockarray_plugin_calls_total", **LIST, status="200") == made + 55
        assert value(samples, "mockarray_plugin_calls_total", **LIST, status="503") == 5
        assert value(samples, "mockarray_plugin_faults_injected_total", **LIST) == 5
        assert value(samples, "mockarray_plugin_call_duration_seconds_count", **LIST) == made + 60
        assert (
            value(samples, "mockarray_plugin_call_duration_seconds_bucket", **LIST, le="+Inf")
            == made + 60
        )
        assert value(samples, "mockarray_fault_rule_applications") == 5
        assert value(samples, "mockarray_arrays") == 2
        assert value(samples, "mockarray_database_up") == 1


def test_a_new_server_counts_from_zero_and_is_healthy_on_a_migrated_database(lab, server):
    lab.standard()
    server.start()
    session = server.login()
    assert calls(server, session, 4) == [200] * 4
    server.stop()
    server.start()
    samples = scrape(server)
    assert value(samples, "mockarray_plugin_calls_total", **LIST, status="200") == 0

    status, _, body = server.fetch(f"{CONTROL}/health")
    assert status == 200, body
    answer = json.loads(body)
    assert (answer["status"], answer["database"], answer["arrays"]) == ("ok", "reachable", 2)
    assert answer["schema"].endswith("(head)")


def test_health_is_503_on_an_unmigrated_database(app, tmp_path):
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    server = Gunicorn(empty, tmp_path / "live", workers=WORKERS)
    try:
        server.start(ready=lambda: server.fetch(f"{CONTROL}/health")[0] == 503)
        status, _, body = server.fetch(f"{CONTROL}/health")
        answer = json.loads(body)
        assert status == 503
        assert answer["status"] == "unavailable"
        assert answer["schema"].startswith("none")
        assert "mockarray db upgrade" in answer["reason"]
    finally:
        server.discard()
