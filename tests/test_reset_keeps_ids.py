"""A reset puts the seeded lab back with every id it had: seeding saves the lab's
state as the checkpoint ``.seeded``, and a reset restores it (and falls back to
seeding again when a database has none it can use)."""

from __future__ import annotations

import json
import zlib

import pytest
import yaml
from sqlalchemy import select, update

from mockarray.lab import checkpoints
from mockarray.lab.models import Checkpoint
from mockarray.lab.seeding import loader
from tests.support.api import CONTROL, Api
from tests.support.checks import assert_error, ids, listed, ok, state, take_snapshot
from tests.support.lab import array_doc, standard_arrays

JSON = "application/json"


def seed_over_http(client, *arrays: dict, **query) -> dict:
    return ok(
        client.post(
            f"{CONTROL}/seed",
            data=yaml.safe_dump({"arrays": list(arrays)}),
            content_type="application/yaml",
            query_string=query,
            headers={"Accept": JSON},
        )
    )


def reset_over_http(client) -> list[str]:
    return ok(client.post(f"{CONTROL}/reset", json={}, headers={"Accept": JSON}))["arrays"]


def every_row(database) -> dict[str, list[dict]]:
    """Every row of the arrays' state, table by table, in id order: every id and
    every value the lab holds."""
    with database.transaction(write=False) as session:
        return {
            table.name: [
                dict(row._mapping)
                for row in session.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in checkpoints._state_tables()
        }


def every_id(api: Api) -> dict:
    """What the plugin API shows of alpha's server ``0``, every kind of object by
    name with its id (and ``state``: volumes, snapshots, pools, hosts, LUNs...)."""
    groups = ids(api, "/server/0/consistencygroup", "consistencyGroups")
    return {
        "storage": ok(api.get("/storage"))["id"],
        "servers": ids(api, "/server", "servers"),
        "hostGroups": ids(api, "/server/0/hostgroup", "groups"),
        "networks": ids(api, "/server/0/network", "networks"),
        "remoteArrays": listed(api, "/server/0/remotearray", "remoteArrays"),
        "consistencyGroups": groups,
        "groupSnapshots": {
            name: listed(api, f"/server/0/consistencygroup/{group}/snapshot", "snapshots")
            for name, group in groups.items()
        },
        "state": state(api),
    }


def change_everything(client, api: Api) -> None:
    """Through the plugin API and the control plane: new objects, deleted ones,
    changed ones."""
    volumes = ids(api, "/server/0/volume", "volumes")
    hosts = ids(api, "/server/0/host", "hosts")
    snapshot = take_snapshot(api, volumes["vol2"], "after-seeding")
    clone = {"name": "new-clone", "snapshot": {"id": snapshot["id"]}}
    ok(api.post(f"/server/0/volume/{volumes['vol2']}?action=clone", json=clone))
    mapping = {"volumeId": volumes["vol2"]}
    ok(api.post(f"/server/0/host/{hosts['host-fc']}?action=map", json=mapping))
    assert api.delete(f"/server/0/volume/{volumes['vol1-clone']}").status_code == 200
    ok(api.post("/server/0/host", json={"name": "new-host", "iqns": ["iqn.2000-01.test:new"]}))
    write = {"bytes": "1GiB"}
    ok(
        client.post(
            f"{CONTROL}/arrays/alpha/servers/0/volumes/vol1/writes",
            json=write,
            headers={"Accept": JSON},
        )
    )


# -- the seeded state comes back with its ids ----------------------------------------------------


@pytest.mark.parametrize("front", ["http", "cli"])
def test_reset_puts_back_every_object_with_its_id(client, runner, database, front):
    seed_over_http(client, *standard_arrays())
    api = Api.login(client, "alpha.lab.test")
    seeded_rows, seeded_ids = every_row(database), every_id(api)

    change_everything(client, api)
    assert every_row(database) != seeded_rows

    if front == "http":
        assert reset_over_http(client) == ["alpha", "beta"]
    else:
        result = runner.invoke(args=["reset", "--yes"])
        assert result.output == "The lab is back to its fixtures: 2 array(s).\n"

    assert every_row(database) == seeded_rows
    # Every plugin session ended; a new one sees the same objects, same ids.
    assert_error(api.get("/server/0/volume"), 401)
    assert every_id(Api.login(client, "alpha.lab.test")) == seeded_ids


def test_reset_restores_the_checkpoint_and_builds_nothing(client, database, monkeypatch):
    """As fast as a checkpoint restore: nothing of the fixture is built again."""
    seed_over_http(client, *standard_arrays())
    seeded = every_row(database)

    def no_building(*_args, **_kwargs):
        raise AssertionError("reset built the fixture again")

    monkeypatch.setattr(loader, "_Loader", no_building)
    change_everything(client, Api.login(client, "alpha.lab.test"))
    assert reset_over_http(client) == ["alpha", "beta"]
    assert every_row(database) == seeded


def test_resets_keep_the_ids_again_and_again(client, database):
    seed_over_http(client, *standard_arrays())
    seeded = every_row(database)
    for _ in range(3):
        change_everything(client, Api.login(client, "alpha.lab.test"))
        reset_over_http(client)
        assert every_row(database) == seeded


def test_the_seeded_state_is_kept_for_fixtures_seeded_one_after_another(client, database):
    seed_over_http(client, array_doc("alpha", 1))
    partner = {
        "pools": [{"name": "pool1", "capacity": "1TiB"}],
        "remoteArrays": [{"name": "alpha", "hostAddress": "198.51.100.1", "array": "alpha"}],
    }
    seed_over_http(client, array_doc("beta", 2, servers=[partner]))
    seeded = every_row(database)
    add_a_host_to_alpha(client)

    assert reset_over_http(client) == ["alpha", "beta"]
    assert every_row(database) == seeded


def add_a_host_to_alpha(client) -> None:
    api = Api.login(client, "alpha.lab.test")
    taken = ids(api, "/server/0/host", "hosts")
    name = f"host-{len(taken)}"
    ok(api.post("/server/0/host", json={"name": name, "iqns": [f"iqn.2000-01.test:{name}"]}))


def test_a_fixture_seeded_into_a_changed_lab_gets_its_ids_at_the_first_reset(client, database):
    """The lab was changed before the second fixture came: the seeded state holds
    the first one; a reset puts it back and seeds the second on top, once."""
    seed_over_http(client, array_doc("alpha", 1))
    alpha_as_seeded = every_row(database)
    add_a_host_to_alpha(client)
    seed_over_http(client, array_doc("beta", 2))

    reset_over_http(client)
    after_first = every_row(database)
    alpha_ids = {row["id"] for row in alpha_as_seeded["array"]}
    assert [row for row in after_first["array"] if row["id"] in alpha_ids] == alpha_as_seeded[
        "array"
    ]
    assert [row["name"] for row in after_first["array"]] == ["alpha", "beta"]
    assert [row["name"] for row in after_first["host"]] == []

    # From then on, every id stays.
    add_a_host_to_alpha(client)
    reset_over_http(client)
    assert every_row(database) == after_first


def test_a_checkpoint_restore_between_resets_changes_nothing_of_it(client, database):
    seed_over_http(client, *standard_arrays())
    seeded = every_row(database)
    change_everything(client, Api.login(client, "alpha.lab.test"))
    ok(
        client.post(f"{CONTROL}/checkpoints", json={"name": "changed"}, headers={"Accept": JSON}),
        201,
    )
    reset_over_http(client)
    ok(client.post(f"{CONTROL}/checkpoints/changed/restore", json={}, headers={"Accept": JSON}))
    assert every_row(database) != seeded
    reset_over_http(client)
    assert every_row(database) == seeded


# -- without a seeded state it can use -----------------------------------------------------------


def test_a_database_without_the_seeded_state_is_seeded_again_and_keeps_ids_after(client, database):
    """A database seeded by an older version has the fixtures and no ``.seeded``."""
    seed_over_http(client, *standard_arrays())
    with database.transaction() as session:
        checkpoints.drop_seeded(session)

    assert reset_over_http(client) == ["alpha", "beta"]
    reseeded = every_row(database)
    with database.transaction(write=False) as session:
        assert session.scalar(select(Checkpoint.name).where(Checkpoint.name == ".seeded"))

    change_everything(client, Api.login(client, "alpha.lab.test"))
    reset_over_http(client)
    assert every_row(database) == reseeded


def saved_under_revision(database, name: str, revision: str) -> None:
    """The checkpoint ``name`` as if saved under another database revision."""
    with database.transaction() as session:
        checkpoint = session.scalar(select(Checkpoint).where(Checkpoint.name == name))
        saved = json.loads(zlib.decompress(checkpoint.data))
        saved["schema"] = revision
        session.execute(
            update(Checkpoint)
            .where(Checkpoint.id == checkpoint.id)
            .values(data=zlib.compress(json.dumps(saved).encode()))
        )


def test_a_seeded_state_of_another_schema_is_seeded_again(client, database):
    seed_over_http(client, *standard_arrays())
    saved_under_revision(database, ".seeded", "0001")
    change_everything(client, Api.login(client, "alpha.lab.test"))

    assert reset_over_http(client) == ["alpha", "beta"]

    api = Api.login(client, "alpha.lab.test")
    assert sorted(ids(api, "/server/0/volume", "volumes")) == ["vol1", "vol1-clone", "vol2"]
    with database.transaction(write=False) as session:
        saved = checkpoints.read(checkpoints.get(session, ".seeded"))
        assert saved["schema"] == checkpoints.schema_revision(session) != "0001"


def test_a_checkpoint_of_another_schema_is_not_restored(client, database):
    seed_over_http(client, *standard_arrays())
    ok(client.post(f"{CONTROL}/checkpoints", json={"name": "old"}, headers={"Accept": JSON}), 201)
    saved_under_revision(database, "old", "0001")
    before = every_row(database)
    response = client.post(f"{CONTROL}/checkpoints/old/restore", json={}, headers={"Accept": JSON})
    assert_error(response, 409, "revision 0001", "Save it again")
    assert every_row(database) == before


# -- the lab's own checkpoint ----------------------------------------------------------------------


def test_the_seeded_state_is_not_listed_saved_over_or_deleted(client, runner):
    seed_over_http(client, *standard_arrays())
    assert ok(client.get(f"{CONTROL}/checkpoints"))["checkpoints"] == []
    assert runner.invoke(args=["checkpoint", "list"]).output == "No checkpoints.\n"
    saved = client.post(
        f"{CONTROL}/checkpoints", json={"name": ".seeded"}, headers={"Accept": JSON}
    )
    assert_error(saved, 400, ".seeded", field="name")
    deleted = client.delete(
        f"{CONTROL}/checkpoints/.seeded", headers={"Accept": JSON}, content_type=JSON
    )
    assert_error(deleted, 409, "reset")
    # Restoring it is a reset that keeps the sessions.
    api = Api.login(client, "alpha.lab.test")
    restored = client.post(f"{CONTROL}/checkpoints/.seeded/restore", json={})
    assert ok(restored)["name"] == ".seeded"
    assert ok(api.get("/server/0/volume"))


def test_reset_empty_forgets_the_seeded_state(client, database):
    seed_over_http(client, *standard_arrays())
    ok(client.post(f"{CONTROL}/reset", json={"empty": True}, headers={"Accept": JSON}))
    with database.transaction(write=False) as session:
        assert session.scalar(select(Checkpoint.id)) is None
    assert reset_over_http(client) == []
