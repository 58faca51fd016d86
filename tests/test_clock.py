"""The simulated clock never runs backwards, and everything the lab timestamps uses it.

``clock reset`` only puts the pace of long tasks back; ``clock real-time`` is
refused while the lab is ahead of real time; a checkpoint restore keeps the
clock. Objects, the journal, fault rules, checkpoints and the lines of
``GET /log`` all carry simulated time. Behaviour tests call the lab's
functions (``mockarray.lab``) on a database session; API tests go through
the control plane and the plugin API.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime

import pytest

from mockarray.array import clock
from mockarray.errors import Conflict
from mockarray.lab import checkpoints, faults
from mockarray.lab import clock as lab_clock
from tests.support.api import PREFIX, SESSION_HEADER, control
from tests.support.checks import assert_error, clock_state, ok, split_status, take_snapshot

GiB = 2**30
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


def advance(client, by) -> dict:
    return ok(control(client, "POST", "/clock/advance", {"by": by}))


def settings(database) -> tuple[int, float, bool]:
    with database.transaction(write=False) as session:
        stored = lab_clock.settings(session)
        return stored.offset_ms, stored.speed, stored.instant


def log_lines(api) -> list[str]:
    """The lines of ``api.log`` in the zip ``GET /log`` answers."""
    response = api.client.get(
        f"{PREFIX}/log", headers={SESSION_HEADER: api.session_id, "Accept": "application/zip"}
    )
    return zipfile.ZipFile(io.BytesIO(response.data)).read("api.log").decode().splitlines()


def log_times(api, path: str) -> list[str]:
    """The times of the ``GET /log`` lines about ``path`` (below the API prefix)."""
    return [
        line.split(" ", 1)[0]
        for line in log_lines(api)
        if re.search(rf"path={re.escape(PREFIX + path)}( |$)", line)
    ]


def iso(ms: int) -> str:
    """How a log line writes a moment."""
    moment = datetime.fromtimestamp(ms // 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


# -- reset and real time: behaviour --------------------------------------------------------


def test_reset_puts_the_pace_back_and_keeps_the_time(database, frozen):
    with database.transaction() as session:
        lab_clock.advance(session, 3 * HOUR_MS)
        lab_clock.configure(session, speed=5, instant=True)
    with database.transaction() as session:
        lab_clock.reset(session)
        assert clock.now(session) == frozen.ms + 3 * HOUR_MS
    assert settings(database) == (3 * HOUR_MS, 1.0, False)


def test_real_time_is_refused_while_the_lab_is_ahead(database, frozen):
    with database.transaction() as session:
        lab_clock.advance(session, DAY_MS + 2 * HOUR_MS + 90_000)
        lab_clock.configure(session, speed=5)
    with pytest.raises(Conflict) as refused, database.transaction() as session:
        lab_clock.to_real_time(session)
    assert "1d 2h 1m 30s" in refused.value.message
    assert "never runs backwards" in refused.value.message
    # Refused: nothing changed, the pace neither.
    assert settings(database) == (DAY_MS + 2 * HOUR_MS + 90_000, 5.0, False)


def test_real_time_at_real_time_puts_the_pace_back(database, frozen):
    with database.transaction() as session:
        lab_clock.configure(session, speed=5, instant=True)
    with database.transaction() as session:
        lab_clock.to_real_time(session)
        assert clock.now(session) == frozen.ms
    assert settings(database) == (0, 1.0, False)


def test_a_checkpoint_restore_keeps_the_clock(database, lab, frozen):
    lab.standard()
    with database.transaction() as session:
        checkpoints.save(session, "before")
        lab_clock.advance(session, DAY_MS)
    with database.transaction() as session:
        checkpoints.restore(session, "before")
        assert clock.now(session) == frozen.ms + DAY_MS
    assert settings(database)[0] == DAY_MS


# -- reset and real time: the API ----------------------------------------------------------


def test_clock_reset_undoes_nothing_time_did(app, client, api, ref, frozen):
    app.config["SPLIT_RATE"] = GiB  # the clone's 10 GiB take 10 s
    ok(api.post(f"/server/0/volume/{ref['clone']}?action=split"))
    ok(control(client, "PUT", "/clock", {"speed": 2}))
    advance(client, "1h")
    before = take_snapshot(api, ref["vol2"], "before-reset")
    assert ok(control(client, "POST", "/clock/reset")) == {
        "now": frozen.ms + HOUR_MS,
        "offsetMs": HOUR_MS,
        "speed": 1.0,
        "instant": False,
    }
    # The split stays complete, the parent snapshot can go, new objects are not older.
    assert split_status(api, ref["clone"]) == {"percentageComplete": 100, "complete": True}
    ok(api.delete(f"/server/0/volume/{ref['vol1']}/snapshot/{ref['snap2']}"), 204)
    after = take_snapshot(api, ref["vol2"], "after-reset")
    assert after["creationTime"] >= before["creationTime"] == frozen.ms + HOUR_MS


def test_clock_real_time_is_409_while_ahead_and_changes_nothing(client, frozen):
    advance(client, "2h")
    ok(control(client, "PUT", "/clock", {"speed": 3}))
    assert_error(
        control(client, "POST", "/clock/real-time"), 409, "2h", "7200000 ms", "never runs backwards"
    )
    assert clock_state(client) == {
        "now": frozen.ms + 2 * HOUR_MS,
        "offsetMs": 2 * HOUR_MS,
        "speed": 3.0,
        "instant": False,
    }


def test_clock_real_time_at_real_time_answers_the_clock(client, frozen):
    ok(control(client, "PUT", "/clock", {"instant": True}))
    assert ok(control(client, "POST", "/clock/real-time")) == {
        "now": frozen.ms,
        "offsetMs": 0,
        "speed": 1.0,
        "instant": False,
    }


def test_cli_clock_reset_keeps_the_time_and_real_time_is_refused(runner, client):
    assert runner.invoke(args=["clock", "advance", "1d"]).exit_code == 0
    reset = runner.invoke(args=["clock", "reset"])
    assert reset.exit_code == 0 and f"real time + {DAY_MS} ms" in reset.output, reset.output
    refused = runner.invoke(args=["clock", "real-time"])
    assert refused.exit_code == 1 and "1d" in refused.output, refused.output
    assert clock_state(client)["offsetMs"] == DAY_MS


def test_checkpoint_restore_keeps_the_clock_and_time_goes_on(app, client, api, ref, frozen):
    app.config["SPLIT_RATE"] = GiB
    ok(api.post(f"/server/0/volume/{ref['clone']}?action=split"))
    ok(control(client, "POST", "/checkpoints", {"name": "splitting"}), 201)
    advance(client, "1d")
    take_snapshot(api, ref["vol2"], "after-save")
    ok(control(client, "POST", "/checkpoints/splitting/restore"))
    assert clock_state(client)["offsetMs"] == DAY_MS
    # The split running at the save is a day further on: complete.
    assert split_status(api, ref["clone"]) == {"percentageComplete": 100, "complete": True}
    assert take_snapshot(api, ref["vol2"], "after-restore")["creationTime"] == frozen.ms + DAY_MS


# -- everything timestamped: behaviour -----------------------------------------------------


def test_fault_rules_and_checkpoints_are_stamped_with_simulated_time(database, lab, frozen):
    lab.standard()
    with database.transaction() as session:
        lab_clock.advance(session, DAY_MS)
    with database.transaction() as session:
        rule = faults.add_rule(session, status=503)
        saved = checkpoints.save(session, "later")
        assert rule.created_ms == saved.created_ms == frozen.ms + DAY_MS


# -- everything timestamped: the API -------------------------------------------------------


def test_after_advancing_a_day_everything_carries_simulated_time(client, api, ref, frozen):
    later = frozen.ms + DAY_MS
    advance(client, "1d")
    fault = ok(control(client, "POST", "/faults", {"path": "/storage", "status": 503}), 201)
    assert fault["createdTime"] == later
    assert_error(api.get("/storage"), 503, sentence=False)
    snapshot = take_snapshot(api, ref["vol2"], "a-day-later")
    assert snapshot["creationTime"] == later
    condense = {"ageInDays": 0, "numberOfInstances": 5, "snapshotPrefixes": ["cg1."]}
    condensed = api.post(f"/server/0/consistencygroup/{ref['cg1']}?action=condense", json=condense)
    assert condensed.status_code == 200
    checkpoint = ok(control(client, "POST", "/checkpoints", {"name": "later"}), 201)
    assert checkpoint["createdTime"] == later
    # The journal: every call since the advance, refused ones included.
    entries = ok(control(client, "GET", "/journal", query_string={"since": later}))["entries"]
    assert [(e["path"], e["status"]) for e in entries] == [
        ("/storage", 503),
        (f"/server/0/volume/{ref['vol2']}/snapshot", 201),
        (f"/server/0/consistencygroup/{ref['cg1']}", 200),
    ]
    assert {e["time"] for e in entries} == {later}
    # The call log behind GET /log: each call's line, and condense's own lines.
    assert log_times(api, "/storage") == [iso(later)]
    assert log_times(api, f"/server/0/volume/{ref['vol2']}/snapshot") == [iso(later)]
    [login] = log_times(api, "/session")  # before the advance
    assert login < iso(later)
    decisions = [line for line in log_lines(api) if " condense " in line]
    assert decisions and all(line.startswith(iso(later)) for line in decisions), decisions
