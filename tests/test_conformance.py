"""``mockarray conformance`` against the demo lab, in-process (``mockarray.client``'s
Flask transport): every check passes read-only and with ``--write``, and the
mutating checks leave the lab as they found it. Against a deliberately broken
server (answers rewritten on their way out, a fault rule) exactly the named
checks fail and the exit status says so; the JUnit file is read back with
``xml.etree``. Over real HTTP, from the installed wheel: ``test_install.py``."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from mockarray.cli import conformance as command
from mockarray.cli.testing import MockarrayRunner
from mockarray.client import ControlClient, FlaskTransport, PluginClient
from mockarray.conformance import FAIL, INFO, PASS, PREFIX, SKIP, Login, run, select
from mockarray.conformance.framework import conformance_of
from mockarray.conformance.guide import POOL, VOLUME
from mockarray.lab.seeding.loader import demo_fixture_text

PASSWORD = "passw0rd"
DEMO = Login("alpha.lab.example", None, 8443, "admin", PASSWORD)
CLI_LOGIN = ["--url", "http://plugin.example:8080", "--hostname", "alpha.lab.example"]
CLI_LOGIN += ["--port", "8443", "--username", "admin", "--password", PASSWORD]


@pytest.fixture
def demo(app, client, lab) -> FlaskTransport:
    """The demo lab, its long tasks finishing at once (the checks poll all the same)."""
    lab.seed(*yaml.safe_load(demo_fixture_text())["arrays"])
    ControlClient(FlaskTransport(client)).set_clock(instant=True)
    return FlaskTransport(client)


def failed(result) -> dict[str, str]:
    """Each failed check with its message and exchange, for an assertion's message."""
    return {r.name: f"{r.message} {r.exchange}" for r in result.results if r.outcome == FAIL}


def everything_on(transport, login: str) -> dict:
    """Every object of every server of an array, as the plugin API lists them."""
    plugin = PluginClient(transport)
    plugin.login(login, "admin", PASSWORD)
    seen = {}
    for server in plugin.storage()["serverIds"]:
        for resource in ("volumes", "hosts", "luns", "consistency_groups"):
            seen[server, resource] = sorted(
                (item["name"], json.dumps(item, sort_keys=True))
                for item in getattr(plugin, resource)(server=server)
            )
        for volume in plugin.volumes(server=server):
            seen[server, volume["name"]] = sorted(
                s["name"] for s in plugin.snapshots(volume["id"], server=server)
            )
    return seen


def test_the_demo_lab_conforms_read_only_and_with_write_and_is_left_as_it_was(demo):
    before = everything_on(demo, "alpha.lab.example")

    read_only = run(demo, DEMO, select())
    assert read_only.passed, failed(read_only)
    assert not any(r.name.endswith((".lifecycle", ".map", ".split")) for r in read_only.results)

    written = run(demo, DEMO, select(write=True), timeout_s=20)
    assert written.passed, failed(written)
    outcomes = {r.name: r.outcome for r in written.results}
    for name in (
        "snapshot.lifecycle",
        "volume.clone.lifecycle",
        "volume.split",
        "volume.restore",
        "volume.restore_to_new",
        "host.map",
        "consistencygroup.membership",
        "consistencygroup.snapshot",
        "snapshot.replication.progress",
    ):
        assert outcomes[name] in (PASS, INFO), (name, outcomes[name])
    # The demo lab has one host group, one consistency group and one remote array.
    assert {n for n, o in outcomes.items() if o == SKIP} == {
        "hostgroup.list.pagination",
        "consistencygroup.list.pagination",
        "remotearray.list.pagination",
    }
    # Readings of ambiguous passages are information, not failures.
    notes = {r.name: r.notes for r in written.results if r.outcome == INFO}
    assert notes["host.luns.fields"] == ['GET …/host/<host_id>/lun answers {"luns": [mapping, …]}']
    assert "HTTP Basic" in notes["session.create"][0]

    # Every object the checks made is gone from alpha; only the replica on bravo,
    # which a session on alpha cannot reach, is reported as left behind.
    assert everything_on(demo, "alpha.lab.example") == before
    [left] = written.left_behind
    assert left.startswith(f"the replica of snapshot {PREFIX}snap-") and "partner" in left
    bravo = everything_on(demo, "bravo.lab.example")
    assert any(PREFIX in name for (_, name) in bravo)


def broken(wsgi_app):
    """A plugin with three slips on its way out: /storage without ``vendor``, every
    pool's ``freeSpace`` a word, and volume lists that ignore ``limit``/``start``."""

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        if path.endswith("/volume"):
            environ = {**environ, "QUERY_STRING": ""}
        answered = {}

        def keep(status, headers, exc_info=None):
            answered.update(status=status, headers=headers)

        chunks = wsgi_app(environ, keep)
        body = b"".join(chunks)
        getattr(chunks, "close", lambda: None)()
        if answered["status"].startswith("200"):
            if path.endswith("/storage"):
                body = rewritten(body, lambda storage: storage.pop("vendor"))
            elif "/pool" in path:
                body = rewritten(body, lambda doc: [p.update(freeSpace="lots") for p in pools(doc)])
        headers = [(k, v) for k, v in answered["headers"] if k.lower() != "content-length"]
        start_response(answered["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return app


def rewritten(body: bytes, change) -> bytes:
    document = json.loads(body)
    change(document)
    return json.dumps(document).encode()


def pools(document: dict) -> list[dict]:
    return document.get("pools", [document])


#: The checks the broken server must fail, and only those.
BROKEN = {
    "storage.fields",  # vendor missing
    "pool.list.fields",  # freeSpace not a number
    "pool.get.fields",
    "volume.list.pagination",  # limit and start ignored
    "network.get.fields",  # the fault rule: 500 for every network by id
    "network.get.unknown",
}


def test_a_broken_server_fails_the_named_checks_and_passes_the_others(
    app, demo, client, monkeypatch
):
    monkeypatch.setattr(app, "wsgi_app", broken(app.wsgi_app))
    ControlClient(FlaskTransport(client)).add_fault(
        method="GET", path="/server/*/network/*", status=500
    )
    result = run(demo, DEMO, select())
    assert set(failed(result)) == BROKEN, failed(result)
    by_name = {r.name: r for r in result.results}
    storage = by_name["storage.fields"]
    assert storage.message == "storage.vendor: missing"
    assert storage.exchange.method == "GET" and storage.exchange.target.endswith("/storage")
    assert storage.exchange.status == 200 and '"name": "alpha"' in storage.exchange.response_body
    assert (
        "pools[].freeSpace: expected a number, got a string" in by_name["pool.list.fields"].message
    )
    assert "limit=1&start=0: expected" in by_name["volume.list.pagination"].message
    assert by_name["network.get.unknown"].message == "expected 404, got 500"
    assert by_name["info.fields"].outcome == PASS and by_name["host.list.fields"].outcome == PASS


def other_readings(wsgi_app):
    """A plugin that reads the guide's ambiguous passages otherwise than mockarray:
    sizes quoted as the examples write them, a host's LUNs as a bare JSON array,
    201 for the log (its table says so) and 200 for a deleted snapshot."""

    def app(environ, start_response):
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        answered = {}

        def keep(status, headers, exc_info=None):
            answered.update(status=status, headers=headers)

        chunks = wsgi_app(environ, keep)
        body = b"".join(chunks)
        getattr(chunks, "close", lambda: None)()
        status = answered["status"]
        if status.startswith("200") and path.endswith("/volume"):
            body = rewritten(body, lambda doc: [quote_sizes(v) for v in doc["volumes"]])
        elif status.startswith("200") and path.endswith("/lun") and "/host/" in path:
            body = json.dumps(json.loads(body)["luns"]).encode()
        elif status.startswith("200") and path.endswith("/log"):
            status = "201 CREATED"
        elif status.startswith("204") and method == "DELETE":
            status = "200 OK"
        headers = [(k, v) for k, v in answered["headers"] if k.lower() != "content-length"]
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return app


def quote_sizes(volume: dict) -> None:
    volume["stats"] = {name: str(size) for name, size in volume["stats"].items()}


def test_other_readings_of_ambiguous_passages_pass_and_are_reported(app, demo, monkeypatch):
    monkeypatch.setattr(app, "wsgi_app", other_readings(app.wsgi_app))
    only = r"^(volume\.list\.fields|host\.luns\.fields|log\.zip|snapshot\.lifecycle)$"
    result = run(demo, DEMO, select(only, write=True))
    assert result.passed, failed(result)
    notes = {r.name: r.notes for r in result.results}
    assert {r.outcome for r in result.results} == {INFO}
    assert notes["volume.list.fields"] == [
        "volumes[].stats.size: a quoted number, as the guide's example writes it",
        "volumes[].stats.usedSize: a quoted number, as the guide's example writes it",
    ]
    assert notes["host.luns.fields"] == [
        "GET …/host/<host_id>/lun answers a JSON array of mappings"
    ]
    assert notes["log.zip"] == [
        "GET /log answered 201, as the guide's status table (a copy of Session's) says"
    ]
    assert notes["snapshot.lifecycle"] == [
        "DELETE of a snapshot answers 200 (the guide's table says 204)"
    ]


def test_what_a_check_could_not_remove_is_reported_with_the_answer(demo, client):
    ControlClient(FlaskTransport(client)).add_fault(method="DELETE", status=503, times=2)
    # The check's own delete of its clone, then the clean-up's, answer 503.
    result = run(demo, DEMO, select(r"^volume\.clone\.lifecycle$", write=True))
    [check] = result.results
    assert (check.outcome, check.message) == (FAIL, "expected 200 or 204, got 503")
    clone, snapshot = result.left_behind
    assert clone.startswith(f"volume {PREFIX}clone-") and " answered 503: " in clone
    # The snapshot the clone depends on could not go either: the server said why.
    assert snapshot.startswith(f"snapshot {PREFIX}snap-") and " answered 409: " in snapshot


def test_the_command_reports_failures_in_text_json_and_junit(
    app, demo, client, monkeypatch, tmp_path
):
    monkeypatch.setattr(command, "transport_for", lambda url, **_: demo)
    monkeypatch.setattr(app, "wsgi_app", broken(app.wsgi_app))
    runner = MockarrayRunner()

    text = runner.invoke(args=["conformance", *CLI_LOGIN, "--only", r"^(storage|pool)\."])
    assert text.exit_code == 1, text.output
    assert text.output.startswith("Conformance of http://plugin.example:8080 (alpha.lab.example)")
    assert "FAIL  storage.fields" in text.output and "PASS  storage.accept" in text.output
    assert "      storage.vendor: missing\n" in text.output
    assert "request: GET /storageplugin/api/storage\n" in text.output
    assert "answer:  200 {" in text.output
    assert "failed (" in text.output and "DOES NOT CONFORM." in text.output

    junit = tmp_path / "conformance.xml"
    args = ["conformance", *CLI_LOGIN, "--json", "--junit", str(junit), "--only", r"^pool\."]
    answered = runner.invoke(args=args)
    assert answered.exit_code == 1, answered.output
    document = json.loads(answered.output)
    assert document["passed"] is False
    assert document["counts"][FAIL] == 2
    outcomes = {r["name"]: r["outcome"] for r in document["results"]}
    assert outcomes["pool.list.fields"] == FAIL and outcomes["pool.list.unauthorized"] == PASS
    [listed] = [r for r in document["results"] if r["name"] == "pool.list.fields"]
    assert listed["exchange"]["status"] == 200 and listed["guide"] == "Pool"

    suite = ET.parse(junit).getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases) == len(document["results"])
    failures = [case for case in cases if case.find("failure") is not None]
    assert int(suite.get("failures")) == len(failures) == 2
    assert int(suite.get("skipped")) == sum(case.find("skipped") is not None for case in cases)
    assert {case.get("name") for case in failures} == {"pool.list.fields", "pool.get.fields"}
    assert all(case.get("classname") == "conformance.pool" for case in cases)
    failure = failures[0].find("failure")
    assert "freeSpace" in failure.get("message") and "GET /storageplugin/api" in failure.text


def test_the_command_passes_the_demo_lab(demo, monkeypatch, tmp_path):
    monkeypatch.setattr(command, "transport_for", lambda url, **_: demo)
    junit = tmp_path / "conformance.xml"
    done = MockarrayRunner().invoke(
        args=["conformance", *CLI_LOGIN, "--only", r"^(info|session|snapshot)\.", "--junit", junit]
    )
    assert done.exit_code == 0, done.output
    assert done.output.rstrip().endswith("CONFORMS.")
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("failures") == "0" and int(suite.get("tests")) > 10


def test_list_and_only_select_checks_by_name():
    runner = MockarrayRunner()
    listed = runner.invoke(args=["conformance", "--list"])
    assert listed.exit_code == 0, listed.output
    names = [line.split()[0] for line in listed.output.splitlines()]
    assert names == [check.name for check in select()]
    assert "snapshot.lifecycle" not in names and "volume.list.pagination" in names
    assert " read   Pagination: GET /server/<server_id>/volume honours limit" in listed.output

    written = runner.invoke(args=["conformance", "--list", "--write", "--only", r"lifecycle$"])
    assert [line.split()[0] for line in written.output.splitlines()] == [
        "volume.clone.lifecycle",
        "snapshot.lifecycle",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hostname", "a", "--username", "u", "--password", "p"], "Missing --url."),
        (["--url", "http://x", "--username", "u", "--password", "p"], "--hostname (or --ip)"),
        ([*CLI_LOGIN, "--only", "("], "not a regular expression"),
        ([*CLI_LOGIN, "--only", "nothing-is-called-so"], "no check's name matches"),
        ([*CLI_LOGIN[2:], "--url", "ftp://x"], "Not an http:// or https:// URL"),
    ],
)
def test_the_command_refuses_bad_options_clearly(args, message):
    done = MockarrayRunner().invoke(args=["conformance", *args])
    assert done.exit_code == 2 and message in done.output, done.output


def test_an_unreachable_server_is_a_clear_error():
    args = ["conformance", *CLI_LOGIN[2:], "--url", "http://127.0.0.1:9", "--timeout", "2"]
    done = MockarrayRunner().invoke(args=args)
    assert done.exit_code == 1
    assert done.output.startswith("Conformance of http://127.0.0.1:9"), done.output
    assert "Error: Cannot reach http://127.0.0.1:9: " in done.output


def test_a_refused_login_fails_clearly_and_shows_no_password(demo, monkeypatch):
    monkeypatch.setattr(command, "transport_for", lambda url, **_: demo)
    args = ["conformance", *CLI_LOGIN[:-1], "not-the-password"]
    done = MockarrayRunner().invoke(args=args)
    assert done.exit_code == 1, done.output
    assert "FAIL  session.open" in done.output
    assert "could not open a session (both ways of sending credentials)" in done.output
    assert '"password": "***"' in done.output and "not-the-password" not in done.output
    assert "answer:  401 {" in done.output


def test_quoted_numbers_and_flags_are_a_reading_other_strings_fail():
    volume = {
        "id": "7",
        "name": "v",
        "creationTime": "1700000000000",
        "poolId": "1",
        "volumeType": "thin",
        "stats": {"size": 10, "usedSize": "5"},
        "supports": {"revert": "true", "split": "ANY_TIME", "autoGrowVadpRep": False},
        "config": {"thinProvisioned": True},
    }
    problems, readings = conformance_of(volume, VOLUME, "volume")
    assert problems == []
    assert readings == [
        "volume.creationTime: a quoted number, as the guide's example writes it",
        "volume.serverGroupKey left out where it does not apply (the guide: 'if applicable')",
        "volume.stats.usedSize: a quoted number, as the guide's example writes it",
        "volume.supports.revert: a quoted boolean, as the guide's example writes it",
    ]
    volume["supports"]["split"] = "SOMETIMES"
    volume["config"]["thinProvisioned"] = "yes"
    problems, _ = conformance_of(volume, VOLUME, "volume")
    assert problems == [
        "volume.supports.split: expected one of NONE, ANY_TIME, NOT_NEEDED, FROM_SNAPSHOT, "
        "got 'SOMETIMES'",
        'volume.config.thinProvisioned: expected a boolean, got a string "yes"',
    ]
    assert conformance_of({"id": "1", "name": "p", "freeSpace": "1"}, POOL, "pool")[0] == [
        'pool.freeSpace: expected a number, got a string "1"'
    ]


def test_docs_conformance_md_lists_every_check():
    page = (Path(__file__).resolve().parent.parent / "docs" / "conformance.md").read_text()
    table = page.split("## Every check")[1]
    rows = re.findall(r"^\| `([a-z_.]+)` \| (write)? ?\|", table, re.M)
    assert rows == [(check.name, "write" if check.writes else "") for check in select(write=True)]
