"""The demo lab's disaster-recovery rehearsal (``docs/replication.md``), walked
through the plugin API in real time with the default settings: the replicated
group snapshot and the split of the DR clone each complete within seconds,
and a client polling twice a second sees each of them in progress first."""

from __future__ import annotations

import time
from collections.abc import Callable

import yaml

from mockarray.lab.seeding.loader import demo_fixture_text
from tests.support.api import Api
from tests.support.checks import ok

DEMO_PASSWORD = "passw0rd"
POLL_S = 0.5
#: Every split and first replication of the demo lab completes within this.
LONGEST_S = 10


def poll(read: Callable[[], dict], done: Callable[[dict], bool]) -> tuple[list[dict], float]:
    """Read until ``done``, every ``POLL_S``; what was read, and how long it took."""
    started = time.monotonic()
    seen = [read()]
    while not done(seen[-1]):
        assert time.monotonic() - started < LONGEST_S, seen
        time.sleep(POLL_S)
        seen.append(read())
    return seen, time.monotonic() - started


def test_the_demo_labs_dr_rehearsal_runs_in_seconds_with_default_settings(app, client, lab):
    assert (app.config["SPLIT_RATE"], app.config["REPLICATION_RATE"]) == ("quick", "quick")
    lab.seed(*yaml.safe_load(demo_fixture_text())["arrays"])
    began = time.monotonic()
    alpha = Api.login(client, "alpha.lab.example", DEMO_PASSWORD)

    # On alpha: a replicated snapshot of the Oracle consistency group.
    groups = alpha.ids("/server/svm-db/consistencygroup", "consistencyGroups")
    taken = ok(
        alpha.post(
            f"/server/svm-db/consistencygroup/{groups['oradb-cg']}?action=take-snapshot",
            json={"prefix": "dr", "replicate": True},
        )
    )
    name = taken["name"]
    volumes = alpha.ids("/server/svm-db/volume", "volumes")

    # Poll get-Progress on its volume snapshots until both say isCompleted.
    paths = {}
    for volume in ("oradb-data", "oradb-logs"):
        vid = volumes[volume]
        snapshot = alpha.ids(f"/server/svm-db/volume/{vid}/snapshot", "snapshots")[name]
        paths[volume] = f"/server/svm-db/volume/{vid}/snapshot/{snapshot}?action=get-Progress"
    seen, _ = poll(
        lambda: {
            volume: ok(alpha.post(path, json={}))["snapshotReplicationStatus"]
            for volume, path in paths.items()
        },
        lambda statuses: all(status["isCompleted"] for status in statuses.values()),
    )
    for volume in paths:
        assert any(statuses[volume]["inProgress"] for statuses in seen), seen
        last = seen[-1][volume]
        assert last["percentComplete"] == 100
        assert last["transferred"] == last["totalSizeToBeSynchronized"] > 0
        assert 2_000 <= last["completeTime"] - last["startTime"] <= 8_000

    # On bravo: the replica volumes carry the snapshot, in the replica group.
    bravo = Api.login(client, "bravo.lab.example", DEMO_PASSWORD)
    replicas = bravo.ids("/server/0/volume", "volumes")
    for volume in ("alpha-oradb-data", "alpha-oradb-logs"):
        assert name in bravo.ids(f"/server/0/volume/{replicas[volume]}/snapshot", "snapshots")
    group = bravo.ids("/server/0/consistencygroup", "consistencyGroups")["alpha-oradb-cg"]
    group_snapshots = bravo.ids(f"/server/0/consistencygroup/{group}/snapshot", "snapshots")
    assert list(group_snapshots) == [name]

    # Clone the replica snapshot, map the clone to dr-esx-01, bring its LUN online.
    replica = replicas["alpha-oradb-data"]
    clone = ok(
        bravo.post(
            f"/server/0/volume/{replica}?action=clone",
            json={"snapshot": {"name": name}, "name": "oradb-data-dr"},
        )
    )
    host = bravo.ids("/server/0/host", "hosts")["dr-esx-01"]
    mapping = ok(bravo.post(f"/server/0/host/{host}?action=map", json={"volumeId": clone["id"]}))
    online = bravo.post(f"/server/0/lun/{mapping['lunId']}?action=online", json={})
    assert online.status_code == 200, online.get_data(True)
    luns = ok(bravo.get(f"/server/0/host/{host}/lun"))["luns"]
    assert "oradb-data-dr" in {lun["name"] for lun in luns}

    # Split the clone from the replica snapshot: seconds, seen in progress.
    ok(bravo.post(f"/server/0/volume/{clone['id']}?action=split"))
    seen, _ = poll(
        lambda: ok(bravo.get(f"/server/0/volume/{clone['id']}/splitstatus")),
        lambda status: status["complete"],
    )
    assert any(not status["complete"] for status in seen), seen
    assert seen[-1] == {"percentageComplete": 100, "complete": True}

    assert time.monotonic() - began < 30
