"""``isAutoDelete`` snapshots make room (issue 9 §7; docs/array-rules.md, "Auto-deletion").

When a pool would run out of space, every check that can answer ``507`` first
deletes the pool's ``isAutoDelete`` snapshots, oldest first, never one a clone
depends on, one still replicating or one the call itself uses; a call that
still does not fit deletes nothing. Each deletion is a line in ``GET /log`` and
a note of the call's journal entry.

The lab (``server``): pool ``small`` (100 GiB, 10 GiB free) holds ``db`` (thin,
20 GiB written) with auto-delete snapshots ``db.pinned`` (5 GiB of its own; a
clone depends on it), ``db.old`` and ``db.newer`` (10 GiB each), and ``db.kept``
(5 GiB, not auto-delete); and ``filler``, 40 GiB thick.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from mockarray.array import capacity, inventory, volumes
from mockarray.errors import NoSpace
from mockarray.lab.seeding.loader import FixtureError
from tests.support.api import PREFIX, Api, control
from tests.support.checks import assert_error, listed, ok, unchanged
from tests.support.lab import array_doc

GiB = 2**30


def server() -> dict:
    return {
        "pools": [{"name": "small", "capacity": "100GiB"}],
        "volumes": [
            {
                "name": "db",
                "size": "80GiB",
                "used": "20GiB",
                "snapshots": [
                    # Oldest first; each holds space of its own.
                    {"name": "db.pinned", "age": "4d", "used": "5GiB", "isAutoDelete": True},
                    {"name": "db.old", "age": "3d", "used": "10GiB", "isAutoDelete": True},
                    {"name": "db.newer", "age": "2d", "used": "10GiB", "isAutoDelete": True},
                    {"name": "db.kept", "age": "1d", "used": "5GiB"},
                ],
            },
            # db.pinned has a clone depending on it: never auto-deleted.
            {"name": "db-clone", "cloneOf": {"volume": "db", "snapshot": "db.pinned"}},
            {
                "name": "filler",
                "size": "40GiB",
                "thin": False,
                "snapshots": [{"name": "filler.snap", "age": "1d"}],
            },
        ],
    }


@pytest.fixture
def alpha(lab):
    (array,) = lab.seed(array_doc("alpha", 1, servers=[server()]))
    return array.id


def snapshot_names(session, srv, volume="db") -> list[str]:
    vid = inventory.volume_id_by_name(session, srv, volume)
    return [s.name for s in inventory.list_snapshots(session, srv, vid)[0]]


def free(session, srv) -> int:
    return capacity.free_bytes(session, inventory.list_pools(session, srv)[0][0].id)


def append(session, srv, size: int):
    vid = inventory.volume_id_by_name(session, srv, "db")
    return volumes.host_write(session, srv, vid, size=size, append=True)


# -- behaviour ------------------------------------------------------------------------------


def test_a_write_that_needs_room_deletes_the_oldest_auto_delete_snapshots_it_needs(alpha, database):
    with database.transaction() as session:
        srv = inventory.get_server(session, alpha, "0")
        assert free(session, srv) == 10 * GiB
        # 15 GiB more: the oldest deletable snapshot (db.old, 10 GiB) is enough;
        # db.pinned is older but a clone depends on it.
        append(session, srv, 15 * GiB)
        deleted = capacity.take_auto_deleted(session)
    assert [(d.snapshot, d.freed_bytes, d.pool) for d in deleted] == [("db.old", 10 * GiB, "small")]
    assert "writing to 'db'" in deleted[0].needed_by
    with database.transaction() as session:
        srv = inventory.get_server(session, alpha, "0")
        assert snapshot_names(session, srv) == ["db.pinned", "db.newer", "db.kept"]
        assert free(session, srv) == 10 * GiB + 10 * GiB - 15 * GiB
        assert capacity.take_auto_deleted(session) == []


def test_a_call_that_does_not_fit_even_after_auto_deletion_deletes_nothing(alpha, database):
    with pytest.raises(NoSpace), database.transaction() as session:
        srv = inventory.get_server(session, alpha, "0")
        # 10 free + 20 deletable (db.old, db.newer) < 35: refused before deleting.
        append(session, srv, 35 * GiB)
    with database.transaction() as session:
        srv = inventory.get_server(session, alpha, "0")
        assert snapshot_names(session, srv) == ["db.pinned", "db.old", "db.newer", "db.kept"]
        assert capacity.take_auto_deleted(session) == []


def test_restore_to_new_spares_its_own_source_snapshot(alpha, database):
    with database.transaction() as session:
        srv = inventory.get_server(session, alpha, "0")
        db = inventory.volume_id_by_name(session, srv, "db")
        source = next(
            s for s in inventory.list_snapshots(session, srv, db)[0] if s.name == "db.old"
        )
        # 20 GiB needed, 10 free: db.old (the source) is spared, db.newer goes.
        volumes.restore_to_new(
            session,
            srv,
            db,
            source_snapshot_id=str(source.id),
            target_volume_name="db-copy",
            target_pool_ids=[],
        )
        assert [d.snapshot for d in capacity.take_auto_deleted(session)] == ["db.newer"]
        assert snapshot_names(session, srv) == ["db.pinned", "db.old", "db.kept"]


def test_seeding_never_auto_deletes(lab):
    doc = server()
    doc["volumes"].append({"name": "too-big", "size": "30GiB", "thin": False})
    with pytest.raises(FixtureError, match="small"):
        lab.seed(array_doc("alpha", 1, servers=[doc]))


# -- through the plugin API -----------------------------------------------------------------


def log_text(api: Api) -> str:
    response = api.client.get(
        f"{PREFIX}/log",
        headers={"x-storageplugin-sessionid": api.session_id, "Accept": "application/zip"},
    )
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(response.data)).read("api.log").decode()


def test_api_restore_to_new_auto_deletes_logs_and_journals(client, alpha):
    api = Api.login(client, "alpha.lab.test")
    vols = {v["name"]: v["id"] for v in listed(api, "/server/0/volume", "volumes")}
    snaps = {
        s["name"]: s["id"]
        for s in listed(api, f"/server/0/volume/{vols['db']}/snapshot", "snapshots")
    }
    ok(control(client, "DELETE", "/journal"))
    made = ok(
        api.post(
            f"/server/0/volume/{vols['db']}?action=restore-to-new",
            json={"sourceSnapshotId": snaps["db.kept"], "targetVolumeName": "db-copy"},
        )
    )
    assert made["name"] == "db-copy"
    left = [s["name"] for s in listed(api, f"/server/0/volume/{vols['db']}/snapshot", "snapshots")]
    assert left == ["db.pinned", "db.newer", "db.kept"]

    lines = [line for line in log_text(api).splitlines() if "auto-delete" in line]
    assert len(lines) == 1
    assert "snapshot=db.old" in lines[0] and f"freed_bytes={10 * GiB}" in lines[0]
    assert "pool=small" in lines[0] and "db-copy" in lines[0]

    (entry,) = [
        e
        for e in ok(control(client, "GET", "/journal"))["entries"]
        if e["action"] == "restoretonew"
    ]
    assert len(entry["notes"]) == 1 and "'db.old'" in entry["notes"][0]


def test_api_a_refused_call_auto_deletes_nothing_and_notes_nothing(client, alpha):
    api = Api.login(client, "alpha.lab.test")
    filler = {v["name"]: v["id"] for v in listed(api, "/server/0/volume", "volumes")}["filler"]
    (snap,) = listed(api, f"/server/0/volume/{filler}/snapshot", "snapshots")
    ok(control(client, "DELETE", "/journal"))
    # A thick copy needs 40 GiB: 10 free and 20 deletable are not enough.
    with unchanged(api):
        assert_error(
            api.post(
                f"/server/0/volume/{filler}?action=restore-to-new",
                json={"sourceSnapshotId": snap["id"], "targetVolumeName": "filler-copy"},
            ),
            507,
            "small",
        )
    assert "auto-delete" not in log_text(api)
    entries = ok(control(client, "GET", "/journal"))["entries"]
    assert all(entry["notes"] is None for entry in entries)


def test_api_a_host_write_lists_what_it_auto_deleted(client, alpha):
    written = ok(
        control(
            client,
            "POST",
            "/arrays/alpha/servers/0/volumes/db/writes",
            {"bytes": "15GiB", "append": True},
        )
    )
    assert len(written["autoDeleted"]) == 1 and "'db.old'" in written["autoDeleted"][0]
