"""A list answers with the same number of SQL statements for 510 objects as for 10.

Two arrays are seeded, ``small`` and ``large``, whose server holds SMALL and
LARGE objects of every kind, each with the related objects its list shows
(a host's initiators and mappings, a group's members...). For each list, the
statements the app's engine executes during one GET are counted on both
arrays: a list that loads related objects one parent at a time (N+1), or in
batches of a fixed size, shows up as a count that grows with the list.
Reads must also never write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import yaml

from mockarray.database import Database
from mockarray.lab import journal
from tests.support.api import Api
from tests.support.db import recorded_statements
from tests.support.lab import array_doc

#: LARGE is more than SQLAlchemy's selectin batch (500 ids per IN list), so related
#: objects loaded in fixed-size batches would show as a count that grows too.
SMALL, LARGE = 10, 510
GiB, MiB, TiB = 2**30, 2**20, 2**40
WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE"})


@pytest.fixture
def fast_yaml(monkeypatch):
    """Write and parse the big fixture documents with libyaml: the same documents,
    several seconds faster than PyYAML's pure-Python safe_dump/safe_load."""
    if not yaml.__with_libyaml__:
        return
    monkeypatch.setattr(yaml, "safe_load", lambda text: yaml.load(text, Loader=yaml.CSafeLoader))
    monkeypatch.setattr(
        yaml,
        "safe_dump",
        lambda data, stream=None, **kwargs: yaml.dump(
            data, stream, Dumper=yaml.CSafeDumper, **kwargs
        ),
    )


def writes_among(statements: list[str]) -> list[str]:
    """The writes, but for the request journal's one insert per call (checked here)."""
    found = [s for s in statements if s.lstrip().split(None, 1)[0].upper() in WRITES]
    journal = [s for s in found if s.upper().startswith("INSERT INTO JOURNAL_ENTRY")]
    assert len(journal) == 1, f"expected one journal insert, got {journal}"
    trims = [s for s in found if s.upper().startswith("DELETE FROM JOURNAL_ENTRY")]
    return [s for s in found if s not in journal and s not in trims]


def measured_get(database: Database, api: Api, path: str):
    """One GET: its response and the statements it ran (none of them a write)."""
    with recorded_statements(database) as statements:
        response = api.get(path)
    assert response.status_code == 200, (path, response.get_json())
    assert statements, "the listener saw no statement at all"
    assert writes_among(statements) == [], f"GET {path} wrote"
    return response, statements


# -- the lab: n objects of every kind ----------------------------------------------------


def lab_server(n: int) -> dict:
    """n of every kind of object, each with the related objects its list shows.

    Pool i holds thick volume i, which has a LUN and is the one member of
    consistency group i; every group replicates to partner0000 (one of n
    remote arrays). Host i has an IQN, a WWN and a server group key, is the
    one member of host group i, and maps vol0000's LUN. vol0000 also has n
    snapshots holding 1 MiB each; there are n networks.
    """
    names = {kind: [f"{kind}{i:04d}" for i in range(n)] for kind in ("pool", "vol", "host")}
    return {
        "pools": [{"name": name, "capacity": "1TiB"} for name in names["pool"]],
        "remoteArrays": [
            {"name": f"partner{i:04d}", "hostAddress": f"10.0.{i // 256}.{i % 256}"}
            for i in range(n)
        ],
        "networks": [
            {
                "name": f"eth{i:04d}",
                "ipAddress": f"10.1.{i // 256}.{i % 256}",
                "config": {"iscsi": True},
            }
            for i in range(n)
        ],
        "volumes": [
            {
                "name": volume,
                "size": "1GiB",
                "thin": False,
                "pool": pool,
                "lun": True,
                "snapshots": [{"name": f"snap{j:04d}", "used": "1MiB"} for j in range(n)]
                if i == 0
                else [],
            }
            for i, (volume, pool) in enumerate(zip(names["vol"], names["pool"], strict=True))
        ],
        "hosts": [
            {
                "name": host,
                "iqns": [f"iqn.2020-01.test.lab:{host}"],
                "wwns": [f"5001438000{i:06x}"],
                "serverGroupKeys": ["sg1"],
                "luns": [{"volume": "vol0000", "lunNumber": 1}],
            }
            for i, host in enumerate(names["host"])
        ],
        "hostGroups": [
            {"name": f"group{i:04d}", "hosts": [host]} for i, host in enumerate(names["host"])
        ],
        "consistencyGroups": [
            {"name": f"cg{i:04d}", "volumes": [volume], "targets": ["partner0000"]}
            for i, volume in enumerate(names["vol"])
        ],
    }


def first_id(api: Api, path: str, key: str) -> str:
    """The id of the first object of a list (``vol0000``, ``host0000``...)."""
    response = api.get(path, query_string={"limit": 1})
    assert response.status_code == 200, response.get_json()
    return response.get_json()[key][0]["id"]


@dataclass(frozen=True)
class Case:
    name: str
    key: str
    path: Callable[[Api], str]
    #: Whether an entry of a list of n shows what was seeded: the related objects are loaded.
    check: Callable[[dict, int], bool]


CASES = [
    Case(
        "volume",
        "volumes",
        lambda api: "/server/0/volume",
        lambda v, n: v["stats"]["size"] == GiB and v["config"] == {"thinProvisioned": False},
    ),
    Case(
        "lun",
        "luns",
        lambda api: "/server/0/lun",
        lambda lun, n: lun["volumeType"] == "block" and lun["name"].startswith("vol"),
    ),
    Case(
        "host",
        "hosts",
        lambda api: "/server/0/host",
        lambda h, n: (
            len(h["mappedLunIds"]) == len(h["iqns"]) == len(h["wwns"]) == 1
            and h["serverGroupKeys"] == ["sg1"]
            and h["config"] == {"fc": True, "iscsi": True}
        ),
    ),
    Case(
        "hostgroup",
        "groups",
        lambda api: "/server/0/hostgroup",
        lambda g, n: len(g["hostIds"]) == 1,
    ),
    Case(
        "consistencygroup",
        "consistencyGroups",
        lambda api: "/server/0/consistencygroup",
        lambda g, n: len(g["volumeIds"]) == 1,
    ),
    Case(
        "pool",
        "pools",
        lambda api: "/server/0/pool",
        # Less its thick volume, and for pool0000 its volume's n snapshots.
        lambda p, n: p["freeSpace"] == TiB - GiB - (n * MiB if p["name"] == "pool0000" else 0),
    ),
    Case(
        "network",
        "networks",
        lambda api: "/server/0/network",
        lambda net, n: net["config"]["iscsi"] is True,
    ),
    Case(
        "remotearray",
        "remoteArrays",
        lambda api: "/server/0/remotearray",
        lambda r, n: r["name"].startswith("partner"),
    ),
    Case(
        "snapshot",
        "snapshots",
        lambda api: f"/server/0/volume/{first_id(api, '/server/0/volume', 'volumes')}/snapshot",
        lambda s, n: s["consistencyGroupSnapshotId"] is None,
    ),
]


def test_lists_of_510_take_as_many_statements_as_lists_of_10(
    fast_yaml, lab, client, database, subtests
):
    lab.seed(
        array_doc("small", 1, servers=[lab_server(SMALL)]),
        array_doc("large", 2, servers=[lab_server(LARGE)]),
    )
    apis = {array: Api.login(client, f"{array}.lab.test") for array in ("small", "large")}
    for case in CASES:
        with subtests.test(case.name):
            counts = {}
            for (array, api), size in zip(apis.items(), (SMALL, LARGE), strict=True):
                response, statements = measured_get(database, api, case.path(api))
                entries = response.get_json()[case.key]
                assert len(entries) == size
                assert response.headers["X-Total-Count"] == str(size)
                assert all(case.check(entry, size) for entry in entries), entries[0]
                # The journal's own statements (an insert, a trim now and then)
                # are not the list's queries.
                counts[array] = sum("JOURNAL_ENTRY" not in s.upper() for s in statements)
            assert counts["large"] == counts["small"], counts


def test_every_read_of_the_standard_lab_makes_no_write(api, database):
    volumes = api.ids("/server/0/volume", "volumes")
    host = api.ids("/server/0/host", "hosts")["host-iscsi"]
    cg = api.ids("/server/0/consistencygroup", "consistencyGroups")["cg1"]
    snapshot = api.ids(f"/server/0/volume/{volumes['vol1']}/snapshot", "snapshots")["vol1.snap1"]
    lists = ["volume", "lun", "host", "hostgroup", "network", "pool", "consistencygroup"]
    paths = [f"/server/0/{name}" for name in lists] + [
        "/server/0/remotearray",
        f"/server/0/volume/{volumes['vol1']}",
        f"/server/0/volume/{volumes['vol1-clone']}/splitstatus",
        f"/server/0/volume/{volumes['vol1']}/snapshot",
        f"/server/0/volume/{volumes['vol1']}/snapshot/{snapshot}",
        f"/server/0/lun/{api.ids('/server/0/lun', 'luns')['vol1']}",
        f"/server/0/host/{host}",
        f"/server/0/host/{host}/lun",
        f"/server/0/network/{api.ids('/server/0/network', 'networks')['eth0']}",
        f"/server/0/pool/{api.ids('/server/0/pool', 'pools')['pool1']}",
        f"/server/0/consistencygroup/{cg}",
        f"/server/0/consistencygroup/{cg}/snapshot",
    ]
    for path in paths:
        measured_get(database, api, path)
    # An unknown object is no excuse to write either.
    with recorded_statements(database) as statements:
        assert api.get("/server/0/volume/987654321").status_code == 404
    assert writes_among(statements) == []


def statement_kinds(statements: list[str]) -> list[str]:
    """Each statement as its verb and table (``SELECT plugin_session``); settings
    (PostgreSQL's ``SET LOCAL`` of a lazy commit) left out."""
    kinds = []
    for statement in statements:
        words = statement.replace('"', "").split()
        verb = words[0].upper()
        if verb == "SET":
            continue
        if verb == "SELECT" and "AS opening" in statement:
            table = "opening"  # the session and what the lab reads (plugin.core.opening_read)
        elif verb == "SELECT":
            table = words[words.index("FROM") + 1] if "FROM" in words else "(values)"
        elif verb in ("INSERT", "DELETE"):
            table = words[2]
        else:
            table = words[1]
        kinds.append(f"{verb} {table}")
    return kinds


#: What the hot calls of the plugin API cost, statement by statement: the opening
#: read (the session, the lab's clock, "any fault rule?", the path's server), the
#: call's own, the journal.
PINNED = {
    "GET /server/0/volume?limit=25": [
        "SELECT opening",
        "SELECT volume",
        "INSERT journal_entry",
    ],
    "GET /server/0/volume?limit=1&start=2": [
        "SELECT opening",
        "SELECT volume",
        "INSERT journal_entry",
    ],
    "GET /server/0/volume/{vol1}": [
        "SELECT opening",
        "SELECT volume",
        "INSERT journal_entry",
    ],
    "GET /server/0/volume/{vol1}/snapshot": [
        "SELECT opening",
        "SELECT volume",
        "SELECT snapshot",
        "INSERT journal_entry",
    ],
    "POST /server/0/volume/{vol2}/snapshot": [
        "SELECT opening",
        "SELECT volume",
        "SELECT snapshot",
        "INSERT snapshot",
        "INSERT journal_entry",
    ],
}


@pytest.mark.parametrize("call", PINNED)
def test_the_hot_calls_make_exactly_these_statements(api, ref, database, call, monkeypatch):
    # One call in TRIM_EVERY also trims the journal (a delete): not this one.
    monkeypatch.setattr(journal, "TRIM_EVERY", 2**62)
    method, path = call.split(" ", 1)
    path = path.format(**ref)
    with recorded_statements(database) as statements:
        body = {"name": "pinned"} if method == "POST" else None
        response = api.client.open(
            f"/storageplugin/api{path}",
            method=method,
            json=body,
            headers={"x-storageplugin-sessionid": api.session_id, "Accept": "application/json"},
        )
        assert response.status_code in (200, 201), response.get_json()
    assert statement_kinds(statements) == PINNED[call]
