"""The ``mockarray`` commands, in-process (``mockarray.cli.testing``): seed, reset, show, db."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from sqlalchemy import delete, select

from mockarray.array.clock import wall_ms
from mockarray.array.models import Array, RemoteArray, Server, Volume
from mockarray.array.sessions import hash_password
from mockarray.cli.testing import MockarrayRunner
from mockarray.database import Database
from mockarray.lab.models import LabFixture
from tests.support.api import PASSWORD, Api
from tests.support.db import head_revision, row_counts
from tests.support.lab import array_doc, standard_server

# -- helpers --------------------------------------------------------------------------------------


def lab_text(*arrays: dict) -> str:
    return yaml.safe_dump({"arrays": list(arrays)})


def standard_lab_text() -> str:
    """``alpha`` (the factories' standard server) and ``beta`` (one empty pool)."""
    return lab_text(array_doc("alpha", 1, servers=[standard_server()]), array_doc("beta", 2))


def write(tmp_path: Path, text: str, name: str = "lab.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(runner, *args: str, input: str | None = None, exit_code: int = 0):
    """Invoke ``mockarray ARGS``; the exit code must be ``exit_code``."""
    result = runner.invoke(args=list(args), input=input)
    assert result.exit_code == exit_code, (result.output, result.exception)
    return result


def array_names(database) -> list[str]:
    with database.transaction(write=False) as session:
        return list(session.scalars(select(Array.name).order_by(Array.name)))


def array_ids(database) -> dict[str, int]:
    with database.transaction(write=False) as session:
        return dict(session.execute(select(Array.name, Array.id)).all())


def volume_names(api: Api) -> list[str]:
    response = api.get("/server/0/volume")
    assert response.status_code == 200, response.get_json()
    return [volume["name"] for volume in response.get_json()["volumes"]]


def add_array_by_hand(database, name: str, number: int) -> None:
    """An array written straight to the database, as no fixture describes it."""
    with database.transaction() as session:
        array = Array(
            name=name,
            hostname=f"{name}.lab.test",
            ip_address=f"198.51.100.{number}",
            port=8443,
            vendor="Mockarray",
            model="MA-9000",
            version="1.0.0",
            serial_number=f"SN-{name.upper()}",
            naa_oui="0a0b0c",
            username="admin",
            password_hash=hash_password(PASSWORD),
            created_ms=wall_ms(),
        )
        session.add(array)
        session.flush()
        session.add(Server(array_id=array.id, key="0", name=name))


@pytest.fixture
def seeded(runner, tmp_path, database) -> Path:
    """The standard lab, seeded with ``mockarray seed FILE``; the file."""
    path = write(tmp_path, standard_lab_text())
    run(runner, "seed", str(path))
    return path


# -- seed -----------------------------------------------------------------------------------------


def test_seed_file_prints_the_seeded_arrays(runner, tmp_path, database):
    path = write(tmp_path, standard_lab_text())
    result = run(runner, "seed", str(path))
    assert result.output == f"Seeded 2 array(s) from {path}: alpha, beta.\n"
    assert array_names(database) == ["alpha", "beta"]


def test_seeding_again_is_refused_and_changes_nothing(runner, seeded, database):
    before, ids = row_counts(database), array_ids(database)
    result = run(runner, "seed", str(seeded), exit_code=1)
    assert f"{seeded}: arrays[0].name: An array with name 'alpha' already exists" in result.output
    assert f"{seeded}: arrays[1].name: An array with name 'beta' already exists" in result.output
    assert f"{seeded}: 2 problem(s); nothing was loaded." in result.output
    assert row_counts(database) == before
    assert array_ids(database) == ids


def test_seed_reports_a_bad_document_with_file_and_path(runner, tmp_path, database):
    server = standard_server()
    server["volumes"][0]["size"] = "100 parsecs"
    path = write(tmp_path, lab_text(array_doc("alpha", 1, servers=[server])), "bad.yaml")
    result = run(runner, "seed", str(path), exit_code=1)
    assert f"{path}: arrays[0].servers[0].volumes[0].size: Not understood" in result.output
    assert f"{path}: 1 problem(s); nothing was loaded." in result.output
    assert row_counts(database)["array"] == 0


def test_seed_check_validates_and_loads_nothing(runner, tmp_path, database):
    path = write(tmp_path, standard_lab_text())
    result = run(runner, "seed", "--check", str(path))
    assert result.output == f"{path} is a good fixture (nothing loaded): alpha, beta.\n"
    assert row_counts(database)["array"] == 0
    bad = write(tmp_path, standard_lab_text().replace("100GiB", "100 parsecs", 1), "bad.yaml")
    result = run(runner, "seed", "--check", str(bad), exit_code=1)
    assert f"{bad}: 1 problem(s); nothing was loaded." in result.output
    assert row_counts(database)["array"] == 0


def test_seed_replace_replaces_the_lab(runner, seeded, tmp_path, client, database):
    api = Api.login(client, "alpha.lab.test")
    other = write(tmp_path, lab_text(array_doc("gamma", 3)), "other.yaml")
    result = run(runner, "seed", "--replace", str(other))
    assert result.output == f"Seeded 1 array(s) from {other}: gamma.\n"
    assert array_names(database) == ["gamma"]
    assert api.get("/server/0/volume").status_code == 401
    # The replaced fixture is forgotten: a reset brings back gamma alone.
    run(runner, "reset", "--yes")
    assert array_names(database) == ["gamma"]


def test_seed_replace_with_a_bad_document_keeps_the_lab(runner, seeded, tmp_path, database):
    before, ids = row_counts(database), array_ids(database)
    bad = write(tmp_path, lab_text(array_doc("gamma", 3, port=0)), "bad.yaml")
    result = run(runner, "seed", "--replace", str(bad), exit_code=1)
    assert f"{bad}: arrays[0].port:" in result.output
    assert row_counts(database) == before
    assert array_ids(database) == ids


def test_seed_demo_if_empty_seeds_an_empty_lab_once(runner, database):
    result = run(runner, "seed", "--demo", "--if-empty")
    assert result.output == "Seeded 2 array(s) from demo.yaml: alpha, bravo.\n"
    before = row_counts(database)
    result = run(runner, "seed", "--demo", "--if-empty")
    assert result.output == "The lab already holds arrays; nothing seeded.\n"
    assert row_counts(database) == before


def test_seed_if_empty_does_nothing_on_a_lab_seeded_otherwise(runner, seeded, database):
    result = run(runner, "seed", "--demo", "--if-empty")
    assert "nothing seeded" in result.output
    assert array_names(database) == ["alpha", "beta"]


@pytest.mark.parametrize(
    "args", [pytest.param([], id="neither"), pytest.param(["x.yaml", "--demo"], id="both")]
)
def test_seed_needs_a_file_or_demo(runner, database, args):
    result = run(runner, "seed", *args, exit_code=2)
    assert "Usage:" in result.output
    assert "Name one FIXTURE file, or give --demo." in result.output
    assert row_counts(database)["array"] == 0


def test_seed_of_a_missing_file_is_a_usage_error(runner, tmp_path, database):
    result = run(runner, "seed", str(tmp_path / "nosuch.yaml"), exit_code=2)
    assert "nosuch.yaml is not a file" in result.output


def test_seed_dash_reads_standard_input(runner, database):
    result = run(runner, "seed", "-", input=lab_text(array_doc("alpha", 1)))
    assert result.output == "Seeded 1 array(s) from <stdin>: alpha.\n"
    assert array_names(database) == ["alpha"]


def test_seed_dash_names_stdin_in_problems(runner, database):
    result = run(runner, "seed", "-", input="- not\n- a mapping\n", exit_code=1)
    assert "<stdin>: (document): Expected a mapping" in result.output
    assert row_counts(database)["array"] == 0


# -- reset ----------------------------------------------------------------------------------------


def test_reset_brings_back_the_seeded_fixtures(runner, seeded, client, database):
    api = Api.login(client, "alpha.lab.test")
    assert volume_names(api) == ["vol1", "vol2", "vol1-clone"]
    add_array_by_hand(database, "handmade", 7)
    with database.transaction() as session:
        session.execute(delete(Volume).where(Volume.name == "vol1-clone"))
    assert volume_names(api) == ["vol1", "vol2"]
    assert array_names(database) == ["alpha", "beta", "handmade"]

    result = run(runner, "reset", "--yes")

    assert result.output == "The lab is back to its fixtures: 2 array(s).\n"
    assert api.get("/server/0/volume").status_code == 401
    assert array_names(database) == ["alpha", "beta"]
    assert volume_names(Api.login(client, "alpha.lab.test")) == ["vol1", "vol2", "vol1-clone"]
    # The fixture is still recorded: a second reset does the same again.
    run(runner, "reset", "--yes")
    assert array_names(database) == ["alpha", "beta"]


def test_reset_loads_every_seeded_fixture_in_order(runner, tmp_path, database):
    first = write(tmp_path, lab_text(array_doc("alpha", 1)), "first.yaml")
    partner = {
        "pools": [{"name": "pool1", "capacity": "1TiB"}],
        "remoteArrays": [{"name": "alpha", "hostAddress": "198.51.100.1", "array": "alpha"}],
    }
    second = write(tmp_path, lab_text(array_doc("beta", 2, servers=[partner])), "second.yaml")
    run(runner, "seed", str(first))
    run(runner, "seed", str(second))

    result = run(runner, "reset", "--yes")

    assert result.output == "The lab is back to its fixtures: 2 array(s).\n"
    ids = array_ids(database)
    assert sorted(ids) == ["alpha", "beta"]
    # beta's partner link follows the new alpha (reset makes new ids).
    with database.transaction(write=False) as session:
        assert session.scalars(select(RemoteArray.partner_array_id)).all() == [ids["alpha"]]


def test_reset_empty_empties_the_lab_and_forgets_the_fixtures(runner, seeded, client, database):
    Api.login(client, "alpha.lab.test")
    result = run(runner, "reset", "--empty", "--yes")
    assert result.output == "The lab is empty.\n"
    assert set(row_counts(database).values()) == {0}
    run(runner, "reset", "--yes")
    assert array_names(database) == []


def test_reset_answered_no_changes_nothing(runner, seeded, client, database):
    api = Api.login(client, "alpha.lab.test")
    add_array_by_hand(database, "handmade", 7)
    before = row_counts(database)
    result = run(runner, "reset", input="n\n", exit_code=1)
    assert "put the lab back to its seeded fixtures" in result.output
    assert "Aborted!" in result.output
    assert row_counts(database) == before
    assert volume_names(api) == ["vol1", "vol2", "vol1-clone"]


def test_reset_answered_yes_resets(runner, seeded, database):
    add_array_by_hand(database, "handmade", 7)
    run(runner, "reset", input="y\n")
    assert array_names(database) == ["alpha", "beta"]


# -- show -----------------------------------------------------------------------------------------


def lines_of(result) -> list[str]:
    return [line.strip() for line in result.output.splitlines()]


def test_show_lists_each_array_with_its_login_and_pools(runner, seeded):
    lines = lines_of(run(runner, "show"))
    for expected in (
        "alpha  Mockarray MA-9000 1.0.0, serial SN-ALPHA",
        "log in: hostname alpha.lab.test or ipAddress 198.51.100.1, port 8443, user admin",
        "server '0' (alpha)",
        # pool1: vol1 is thin, 10 GiB used, its snapshots hold 1 GiB; the clone shares all.
        "pool pool1: 1 TiB, 1013 GiB free",
        # pool2: thick vol2 takes its whole 50 GiB.
        "pool pool2: 100 GiB, 50 GiB free",
        "replicates to: partner",
        "beta  Mockarray MA-9000 1.0.0, serial SN-BETA",
        "log in: hostname beta.lab.test or ipAddress 198.51.100.2, port 8443, user admin",
        "pool pool1: 10 TiB, 10 TiB free",
    ):
        assert expected in lines, expected
    assert lines.index("server '0' (alpha)") < lines.index("server '0' (beta)")


def test_show_counts_what_each_server_holds(runner, seeded):
    lines = lines_of(run(runner, "show"))
    assert (
        # Every block volume has its LUN; the clone's is offline.
        "volumes: 3, clones: 1, snapshots: 4, LUNs: 3, offline LUNs: 1, hosts: 2, mappings: 1, "
        "host groups: 1, networks: 2, consistency groups: 1"
    ) in lines
    assert (
        "volumes: 0, clones: 0, snapshots: 0, LUNs: 0, offline LUNs: 0, hosts: 0, mappings: 0, "
        "host groups: 0, networks: 0, consistency groups: 0"
    ) in lines


def test_show_json_has_every_figure_with_stable_keys(runner, seeded):
    shown = json.loads(run(runner, "show", "--json").output)
    alpha, beta = shown["arrays"]
    assert {key: alpha[key] for key in alpha if key != "servers"} == {
        "name": "alpha",
        "vendor": "Mockarray",
        "model": "MA-9000",
        "version": "1.0.0",
        "serialNumber": "SN-ALPHA",
        "hostname": "alpha.lab.test",
        "ipAddress": "198.51.100.1",
        "port": 8443,
        "username": "admin",
    }
    [server] = alpha["servers"]
    assert server == {
        "id": "0",
        "name": "alpha",
        "pools": [
            {"name": "pool1", "capacity": 2**40, "free": 2**40 - 11 * 2**30},
            {"name": "pool2", "capacity": 100 * 2**30, "free": 50 * 2**30},
        ],
        "counts": {
            "volumes": 3,
            "clones": 1,
            "snapshots": 4,
            "luns": 3,
            "offlineLuns": 1,
            "hosts": 2,
            "mappings": 1,
            "hostGroups": 1,
            "networks": 2,
            "consistencyGroups": 1,
        },
        "replicatesTo": ["partner"],
    }
    assert beta["servers"][0]["counts"]["volumes"] == 0
    assert json.loads(run(runner, "show", "beta", "--json").output) == {"arrays": [beta]}


def test_show_json_of_an_empty_lab(runner, database):
    assert json.loads(run(runner, "show", "--json").output) == {"arrays": []}


def test_show_one_array(runner, seeded):
    output = run(runner, "show", "alpha").output
    assert "log in: hostname alpha.lab.test" in output
    assert "pool pool2: 100 GiB" in output
    assert "beta" not in output


def test_show_an_unknown_array_says_so_and_fails(runner, seeded):
    result = runner.invoke(args=["show", "nosuch"])
    assert result.exit_code == 1
    assert "No array named 'nosuch'" in result.output


def test_show_an_empty_lab(runner, database):
    assert run(runner, "show").output == "The lab is empty.\n"


# -- db -------------------------------------------------------------------------------------------


def test_db_current_prints_the_head_revision(runner, database):
    assert run(runner, "db", "current").output == f"{head_revision(database)}\n"


def test_db_upgrade_creates_a_new_database_and_says_where(tmp_path):
    path = tmp_path / "data" / "fresh.db"
    runner = MockarrayRunner({"DATABASE_URL": f"sqlite:///{path}", "DATA_DIR": str(tmp_path)})
    missing = run(runner, "db", "current", exit_code=1).output
    assert f"There is no database at {path}; run 'mockarray db upgrade'" in missing
    assert not path.exists()

    output = run(runner, "db", "upgrade").output
    assert f"Created the database at {path}." in output
    assert "is at revision head" in output
    assert run(runner, "db", "current").output == f"{head_revision_of(path)}\n"
    database = Database(f"sqlite:///{path}")
    try:
        with database.transaction(write=False) as session:
            assert session.scalars(select(LabFixture)).all() == []
    finally:
        database.dispose()
    # Upgraded again, it is not created again.
    assert "Created" not in run(runner, "db", "upgrade").output


def test_db_upgrade_makes_the_database_and_its_folder_the_owners_only(tmp_path):
    path = tmp_path / "data" / "lab.db"
    runner = MockarrayRunner({"DATABASE_URL": f"sqlite:///{path}", "DATA_DIR": str(tmp_path)})
    previous = os.umask(0o022)  # what most shells give: files readable by all
    try:
        run(runner, "db", "upgrade")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    modes = {file.name: stat.S_IMODE(file.stat().st_mode) for file in path.parent.glob("lab.db*")}
    assert "lab.db" in modes and set(modes.values()) == {0o600}, modes


def head_revision_of(path: Path) -> str:
    database = Database(f"sqlite:///{path}")
    try:
        return head_revision(database)
    finally:
        database.dispose()


def test_db_current_of_an_unmigrated_database(tmp_path):
    path = tmp_path / "empty.db"
    Database(f"sqlite:///{path}").engine.connect().close()
    runner = MockarrayRunner({"DATABASE_URL": f"sqlite:///{path}", "DATA_DIR": str(tmp_path)})
    assert run(runner, "db", "current").output == "(empty: run 'mockarray db upgrade')\n"


@pytest.mark.parametrize(
    "args", [["show"], ["checkpoint", "list"], ["seed", "--demo"], ["clock", "show"]]
)
def test_a_command_on_an_unmigrated_database_says_to_upgrade(tmp_path, args):
    path = tmp_path / "empty.db"
    Database(f"sqlite:///{path}").engine.connect().close()
    runner = MockarrayRunner({"DATABASE_URL": f"sqlite:///{path}", "DATA_DIR": str(tmp_path)})
    result = run(runner, *args, exit_code=1)
    assert result.output == (
        f"Error: The database at {path} has no mockarray tables yet (or older ones); "
        "run 'mockarray db upgrade'.\n"
    )


def test_a_command_run_from_another_folder_creates_no_data_dir_there(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MOCKARRAY_DATA_DIR", raising=False)
    monkeypatch.delenv("MOCKARRAY_DATABASE_URL", raising=False)
    result = run(MockarrayRunner(), "show", exit_code=1)
    expected = tmp_path.resolve() / "var" / "mockarray.db"
    assert f"There is no database at {expected}" in result.output
    assert "MOCKARRAY_DATA_DIR" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_bad_setting_is_a_clean_error(monkeypatch):
    monkeypatch.setenv("MOCKARRAY_WORKERS", "many")
    result = run(MockarrayRunner(), "show", exit_code=1)
    assert result.output == "Error: MOCKARRAY_WORKERS must be a whole number, not 'many'\n"


# -- the group ------------------------------------------------------------------------------------


def test_help_lists_only_mockarrays_commands():
    output = run(MockarrayRunner(), "--help").output
    listed = {
        line.split()[0]
        for line in output.split("Commands:")[1].splitlines()
        if line.startswith("  ") and line.strip()
    }
    assert listed == {
        "checkpoint",
        "clock",
        "conformance",
        "db",
        "fault",
        "journal",
        "openapi",
        "reset",
        "seed",
        "serve",
        "show",
        "write",
    }
    assert "--env-file" not in output and "--app" not in output


def test_version_prints_the_package_version():
    output = run(MockarrayRunner(), "--version").output
    assert output == f"mockarray, version {version('mockarray')}\n"


def test_python_dash_m_runs_the_command():
    result = subprocess.run(
        [sys.executable, "-m", "mockarray", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout == f"mockarray, version {version('mockarray')}\n"


@pytest.mark.parametrize(("prefix", "path"), [("", "/session"), ("CONTROL", "/checkpoints")])
def test_openapi_print(runner, prefix, path):
    document = json.loads(run(runner, "openapi", "print", "--config-prefix", prefix).output)
    assert any(p.endswith(path) for p in document["paths"]), list(document["paths"])
