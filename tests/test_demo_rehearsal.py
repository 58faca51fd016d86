"""The demo lab's disaster-recovery rehearsal (``docs/replication.md``), walked
through the plugin API in real time with the default settings: the replicated
group snapshot and the split of the DR clone each complete within seconds,
and a client polling twice a second sees each of them in progress first.

CDM's calls are made with ``mockarray.client`` (in-process), as a user's test would."""

from __future__ import annotations

import time
from collections.abc import Callable

import yaml

from mockarray.client import FlaskTransport, PluginClient
from mockarray.lab.seeding.loader import demo_fixture_text

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
    alpha = PluginClient(FlaskTransport(client), server="svm-db")
    alpha.login("alpha.lab.example", "admin", DEMO_PASSWORD)

    # On alpha: a replicated snapshot of the Oracle consistency group.
    group = alpha.consistency_groups().named("oradb-cg")
    name = alpha.take_snapshot(group["id"], prefix="dr", replicate=True)["name"]

    # Poll get-Progress on its volume snapshots until both say isCompleted.
    snapshots = {}
    for volume in ("oradb-data", "oradb-logs"):
        vid = alpha.volumes().named(volume)["id"]
        snapshots[volume] = (vid, alpha.snapshots(vid).named(name)["id"])
    seen, _ = poll(
        lambda: {
            volume: alpha.snapshot_progress(vid, snid)["snapshotReplicationStatus"]
            for volume, (vid, snid) in snapshots.items()
        },
        lambda statuses: all(status["isCompleted"] for status in statuses.values()),
    )
    for volume in snapshots:
        assert any(statuses[volume]["inProgress"] for statuses in seen), seen
        last = seen[-1][volume]
        assert last["percentComplete"] == 100
        assert last["transferred"] == last["totalSizeToBeSynchronized"] > 0
        assert 2_000 <= last["completeTime"] - last["startTime"] <= 8_000

    # On bravo (one server, 0): the replica volumes carry the snapshot, in the replica group.
    bravo = PluginClient(FlaskTransport(client))
    bravo.login("bravo.lab.example", "admin", DEMO_PASSWORD)
    replicas = bravo.volumes()
    for volume in ("alpha-oradb-data", "alpha-oradb-logs"):
        assert bravo.snapshots(replicas.named(volume)["id"]).named(name)
    replica_group = bravo.consistency_groups().named("alpha-oradb-cg")
    group_snapshots = bravo.consistency_group_snapshots(replica_group["id"])
    assert [snapshot["name"] for snapshot in group_snapshots] == [name]

    # Clone the replica snapshot, map the clone to dr-esx-01, bring its LUN online.
    replica = replicas.named("alpha-oradb-data")["id"]
    clone = bravo.clone(replica, snapshot_name=name, name="oradb-data-dr")
    host = bravo.hosts().named("dr-esx-01")["id"]
    mapping = bravo.map(host, volume_id=clone["id"])
    bravo.online(mapping["lunId"])
    assert "oradb-data-dr" in {lun["name"] for lun in bravo.host_luns(host)}

    # Split the clone from the replica snapshot: seconds, seen in progress.
    bravo.split(clone["id"])
    seen, _ = poll(lambda: bravo.split_status(clone["id"]), lambda status: status["complete"])
    assert any(not status["complete"] for status in seen), seen
    assert seen[-1] == {"percentageComplete": 100, "complete": True}

    assert time.monotonic() - began < 30
