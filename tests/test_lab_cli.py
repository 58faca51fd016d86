"""The lab-control commands, in-process (``mockarray.cli.testing``): ``checkpoint``,
``fault``, ``clock``, ``journal`` and ``write``.

Each command works on the database directly; what it does is checked through
the plugin API (``/storageplugin/api``) and the control plane, as a test run
would see it. The lab is ``tests.support.lab.Lab.standard`` (``alpha``, ``beta``).
"""

from __future__ import annotations

import json
import re
import time
from types import SimpleNamespace

import pytest

from mockarray.array import sessions
from mockarray.cli import journal as journal_module
from tests.support.api import PASSWORD, PREFIX, Api, control
from tests.support.checks import (
    JOURNAL_ENTRY_KEYS,
    clock_state,
    fault_rules,
    listed,
    ok,
    split_status,
    state,
    take_snapshot,
)
from tests.support.db import fingerprint
from tests.support.lab import array_doc

GiB = 2**30
HOUR_MS = 3_600_000

pytestmark = pytest.mark.usefixtures("fresh_lab")


@pytest.fixture(scope="module")
def app(module_app):
    """One app for the module; ``fresh_lab`` empties the lab around each test."""
    return module_app


# -- helpers ------------------------------------------------------------------------------


def run(runner, *args: str, exit_code: int = 0) -> str:
    """``mockarray ARGS``; the exit code must be ``exit_code``. Returns the output."""
    result = runner.invoke(args=list(args))
    assert result.exit_code == exit_code, (args, result.output, result.exception)
    return result.output


def added_rule_id(output: str) -> str:
    match = re.fullmatch(r"Added fault rule (\d+)\.\n", output)
    assert match, output
    return match.group(1)


# -- checkpoints --------------------------------------------------------------------------------

DESCRIBED = re.compile(
    r"checkpoint '(?P<name>[^']+)' \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z: "
    r"(?P<arrays>\d+) arrays, (?P<volumes>\d+) volumes, [\d.]+ (B|KiB|MiB)\)"
)


def test_checkpoint_save_list_restore_delete(runner, client, api, ref, database):
    before = state(api)
    content = fingerprint(database, ref["vol1"])

    saved = run(runner, "checkpoint", "save", "base")
    match = DESCRIBED.search(saved)
    assert saved.startswith("Saved ") and match, saved
    assert match.group("name", "arrays", "volumes") == ("base", "2", "3")
    # The control plane sees the same checkpoint.
    [listed_cp] = ok(control(client, "GET", "/checkpoints"))["checkpoints"]
    assert (listed_cp["name"], listed_cp["arrays"], listed_cp["volumes"]) == ("base", 2, 3)

    take_snapshot(api, ref["vol2"], "extra")
    assert api.delete(f"/server/0/volume/{ref['clone']}").status_code == 200
    run(runner, "write", "alpha", "vol1", "2GiB")
    assert state(api) != before

    restored = run(runner, "checkpoint", "restore", "base")
    assert re.fullmatch(r"Restored checkpoint 'base' \(.*\) in \d+ ms\.\n", restored), restored
    assert state(api) == before  # the session is still open
    assert fingerprint(database, ref["vol1"]) == content

    listing = run(runner, "checkpoint", "list")
    assert [m.group("name") for m in DESCRIBED.finditer(listing)] == ["base"]
    assert run(runner, "checkpoint", "delete", "base") == "Deleted checkpoint 'base'.\n"
    assert run(runner, "checkpoint", "list") == "No checkpoints.\n"


def test_checkpoint_list_is_oldest_first(runner, lab, frozen):
    lab.standard()
    for name in ("one", "two", "three"):
        run(runner, "checkpoint", "save", name)
        frozen.ms += 1000
    listing = run(runner, "checkpoint", "list")
    assert [m.group("name") for m in DESCRIBED.finditer(listing)] == ["one", "two", "three"]


def test_checkpoint_save_twice_needs_replace(runner, lab):
    lab.standard()
    run(runner, "checkpoint", "save", "base")
    output = run(runner, "checkpoint", "save", "base", exit_code=1)
    assert "Error:" in output and "'base'" in output and "replace" in output
    lab.seed(array_doc("gamma", 3))
    replaced = run(runner, "checkpoint", "save", "base", "--replace")
    assert DESCRIBED.search(replaced).group("arrays") == "3"
    listing = run(runner, "checkpoint", "list")
    assert [m.group("name", "arrays") for m in DESCRIBED.finditer(listing)] == [("base", "3")]


def test_checkpoint_restore_drops_sessions_of_arrays_it_does_not_hold(runner, client, lab):
    lab.seed(array_doc("alpha", 1))
    run(runner, "checkpoint", "save", "alpha-only")
    alpha = Api.login(client, "alpha.lab.test")
    lab.seed(array_doc("beta", 2))
    beta = Api.login(client, "beta.lab.test")
    run(runner, "checkpoint", "restore", "alpha-only")
    assert alpha.get("/storage").status_code == 200
    assert beta.get("/storage").status_code == 401


@pytest.mark.parametrize("command", ["restore", "delete"])
def test_checkpoint_unknown_name_is_an_error_that_changes_nothing(runner, api, command):
    run(runner, "checkpoint", "save", "base")
    before = state(api)
    output = run(runner, "checkpoint", command, "nope", exit_code=1)
    assert "Error: No checkpoint named 'nope'" in output and "base" in output
    assert state(api) == before
    assert "'base'" in run(runner, "checkpoint", "list")


# -- faults -------------------------------------------------------------------------------------


def test_fault_add_is_applied_then_spent(runner, client, api):
    output = run(
        runner,
        "fault",
        "add",
        "--path",
        "/server/*/volume",
        "--method",
        "get",
        "--status",
        "503",
        "--message",
        "array busy",
        "--times",
        "2",
    )
    rule_id = added_rule_id(output)
    listing = run(runner, "fault", "list")
    assert listing == f"{rule_id}: GET /server/*/volume -> 503 array busy (2 more; applied 0)\n"

    responses = [api.get("/server/0/volume") for _ in range(3)]
    assert [r.status_code for r in responses] == [503, 503, 200]
    assert responses[0].get_json() == {
        "code": 503,
        "status": "Service Unavailable",
        "message": "array busy",
    }
    assert "(0 more; applied 2)" in run(runner, "fault", "list")


# (options of ``fault add``, what ``fault list`` shows of the rule after the id).
FAULT_LISTINGS = {
    "delay range": (["--delay", "100-200"], "ANY * -> delay 100-200 ms (until removed; applied 0)"),
    "fixed delay": (["--delay", "150"], "ANY * -> delay 150 ms (until removed; applied 0)"),
    "delay with units": (
        ["--delay", "1s-2s"],
        "ANY * -> delay 1000-2000 ms (until removed; applied 0)",
    ),
    "status and delay": (
        ["--status", "500", "--delay", "10-20", "--probability", "0.25"],
        "ANY * -> 500, delay 10-20 ms (until removed, p=0.25; applied 0)",
    ),
    "action normalised": (
        ["--method", "POST", "--action", "Take-Snapshot", "--status", "409"],
        "POST * action=takesnapshot -> 409 (until removed; applied 0)",
    ),
    "array": (
        ["--path", "/storage", "--array", "beta", "--status", "503", "--message", "down"],
        "ANY /storage array=beta -> 503 down (until removed; applied 0)",
    ),
}


@pytest.mark.parametrize("case", FAULT_LISTINGS)
def test_fault_add_options_are_listed(runner, client, case):
    options, shown = FAULT_LISTINGS[case]
    rule_id = added_rule_id(run(runner, "fault", "add", *options))
    assert run(runner, "fault", "list") == f"{rule_id}: {shown}\n"
    [rule] = fault_rules(client)
    assert rule["id"] == rule_id


def test_fault_delay_range_is_parsed_into_min_and_max(runner, client):
    run(runner, "fault", "add", "--delay", "100-200")
    run(runner, "fault", "add", "--delay", "150", "--status", "500")
    delays = [(r["delayMs"], r["delayMaxMs"]) for r in fault_rules(client)]
    assert delays == [(100, 200), (150, 150)]


def test_fault_delay_slows_the_call(runner, api):
    run(runner, "fault", "add", "--path", "/storage", "--delay", "150")
    started = time.perf_counter()
    assert api.get("/storage").status_code == 200
    assert time.perf_counter() - started >= 0.15


# (options, exit code, words of the error).
BAD_FAULTS = {
    "delay not a number": (["--delay", "soon"], 2, ["--delay", "200-800"]),
    "delay with two dashes": (["--delay", "1-2-3"], 2, ["--delay"]),
    "negative delay": (["--delay", "-5"], 2, ["--delay"]),
    "delay range backwards": (["--delay", "200-100"], 1, ["backwards"]),
    "no effect": (["--path", "/storage"], 1, ["effect"]),
    "status not an error": (["--status", "200"], 2, ["--status"]),
    "times zero": (["--status", "503", "--times", "0"], 2, ["--times"]),
    "probability zero": (["--status", "503", "--probability", "0"], 2, ["--probability"]),
    "unknown method": (["--status", "503", "--method", "PATCH"], 2, ["--method"]),
    "path without its slash": (["--status", "503", "--path", "storage"], 1, ["'/storage'"]),
    "delay beyond the worker timeout": (["--delay", "2m"], 1, ["55000 ms", "60 s"]),
}


@pytest.mark.parametrize("case", BAD_FAULTS)
def test_fault_add_refuses_bad_options(runner, client, case):
    options, exit_code, words = BAD_FAULTS[case]
    output = run(runner, "fault", "add", *options, exit_code=exit_code)
    assert "Error" in output
    for word in words:
        assert word in output, (word, output)
    assert fault_rules(client) == []


# (options of ``fault add``, the call: (login hostname, method, path), applies?).
FAULT_MATCHES = {
    "path": (["--path", "/server/0/pool"], ("alpha", "GET", "/server/0/pool"), True),
    "other path": (["--path", "/server/0/pool"], ("alpha", "GET", "/server/0/host"), False),
    "method": (["--method", "DELETE"], ("alpha", "GET", "/storage"), False),
    "array": (["--array", "beta"], ("beta", "GET", "/storage"), True),
    "other array": (["--array", "beta"], ("alpha", "GET", "/storage"), False),
}


@pytest.mark.parametrize("case", FAULT_MATCHES)
def test_fault_add_criteria(runner, client, api, case):
    options, (array, method, path), applies = FAULT_MATCHES[case]
    run(runner, "fault", "add", "--status", "418", "--message", "teapot", *options)
    caller = api if array == "alpha" else Api.login(client, f"{array}.lab.test")
    response = client.open(PREFIX + path, method=method, headers=caller.headers)
    assert (response.status_code == 418) is applies, response.get_data(True)


def test_fault_remove_and_clear(runner, client, api):
    first = added_rule_id(run(runner, "fault", "add", "--path", "/storage", "--status", "503"))
    second = added_rule_id(run(runner, "fault", "add", "--delay", "5"))
    third = added_rule_id(run(runner, "fault", "add", "--status", "500", "--times", "1"))
    assert run(runner, "fault", "remove", first) == f"Removed fault rule {first}.\n"
    assert [r["id"] for r in fault_rules(client)] == [second, third]
    output = run(runner, "fault", "remove", first, exit_code=1)
    assert f"Fault rule {first} does not exist" in output
    assert "RULE_ID" in run(runner, "fault", "remove", "first", exit_code=2)
    assert run(runner, "fault", "clear") == "Removed 2 fault rule(s).\n"
    assert run(runner, "fault", "list") == "No fault rules.\n"
    assert api.get("/storage").status_code == 200


# -- the clock ----------------------------------------------------------------------------------

SHOWN = re.compile(
    r"now (?P<when>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z) \(real time \+ (?P<offset>\d+) ms\); "
    r"long tasks: (?P<tasks>instant|speed x[\d.]+)\n"
)


def shown(output: str) -> dict:
    match = SHOWN.fullmatch(output)
    assert match, output
    return match.groupdict()


def test_clock_show_at_first_is_real_time(runner, frozen):
    show = shown(run(runner, "clock", "show"))
    assert (show["offset"], show["tasks"]) == ("0", "speed x1")
    expected = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(frozen.ms / 1000))
    assert show["when"].startswith(expected)


@pytest.mark.parametrize(
    ("duration", "ms"),
    [
        ("2h", 2 * HOUR_MS),
        ("90s", 90_000),
        ("15m", 900_000),
        ("3d", 259_200_000),
        ("500ms", 500),
        # A bare number is milliseconds, as over HTTP.
        ("90000", 90_000),
    ],
)
def test_clock_advance(runner, client, duration, ms):
    assert shown(run(runner, "clock", "advance", duration))["offset"] == str(ms)
    assert clock_state(client)["offsetMs"] == ms
    assert shown(run(runner, "clock", "show"))["offset"] == str(ms)


@pytest.mark.parametrize("duration", ["soon", "1x", "-1h"])
def test_clock_advance_refuses_a_bad_duration(runner, client, duration):
    output = run(runner, "clock", "advance", "--", duration, exit_code=2)
    assert "DURATION" in output
    assert clock_state(client)["offsetMs"] == 0


def test_clock_advance_moves_a_split_and_new_creation_times(runner, app, api, ref, frozen):
    app.config["SPLIT_RATE"] = GiB  # the clone's 10 GiB take 10 s
    ok(api.post(f"/server/0/volume/{ref['clone']}?action=split"))
    run(runner, "clock", "advance", "5s")
    assert split_status(api, ref["clone"]) == {"percentageComplete": 50, "complete": False}
    run(runner, "clock", "advance", "1h")
    assert split_status(api, ref["clone"]) == {"percentageComplete": 100, "complete": True}
    created = take_snapshot(api, ref["vol2"], "later")
    assert created["creationTime"] == frozen.ms + 5000 + HOUR_MS


@pytest.mark.parametrize(("factor", "percentage"), [("1", 5), ("10", 50), ("2.5", 12)])
def test_clock_speed_makes_new_splits_faster(runner, app, api, ref, frozen, factor, percentage):
    app.config["SPLIT_RATE"] = GiB
    assert shown(run(runner, "clock", "speed", factor))["tasks"] == f"speed x{float(factor):g}"
    ok(api.post(f"/server/0/volume/{ref['clone']}?action=split"))
    run(runner, "clock", "advance", "500ms")
    assert split_status(api, ref["clone"]) == {
        "percentageComplete": percentage,
        "complete": False,
    }


@pytest.mark.parametrize("factor", ["0", "-2", "fast", "5e-324", "0.0009", "1000001", "inf"])
def test_clock_speed_refuses_a_bad_factor(runner, client, factor):
    assert "FACTOR" in run(runner, "clock", "speed", "--", factor, exit_code=2)
    assert clock_state(client)["speed"] == 1.0


def test_clock_instant_on_and_off(runner, app, client, api, ref):
    app.config["SPLIT_RATE"] = 1  # would take centuries
    assert shown(run(runner, "clock", "instant", "on"))["tasks"] == "instant"
    split = ok(api.post(f"/server/0/volume/{ref['clone']}?action=split"))
    assert split == {"percentageComplete": 100, "complete": True}
    assert shown(run(runner, "clock", "instant", "off"))["tasks"] == "speed x1"
    assert clock_state(client)["instant"] is False
    clone = ok(
        api.post(
            f"/server/0/volume/{ref['vol1']}?action=clone",
            json={"name": "c2", "snapshot": {"id": ref["snap1"]}},
        )
    )
    split = ok(api.post(f"/server/0/volume/{clone['id']}?action=split"))
    assert split == {"percentageComplete": 0, "complete": False}
    assert "'on'" in run(runner, "clock", "instant", "maybe", exit_code=2)


def test_clock_finish_completes_running_splits(runner, app, api, ref):
    app.config["SPLIT_RATE"] = 1024
    ok(api.post(f"/server/0/volume/{ref['clone']}?action=split"))
    assert run(runner, "clock", "finish") == "Completed 1 running task(s).\n"
    assert split_status(api, ref["clone"]) == {"percentageComplete": 100, "complete": True}
    delete_snap = api.delete(f"/server/0/volume/{ref['vol1']}/snapshot/{ref['snap2']}")
    assert delete_snap.status_code == 204
    assert run(runner, "clock", "finish") == "Completed 0 running task(s).\n"


def test_clock_reset(runner, client):
    run(runner, "clock", "advance", "3h")
    run(runner, "clock", "speed", "60")
    run(runner, "clock", "instant", "on")
    show = shown(run(runner, "clock", "reset"))
    # Back to normal speed; time goes on from where it is.
    assert (show["offset"], show["tasks"]) == (str(3 * HOUR_MS), "speed x1")
    state_ = clock_state(client)
    assert (state_["offsetMs"], state_["speed"], state_["instant"]) == (3 * HOUR_MS, 1.0, False)


# -- the journal --------------------------------------------------------------------------------

LINE = re.compile(
    r"(?P<when>\S+ \S+Z) (?P<array>\S+)\s+(?P<method>[A-Z]+)\s+(?P<path>\S+?)"
    r"(\?action=(?P<action>\S+))? (?P<status>\d{3}) (?P<duration>[\d.]+)ms( fault=(?P<fault>\d+))?"
)


def lines(output: str) -> list[dict]:
    parsed = []
    for text in output.splitlines():
        match = LINE.fullmatch(text)
        assert match, text
        parsed.append(match.groupdict())
    return parsed


@pytest.fixture
def calls(runner, client, api, ref) -> dict:
    """Five known calls: three on alpha (one 404), two on beta (one 404)."""
    beta = Api.login(client, "beta.lab.test")
    run(runner, "journal", "--clear")
    ok(api.get("/server/0/volume"))
    ok(api.post(f"/server/0/volume/{ref['vol2']}?action=create-Snapshot", json={"name": "j"}), 201)
    assert api.get("/server/0/volume/999999").status_code == 404
    ok(beta.get("/server/0/pool"))
    assert beta.get("/server/0/volume/999999").status_code == 404
    return {"vol2": ref["vol2"], "tag": sessions.token_tag(api.session_id)}


def test_journal_lists_the_calls_oldest_first(runner, calls):
    shown_calls = lines(run(runner, "journal"))
    assert [
        (c["array"], c["method"], c["path"], c["action"], c["status"]) for c in shown_calls
    ] == [
        ("alpha", "GET", "/server/0/volume", None, "200"),
        ("alpha", "POST", f"/server/0/volume/{calls['vol2']}", "createsnapshot", "201"),
        ("alpha", "GET", "/server/0/volume/999999", None, "404"),
        ("beta", "GET", "/server/0/pool", None, "200"),
        ("beta", "GET", "/server/0/volume/999999", None, "404"),
    ]


# (options, the indexes of the five calls they keep).
JOURNAL_FILTERS = {
    "path glob": (["--path", "/server/*/volume*"], [0, 1, 2, 4]),
    "method": (["--method", "post"], [1]),
    "action": (["--action", "createSnapshot"], [1]),
    "status": (["--status", "404"], [2, 4]),
    "array": (["--array", "beta"], [3, 4]),
    "limit keeps the newest": (["--limit", "2"], [3, 4]),
    "filters together": (["--array", "alpha", "--status", "404"], [2]),
}


@pytest.mark.parametrize("case", JOURNAL_FILTERS)
def test_journal_filters_and_count(runner, calls, case):
    options, kept = JOURNAL_FILTERS[case]
    everything = [json.loads(line) for line in run(runner, "journal", "--json").splitlines()]
    wanted = [everything[i]["id"] for i in kept]
    found = [
        json.loads(line)["id"] for line in run(runner, "journal", "--json", *options).splitlines()
    ]
    assert found == wanted
    assert len(lines(run(runner, "journal", *options))) == len(wanted)
    if "--limit" not in options:
        assert run(runner, "journal", "--count", *options) == f"{len(wanted)}\n"


def test_journal_json_lines(runner, calls):
    entries = [json.loads(line) for line in run(runner, "journal", "--json").splitlines()]
    assert len(entries) == 5
    for entry in entries:
        assert set(entry) == JOURNAL_ENTRY_KEYS
        assert entry["durationMs"] >= 0 and entry["faultId"] is None
    assert entries[0]["session"] == calls["tag"]
    assert json.loads(entries[1]["body"]) == {"name": "j"}
    ids_ = [e["id"] for e in entries]
    assert ids_ == sorted(ids_)


def test_journal_since(runner, client, api):
    ok(api.get("/storage"))
    run(runner, "clock", "advance", "1h")
    ok(api.get("/server/0/pool"))
    assert [c["path"] for c in lines(run(runner, "journal", "--since", "10m"))] == [
        "/server/0/pool"
    ]
    assert run(runner, "journal", "--count", "--since", "2h") != "1\n"
    assert "--since" in run(runner, "journal", "--since", "soon", exit_code=2)


def test_journal_redacts_credentials(runner, client, lab):
    lab.standard()
    response = client.post(
        f"{PREFIX}/session",
        json={"hostname": "alpha.lab.test", "username": "admin", "password": PASSWORD},
    )
    assert response.status_code == 201
    [entry] = [json.loads(line) for line in run(runner, "journal", "--json").splitlines()]
    assert PASSWORD not in entry["body"] and json.loads(entry["body"])["password"] == "***"
    assert response.get_json()["sessionId"] not in run(runner, "journal", "--json")


def test_journal_shows_the_fault_that_answered(runner, api):
    rule_id = added_rule_id(run(runner, "fault", "add", "--path", "/storage", "--status", "503"))
    run(runner, "journal", "--clear")
    assert api.get("/storage").status_code == 503
    [line] = lines(run(runner, "journal"))
    assert (line["status"], line["fault"]) == ("503", rule_id)


def test_journal_clear(runner, calls):
    assert run(runner, "journal", "--clear") == "Removed 5 journal entries.\n"
    assert run(runner, "journal", "--count") == "0\n"
    assert run(runner, "journal") == ""


def test_journal_follow_prints_new_calls(runner, api, monkeypatch):
    run(runner, "journal", "--clear")
    ok(api.get("/storage"))
    naps = []

    def nap(seconds):
        naps.append(seconds)
        if len(naps) == 1:
            ok(api.get("/server/0/pool"))  # a call while it follows
            return
        raise KeyboardInterrupt

    monkeypatch.setattr(
        journal_module, "time", SimpleNamespace(sleep=nap, perf_counter=time.perf_counter)
    )
    result = runner.invoke(args=["journal", "--follow"])
    assert naps == [0.5, 0.5]
    # Ctrl-C ends it as it ends any click command.
    output = "\n".join(line for line in result.output.splitlines() if line and line != "Aborted!")
    paths = [c["path"] for c in lines(output)]
    assert paths == ["/storage", "/server/0/pool"]


# -- host writes --------------------------------------------------------------------------------


def test_write_by_volume_name_appends_and_overwrites(runner, api, ref, database):
    free = {p["name"]: p["freeSpace"] for p in listed(api, "/server/0/pool", "pools")}
    content = fingerprint(database, ref["vol1"])
    output = run(runner, "write", "alpha", "vol1", "1GiB", "--append")
    assert output == "Wrote 1 GiB to 'vol1': 11 GiB used.\n"
    volume = ok(api.get(f"/server/0/volume/{ref['vol1']}"))
    assert volume["stats"]["usedSize"] == 11 * GiB
    pools = {p["name"]: p["freeSpace"] for p in listed(api, "/server/0/pool", "pools")}
    assert pools == {**free, "pool1": free["pool1"] - GiB}
    assert fingerprint(database, ref["vol1"]) != content
    # By id, overwriting: the used size stays.
    assert run(runner, "write", "alpha", ref["vol1"], "512MiB") == (
        "Wrote 512 MiB to 'vol1': 11 GiB used.\n"
    )


def test_write_between_snapshots_and_restore_brings_the_content_back(runner, api, ref, database):
    snapshot = take_snapshot(api, ref["vol1"], "before")
    old = fingerprint(database, ref["vol1"])
    system = ok(api.get("/server/0/system"))
    run(runner, "write", "alpha", "vol1", "2GiB")
    assert fingerprint(database, ref["vol1"]) != old
    after = ok(api.get("/server/0/system"))
    assert after["snapshotsSizeInBytes"] == system["snapshotsSizeInBytes"] + 2 * GiB
    restored = api.post(
        f"/server/0/volume/{ref['vol1']}?action=restore", json={"snapshotId": snapshot["id"]}
    )
    ok(restored)
    assert fingerprint(database, ref["vol1"]) == old


MULTI = array_doc(
    "multi",
    5,
    servers=[
        {
            "id": "svm-a",
            "pools": [{"name": "p", "capacity": "1TiB"}],
            "volumes": [{"name": "data", "size": "10GiB", "used": "1GiB"}],
        },
        {
            "id": "svm-b",
            "pools": [{"name": "p", "capacity": "1TiB"}],
            "volumes": [{"name": "data", "size": "10GiB", "used": "1GiB"}],
        },
    ],
)


def test_write_on_an_array_with_several_servers_needs_server(runner, client, lab, database):
    lab.seed(MULTI)
    output = run(runner, "write", "multi", "data", "1GiB", exit_code=2)
    assert "--server" in output and "svm-a" in output and "svm-b" in output
    assert run(runner, "write", "multi", "data", "1GiB", "--server", "svm-b", "--append") == (
        "Wrote 1 GiB to 'data': 2 GiB used.\n"
    )
    api = Api.login(client, "multi.lab.test")
    used = {
        key: [v["stats"]["usedSize"] for v in listed(api, f"/server/{key}/volume", "volumes")]
        for key in ("svm-a", "svm-b")
    }
    assert used == {"svm-a": [GiB], "svm-b": [2 * GiB]}


# (arguments after ``write``, exit code, words of the error).
BAD_WRITES = {
    "unknown array": (["nope", "vol1", "1GiB"], 1, ["No array named 'nope'"]),
    "unknown volume": (["alpha", "vol9", "1GiB"], 1, ["vol9"]),
    "unknown volume id": (["alpha", "999999", "1GiB"], 1, ["999999"]),
    "unknown server": (["alpha", "vol1", "1GiB", "--server", "svm-x"], 1, ["svm-x"]),
    "too big": (
        ["alpha", "vol1", "91GiB", "--append"],
        1,
        ["Volume 'vol1' holds 10 GiB of 100 GiB; 91 GiB more do not fit."],
    ),
    "size not understood": (["alpha", "vol1", "lots"], 2, ["SIZE"]),
}


@pytest.mark.parametrize("case", BAD_WRITES)
def test_write_refused_changes_nothing(runner, api, ref, database, case):
    arguments, exit_code, words = BAD_WRITES[case]
    before = state(api)
    content = fingerprint(database, ref["vol1"])
    output = run(runner, "write", *arguments, exit_code=exit_code)
    for word in words:
        assert word in output, (word, output)
    assert state(api) == before
    assert fingerprint(database, ref["vol1"]) == content


def test_write_to_a_volume_whose_name_is_all_digits(runner, client, lab):
    lab.seed(
        array_doc(
            "digits",
            6,
            servers=[
                {
                    "pools": [{"name": "p", "capacity": "1TiB"}],
                    "volumes": [{"name": "42", "size": "10GiB", "used": "1GiB"}],
                }
            ],
        )
    )
    # The name wins over an id; an all-digit value that names no volume is an id.
    assert run(runner, "write", "digits", "42", "1GiB", "--append") == (
        "Wrote 1 GiB to '42': 2 GiB used.\n"
    )
    assert "999999" in run(runner, "write", "digits", "999999", "1GiB", exit_code=1)


# -- --json -------------------------------------------------------------------------------------


def test_checkpoint_list_json_is_what_the_control_plane_answers(runner, client, lab):
    lab.standard()
    assert json.loads(run(runner, "checkpoint", "list", "--json")) == {"checkpoints": []}
    run(runner, "checkpoint", "save", "base")
    run(runner, "checkpoint", "save", "later")
    listed_json = json.loads(run(runner, "checkpoint", "list", "--json"))
    assert listed_json == ok(control(client, "GET", "/checkpoints"))
    assert [c["name"] for c in listed_json["checkpoints"]] == ["base", "later"]
    assert set(listed_json["checkpoints"][0]) == {
        "name",
        "createdTime",
        "arrays",
        "volumes",
        "sizeBytes",
    }


def test_fault_list_json_is_what_the_control_plane_answers(runner, client, lab):
    lab.standard()
    assert json.loads(run(runner, "fault", "list", "--json")) == {"faults": []}
    run(runner, "fault", "add", "--path", "/server/*", "--status", "503", "--times", "2")
    run(runner, "fault", "add", "--method", "GET", "--delay", "1s-2s", "--probability", "0.5")
    listed_json = json.loads(run(runner, "fault", "list", "--json"))
    assert listed_json == {"faults": fault_rules(client)}
    assert [(f["status"], f["delayMs"], f["delayMaxMs"]) for f in listed_json["faults"]] == [
        (503, 0, 0),
        (None, 1000, 2000),
    ]


def test_clock_show_json_is_what_the_control_plane_answers(runner, client, frozen):
    run(runner, "clock", "advance", "1h")
    shown = json.loads(run(runner, "clock", "show", "--json"))
    assert shown == clock_state(client)
    assert shown["offsetMs"] == HOUR_MS and shown["speed"] == 1.0 and shown["instant"] is False
