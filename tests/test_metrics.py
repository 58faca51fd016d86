"""``GET /mockarray/api/metrics`` through the test client (in-memory metrics):
what each plugin call adds, with bounded labels; the lab's gauges; access,
media types and the document; the gunicorn hooks that set up multiprocess
mode, and that mode in processes of their own (``test_live_metrics`` runs it
under gunicorn)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event

from mockarray import create_app
from mockarray.config.serving import METRICS_DIR, MULTIPROCESS_DIR_VARIABLE, gunicorn_settings
from tests.support.api import CONTROL, PREFIX
from tests.support.checks import assert_error, ok
from tests.support.live import ROOT

METRICS = f"{CONTROL}/metrics"
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0;q=0.5,"
    "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
)
VOLUME = "/server/{sid}/volume/{vid}"


def scrape(client, **kwargs) -> dict[tuple[str, frozenset], float]:
    kwargs.setdefault("headers", {"Accept": PROMETHEUS_ACCEPT})
    response = client.get(METRICS, **kwargs)
    assert response.status_code == 200, response.get_data(True)
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def calls(samples, operation: str, method: str, status: int) -> float:
    labels = {"operation": operation, "method": method, "status": str(status)}
    return value(samples, "mockarray_plugin_calls_total", **labels)


def test_each_call_is_counted_by_operation_method_and_status(client, api, ref):
    before = scrape(client)
    for _ in range(3):
        ok(api.get("/server/0/volume"))
    ok(api.get(f"/server/0/volume/{ref['vol1']}"))
    assert_error(api.get("/server/0/volume/999999"), 404)
    after = scrape(client)

    def added(operation: str, method: str, status: int) -> float:
        return calls(after, operation, method, status) - calls(before, operation, method, status)

    assert added("/server/{sid}/volume", "GET", 200) == 3
    assert added(VOLUME, "GET", 200) == 1
    assert added(VOLUME, "GET", 404) == 1
    duration = "mockarray_plugin_call_duration_seconds_count"
    labels = {"operation": VOLUME, "method": "GET"}
    assert value(after, duration, **labels) - value(before, duration, **labels) == 2


def test_labels_name_routes_and_declared_actions_never_raw_paths_or_spellings(client, api, ref):
    before = scrape(client)
    for spelling in ("split", "SPLIT", "Split_"):
        api.post(f"/server/0/volume/{ref['clone']}?action={spelling}")
    assert_error(api.post(f"/server/0/volume/{ref['vol1']}?action=no-such-thing"), 400)
    after = scrape(client)
    operations = {dict(labels).get("operation") for _, labels in after} - {None}
    assert f"{VOLUME}?action=split" in operations
    assert f"{VOLUME}?action=(unknown)" in operations
    assert not any(ref["vol1"] in op or "SPLIT" in op or "no-such" in op for op in operations)
    split = [
        calls(after, f"{VOLUME}?action=split", "POST", status)
        - calls(before, f"{VOLUME}?action=split", "POST", status)
        for status in (200, 409)
    ]
    assert sum(split) == 3
    assert calls(after, f"{VOLUME}?action=(unknown)", "POST", 400) >= 1


def test_injected_faults_are_counted_with_their_status_and_delay(client, api):
    before = scrape(client)
    rule = {"path": "/server/*/volume", "status": 503, "delayMs": 60, "times": 2}
    ok(client.post(f"{CONTROL}/faults", json=rule, headers={"Accept": "application/json"}), 201)
    statuses = [api.get("/server/0/volume").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    after = scrape(client)
    labels = {"operation": "/server/{sid}/volume", "method": "GET"}
    faults = "mockarray_plugin_faults_injected_total"
    assert value(after, faults, **labels) - value(before, faults, **labels) == 2
    assert calls(after, *labels.values(), 503) - calls(before, *labels.values(), 503) == 2
    seconds = "mockarray_plugin_call_duration_seconds_sum"
    assert value(after, seconds, **labels) - value(before, seconds, **labels) >= 0.12
    assert value(after, "mockarray_fault_rules_active") == 0
    assert value(after, "mockarray_fault_rule_applications") == 2


def test_the_lab_gauges_come_from_the_database(client, api, ref):
    samples = scrape(client)
    assert value(samples, "mockarray_arrays") == 2
    volumes = len(ok(api.get("/server/0/volume"))["volumes"])
    assert value(samples, "mockarray_volumes") >= volumes
    assert value(samples, "mockarray_database_up") == 1
    assert value(samples, "mockarray_long_tasks_running", kind="split") == 0

    ok(api.post(f"/server/0/volume/{ref['clone']}?action=split"))
    headers = {"Accept": "application/json"}
    ok(client.post(f"{CONTROL}/faults", json={"status": 500}, headers=headers), 201)
    samples = scrape(client)
    assert value(samples, "mockarray_long_tasks_running", kind="split") == 1
    assert value(samples, "mockarray_long_tasks_running", kind="replication") == 0
    assert value(samples, "mockarray_fault_rules_active") == 1
    assert value(samples, "mockarray_journal_entries") >= 2

    client.post(f"{CONTROL}/clock/finish", headers=headers, content_type="application/json")
    samples = scrape(client)
    assert value(samples, "mockarray_long_tasks_running", kind="split") == 0


def test_a_scrape_is_two_queries_and_writes_nothing(app, client, lab):
    lab.standard()
    scrape(client)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement.split()[0].upper())

    engine = app.extensions["mockarray.db"].engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        scrape(client)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [s for s in statements if s != "BEGIN"] == ["SELECT", "SELECT"], statements


def test_without_the_database_the_call_metrics_are_still_served(tmp_path):
    missing = tmp_path / "no" / "such" / "folder" / "lab.db"
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{missing}", "DATA_DIR": str(tmp_path), "TESTING": True}
    )
    client = app.test_client()
    client.get(f"{PREFIX}/info", headers={"Accept": "application/json"})
    samples = scrape(client)
    app.extensions["mockarray.db"].dispose()
    assert value(samples, "mockarray_database_up") == 0
    assert ("mockarray_arrays", frozenset()) not in samples
    assert calls(samples, "/info", "GET", 503) == 1


def test_metrics_are_guarded_like_the_rest_of_the_control_plane(app, client):
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    assert_error(client.get(METRICS, environ_base=remote), 403)
    app.config["ADMIN_TOKEN"] = "s3cret"
    assert_error(client.get(METRICS, environ_base=remote), 401)
    bearer = {"Accept": PROMETHEUS_ACCEPT, "Authorization": "Bearer s3cret"}
    assert value(scrape(client, headers=bearer, environ_base=remote), "mockarray_arrays") == 0


@pytest.mark.parametrize("accept", ["text/plain", "*/*", "text/*", None])
def test_metrics_answer_text_to_what_admits_it(client, accept):
    headers = {"Accept": accept} if accept else {}
    response = client.get(METRICS, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"


def test_metrics_refuse_an_accept_without_text_in_the_json_shape(client):
    response = client.get(METRICS, headers={"Accept": "application/json"})
    assert_error(response, 415, "text/plain")


def test_the_document_lists_metrics_as_text(client):
    document = ok(client.get(f"{CONTROL}/openapi.json"))
    operation = document["paths"][METRICS]["get"]
    assert list(operation["responses"]["200"]["content"]) == ["text/plain"]
    assert {"401", "403", "415"} <= set(operation["responses"])


# -- multiprocess mode ------------------------------------------------------------------------


def test_the_gunicorn_settings_keep_the_metrics_in_the_data_dir(tmp_path, monkeypatch):
    # The hook names the folder in the environment: restored after the test.
    monkeypatch.setenv(MULTIPROCESS_DIR_VARIABLE, "elsewhere")
    config = {"BIND": "127.0.0.1:1", "WORKERS": 2, "LOG_LEVEL": "INFO", "DATA_DIR": str(tmp_path)}
    settings = gunicorn_settings(config)
    metrics_dir = tmp_path / METRICS_DIR
    metrics_dir.mkdir()
    (metrics_dir / "counter_123.db").write_bytes(b"stale")
    settings["on_starting"](None)
    assert os.environ[MULTIPROCESS_DIR_VARIABLE] == str(metrics_dir)
    assert list(metrics_dir.iterdir()) == []
    settings["child_exit"](None, type("Worker", (), {"pid": 123})())


WORKER = textwrap.dedent(
    """
    import os, sys
    import prometheus_client  # imported before the folder is named, as a master may
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = sys.argv[2]
    from mockarray import create_app
    app = create_app({"DATABASE_URL": sys.argv[1], "DATA_DIR": sys.argv[3]})
    client = app.test_client()
    for _ in range(int(sys.argv[4])):
        client.get("/storageplugin/api/info")
    sys.stdout.write(client.get("/mockarray/api/metrics").get_data(as_text=True))
    """
)


def test_processes_sharing_the_folder_add_up(migrated, tmp_path):
    """Two processes (as two workers) count into one folder; each one's scrape
    has both counts, though prometheus_client was imported before the folder
    was named."""
    metrics_dir = tmp_path / METRICS_DIR
    metrics_dir.mkdir()
    outputs = []
    for count in (3, 4):
        done = subprocess.run(
            [sys.executable, "-c", WORKER, migrated, str(metrics_dir), str(tmp_path), str(count)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env={k: v for k, v in os.environ.items() if k != MULTIPROCESS_DIR_VARIABLE},
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert len(list(metrics_dir.glob("counter_*.db"))) == 2
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(outputs[-1])
        for sample in family.samples
    }
    assert calls(samples, "/info", "GET", 200) == 3 + 4
