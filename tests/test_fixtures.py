"""The fixture loader (``mockarray.lab.seeding.loader.seed``), sizes and initiator names.

Fixture documents are seeded the way the CLI does it: ``seed(session, text,
source)`` inside one ``database.transaction()``. A bad document must raise
``FixtureError`` with every problem at its place in the document, and leave
the database exactly as it was.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import yaml
from sqlalchemy import select
from werkzeug.security import check_password_hash

from mockarray.array.initiators import normalize_iscsi_name, normalize_wwn
from mockarray.array.models import (
    Array,
    CgReplicationTarget,
    CgSnapshot,
    ConsistencyGroup,
    Host,
    HostInitiator,
    LongTask,
    Lun,
    LunMapping,
    Network,
    Pool,
    RemoteArray,
    Server,
    Snapshot,
    Volume,
)
from mockarray.array.sessions import hash_password
from mockarray.lab.models import LabFixture
from mockarray.lab.seeding.loader import (
    FixtureError,
    YamlLoader,
    check,
    demo_fixture_text,
    read_document,
    reset,
    seed,
    wipe,
)
from mockarray.lab.seeding.schema import ServerFixture
from mockarray.units import format_size, format_sizes, parse_duration_ms, parse_size
from tests.support.db import recorded_statements, row_counts
from tests.support.lab import array_doc, standard_server

GiB = 2**30
TiB = 2**40

# -- helpers --------------------------------------------------------------------------------------


def dump(*arrays: dict) -> str:
    return yaml.safe_dump({"arrays": list(arrays)})


def seed_text(database, text: str, source: str = "test.yaml") -> list[str]:
    """Seed ``text`` in one transaction; the names of the arrays it made."""
    with database.transaction() as session:
        return [array.name for array in seed(session, text, source)]


def problems_of(database, text: str, source: str = "bad.yaml") -> list[tuple[str, str]]:
    """Seed a bad document: its problems; and the database must not have changed."""
    before = row_counts(database)
    with pytest.raises(FixtureError) as caught:
        seed_text(database, text, source)
    assert caught.value.source == source
    assert row_counts(database) == before, "a refused fixture left rows behind"
    return caught.value.problems


def standard_document() -> dict:
    """One array ``alpha`` with the factories' standard server (see tests/support/lab.py)."""
    return {"arrays": [array_doc("alpha", 1, servers=[standard_server()])]}


def server_of(document: dict) -> dict:
    return document["arrays"][0]["servers"][0]


def add_volume(document: dict, **fields) -> None:
    """A 1 GiB ``vol3`` that nothing refers to (so its problems have no follow-ons)."""
    server_of(document)["volumes"].append({"name": "vol3", "size": "1GiB", **fields})


def edited(change: Callable[[dict], object]) -> Callable[[], str]:
    """A document builder: the standard document with ``change`` applied."""

    def build() -> str:
        document = copy.deepcopy(standard_document())
        change(document)
        return yaml.safe_dump(document)

    return build


def query(database, statement) -> list:
    """The rows of ``statement``, read in a transaction of their own."""
    with database.transaction(write=False) as session:
        return session.execute(statement).all()


def scalars(database, statement) -> list:
    """The first column of ``statement`` (ORM objects stay usable: no expiry on commit)."""
    with database.transaction(write=False) as session:
        return session.scalars(statement).all()


# -- the good documents ---------------------------------------------------------------------------


def test_standard_document_is_valid(database):
    """The base of the bad-document table below loads: each case breaks one thing."""
    assert seed_text(database, edited(lambda _: None)()) == ["alpha"]


@pytest.fixture
def demo(database):
    assert seed_text(database, demo_fixture_text(), "demo.yaml") == ["alpha", "bravo"]
    return database


def test_demo_has_two_arrays_with_their_servers(demo):
    rows = query(
        demo,
        select(Array.name, Server.key, Server.name)
        .join(Server, Server.array_id == Array.id)
        .order_by(Array.name, Server.key),
    )
    assert rows == [
        ("alpha", "svm-db", "alpha-db"),
        ("alpha", "svm-files", "alpha-files"),
        ("bravo", "0", "bravo"),
    ]


def test_demo_arrays_name_each_other_as_partners(demo):
    ids = dict(query(demo, select(Array.name, Array.id)))
    rows = query(
        demo,
        select(Array.name, RemoteArray.name, RemoteArray.partner_array_id)
        .join(Server, Server.array_id == Array.id)
        .join(RemoteArray, RemoteArray.server_id == Server.id)
        .order_by(Array.name),
    )
    assert rows == [("alpha", "bravo", ids["bravo"]), ("bravo", "alpha", ids["alpha"])]


def test_demo_has_an_unsplit_clone(demo):
    (clone,) = query(
        demo,
        select(Volume, Snapshot)
        .join(Snapshot, Volume.parent_snapshot_id == Snapshot.id)
        .where(Volume.name == "oradb-data-testclone"),
    )
    volume, parent = clone
    assert parent.name == "oradb-data.daily.1"
    # Unsplit: it still shares its parent snapshot's data, and no split ever ran.
    assert volume.shared_bytes == parent.volume_used_bytes > 0
    assert query(demo, select(LongTask).where(LongTask.volume_id == volume.id)) == []


def test_demo_has_a_consistency_group_with_snapshots_of_its_members(demo):
    (group,) = scalars(demo, select(ConsistencyGroup).where(ConsistencyGroup.name == "oradb-cg"))
    members = dict(
        query(
            demo,
            select(Volume.id, Volume.name).where(Volume.consistency_group_id == group.id),
        )
    )
    assert sorted(members.values()) == ["oradb-data", "oradb-logs"]
    targets = query(
        demo,
        select(RemoteArray.name)
        .join(CgReplicationTarget, CgReplicationTarget.remote_array_id == RemoteArray.id)
        .where(CgReplicationTarget.consistency_group_id == group.id),
    )
    assert targets == [("bravo",)]
    cg_snapshots = query(
        demo,
        select(CgSnapshot.id, CgSnapshot.name)
        .where(CgSnapshot.consistency_group_id == group.id)
        .order_by(CgSnapshot.name),
    )
    assert [name for _, name in cg_snapshots] == ["oradb-cg.daily.1", "oradb-cg.daily.2"]
    for cg_snapshot_id, name in cg_snapshots:
        snapshots = query(
            demo,
            select(Snapshot.volume_id, Snapshot.name).where(
                Snapshot.cg_snapshot_id == cg_snapshot_id
            ),
        )
        assert sorted(snapshots) == sorted((volume_id, name) for volume_id in members)


def test_demo_hosts_have_iqns_and_normalised_wwns(demo):
    rows = query(
        demo,
        select(Host.name, HostInitiator.kind, HostInitiator.address)
        .join(HostInitiator, HostInitiator.host_id == Host.id)
        .order_by(HostInitiator.id),
    )
    by_host: dict[str, list[tuple[str, str]]] = {}
    for host, kind, address in rows:
        by_host.setdefault(host, []).append((kind, address))
    assert by_host["esx-01"] == [("iqn", "iqn.1998-01.com.vmware:esx-01-4c4c4544")]
    assert by_host["oradb-01"] == [
        ("wwn", "21:00:00:24:ff:4a:7b:01"),
        ("wwn", "21:00:00:24:ff:4a:7b:02"),
    ]
    # Written without colons in the demo, stored in the one canonical form.
    assert by_host["sql-01"] == [("wwn", "10:00:00:90:fa:3c:5d:01")]
    assert by_host["dr-esx-01"] == [("iqn", "iqn.1998-01.com.vmware:dr-esx-01-9f8e7d6c")]


def test_demo_networks_cover_every_protocol(demo):
    networks = scalars(demo, select(Network))
    serving = {
        protocol: {network.name for network in networks if getattr(network, protocol)}
        for protocol in ("nfs", "cifs", "iscsi", "fc")
    }
    assert serving == {
        "nfs": {"nfs-a"},
        "cifs": {"smb-a"},
        "iscsi": {"iscsi-a", "iscsi-b"},
        "fc": {"fc-a0", "fc-b0", "fc-b"},
    }
    by_name = {network.name: network for network in networks}
    assert by_name["fc-a0"].wwpn == "50:0a:0b:0c:00:00:00:01"
    assert by_name["iscsi-b"].iqn == "iqn.2010-06.example.lab:bravo"


def test_seed_records_the_document_for_reset_without_its_passwords(demo):
    (fixture,) = scalars(demo, select(LabFixture))
    assert fixture.source == "demo.yaml"
    assert "passw0rd" in demo_fixture_text()
    assert "passw0rd" not in fixture.document
    kept = yaml.safe_load(fixture.document)
    hashes = dict(query(demo, select(Array.name, Array.password_hash)))
    expected = yaml.safe_load(demo_fixture_text())
    for spec in expected["arrays"]:
        del spec["password"]
        spec["passwordHash"] = hashes[spec["name"]]
    assert kept == expected


def test_a_reset_logs_in_with_the_seeded_password_from_the_kept_hash(database):
    seed_text(database, dump(array_doc("alpha", password="Kept-0nly-As-A-Hash")))
    with database.transaction() as session:
        (document,) = session.scalars(select(LabFixture.document))
        assert "Kept-0nly-As-A-Hash" not in document
        before = session.scalar(select(Array.password_hash))
        reset(session)
    with database.transaction() as session:
        array = session.scalar(select(Array))
        assert array.password_hash == before
        assert check_password_hash(array.password_hash, "Kept-0nly-As-A-Hash")
        # ... and the kept document is still the one seeded, ready for another reset.
        assert session.scalars(select(LabFixture.document)).all() == [document]


def test_a_users_fixture_cannot_give_a_password_hash(database):
    entry = array_doc("alpha")
    entry["passwordHash"] = hash_password("anything")
    problems = problems_of(database, dump(entry))
    assert ("arrays[0].passwordHash", "Unknown field.") in problems, problems


def test_objects_built_in_batches_are_as_the_api_makes_them(database):
    """Seeding checks names and LUN numbers in memory and flushes in batches: what it
    builds is linked and filled in as when each object is flushed on its own."""
    server = {
        "pools": [{"name": "p", "capacity": "1TiB"}],
        "volumes": [
            {
                "name": "v1",
                "size": "10GiB",
                "used": "1GiB",
                "lun": {"name": "v1-lun"},
                "snapshots": [{"name": "plain"}, {"name": "own", "used": "1MiB"}],
            },
            {"name": "v2", "size": "10GiB", "used": "2GiB"},
            {"name": "c1", "cloneOf": {"volume": "v1", "snapshot": "plain"}},
        ],
        "hosts": [
            {
                "name": "h1",
                "iqns": ["iqn.2000-01.test:h1"],
                "luns": [{"volume": "v1", "lunNumber": 0}],
            },
            {
                "name": "h2",
                "iqns": ["iqn.2000-01.test:h2"],
                "luns": [{"volume": "v2", "lunNumber": 0}],
            },
        ],
        "hostGroups": [
            {"name": "g", "hosts": ["h1", "h2"], "luns": [{"volume": "c1", "lunNumber": 7}]}
        ],
    }
    seed_text(database, dump(array_doc("alpha", 1, servers=[server])))
    volumes = {v.name: v for v in scalars(database, select(Volume))}
    snapshots = {s.name: s for s in scalars(database, select(Snapshot))}
    assert {s.volume_id for s in snapshots.values()} == {volumes["v1"].id}
    assert snapshots["plain"].content_fingerprint == volumes["v1"].content_fingerprint
    assert snapshots["plain"].volume_used_bytes == volumes["v1"].used_bytes
    assert snapshots["own"].content_fingerprint != volumes["v1"].content_fingerprint
    assert volumes["c1"].parent_snapshot_id == snapshots["plain"].id
    assert volumes["c1"].content_fingerprint == snapshots["plain"].content_fingerprint
    assert all(v.shared_bytes == 0 for name, v in volumes.items() if name != "c1")
    luns = dict(
        query(database, select(Volume.name, Lun.name).join(Lun, Lun.volume_id == Volume.id))
    )
    assert luns == {"v1": "v1-lun", "v2": "v2", "c1": "c1"}
    mappings = query(
        database,
        select(Host.name, Volume.name, LunMapping.lun_number, LunMapping.host_group_id.is_not(None))
        .join(Host, LunMapping.host_id == Host.id)
        .join(Lun, LunMapping.lun_id == Lun.id)
        .join(Volume, Lun.volume_id == Volume.id)
        .order_by(Host.name, LunMapping.lun_number),
    )
    assert mappings == [
        ("h1", "v1", 0, False),
        ("h1", "c1", 7, True),
        ("h2", "v2", 0, False),
        ("h2", "c1", 7, True),
    ]


def test_seeding_runs_as_many_statements_for_200_volumes_as_for_20(database):
    """Names and LUN numbers are checked in memory and rows are inserted in batches:
    no statement per volume, snapshot, LUN or mapping."""

    def lab(name: str, number: int, volumes: int) -> str:
        server = {
            "pools": [{"name": "p", "capacity": "100TiB"}],
            "volumes": [
                {"name": f"v{i}", "size": "1GiB", "snapshots": [{"name": "s", "used": "1MiB"}]}
                for i in range(volumes)
            ],
            "hosts": [
                {
                    "name": f"h{h}",
                    "iqns": [f"iqn.2000-01.test:h{h}"],
                    "luns": [{"volume": f"v{i}", "lunNumber": i} for i in range(h, volumes, 2)],
                }
                for h in range(2)
            ],
        }
        return dump(array_doc(name, number, servers=[server]))

    counts = []
    for name, number, volumes in (("small", 1, 20), ("large", 2, 200)):
        text = lab(name, number, volumes)
        # Each into an empty lab: seeding more into a lab checks it is still as seeded.
        with database.transaction() as session:
            wipe(session)
        with recorded_statements(database) as statements:
            seed_text(database, text)
        counts.append(len(statements))
    assert counts[1] == counts[0], counts


YAML_AS_PYYAML_READS_IT = [
    "arrays: []",
    "a: {b: [1, 2.5, -3, 0x1F, 0o17, 1_000, .inf, .nan]}",
    "a: [yes, no, on, off, true, False, ~, null, '', '1', \"2\"]",
    "a: 2024-01-02\nb: 2024-01-02 03:04:05Z\nc: 10GiB\nd: 1e3\ne: !!str 7",
    "base: &base {size: 1GiB}\nvolume: {<<: *base, name: v}",
    "a: &x 1\nb: *x",
    "a: !!int '5'\nb: !!set {x, y}",
    "1: one\n~: none\n2.5: two\ntrue: yes\na: 1\na: 2",
    "",
    "# nothing but a comment",
    "- just\n- a list",
    "plain scalar",
    "a:\n  - b: |\n      literal\n      text\n    c: >\n      folded\n      text\n",
]


@pytest.mark.parametrize("text", YAML_AS_PYYAML_READS_IT)
def test_a_fixture_is_read_as_pyyaml_reads_it(text):
    assert read_document(text) == yaml.safe_load(text)


@pytest.mark.parametrize(
    "text",
    ["a: [1, 2", "a: b: c", "a: 1\n---\nb: 2", "a: *missing", "\tkey: value", "? [a]\n: b"],
)
def test_a_fixture_that_is_not_yaml_fails_as_pyyaml_fails(text):
    with pytest.raises(yaml.YAMLError) as ours:
        read_document(text)
    with pytest.raises(yaml.YAMLError) as theirs:
        yaml.load(text, Loader=YamlLoader)
    assert str(ours.value) == str(theirs.value)


def test_volumes_written_alike_are_loaded_alike_each_on_its_own():
    """A volume written as an earlier one but for its name is copied from it (large
    generated labs): the same result as loading it, sharing nothing with the other."""
    volume = {"size": "1GiB", "used": 1024, "thin": False, "snapshots": [{"name": "s"}]}
    server = {"volumes": [{"name": f"v{i}", **copy.deepcopy(volume)} for i in range(3)]}
    server["volumes"].append({"name": "v3", **volume, "used": 1024.0})
    loaded = ServerFixture().load(server)["volumes"]
    alone = [ServerFixture().load({"volumes": [spec]})["volumes"][0] for spec in server["volumes"]]
    assert loaded == alone
    assert loaded[1]["snapshots"] is not loaded[0]["snapshots"]
    assert loaded[1]["supports"] is not loaded[0]["supports"]


def test_a_bad_name_of_a_volume_written_as_an_earlier_one_is_reported(database):
    def server(*names) -> dict:
        return {
            "pools": [{"name": "p", "capacity": "1TiB"}],
            "volumes": [{"name": name, "size": "1GiB"} for name in names],
        }

    alike = problems_of(database, dump(array_doc("alpha", servers=[server("v0", "", 7)])))
    alone = problems_of(database, dump(array_doc("alpha", servers=[server("", 7)])))
    prefix = "arrays[0].servers[0].volumes"
    assert [message for path, message in alike if path.startswith(prefix)] == [
        message for path, message in alone if path.startswith(prefix)
    ]
    assert {path for path, _ in alike if path.startswith(prefix)} == {
        f"{prefix}[1].name",
        f"{prefix}[2].name",
    }


def test_sizes_with_units_and_plain_integers_are_stored_in_bytes(database):
    server = {
        "pools": [{"name": "p", "capacity": "500GiB"}],
        "volumes": [
            {"name": "decimal", "size": "1.5TB", "used": 10**9},
            {"name": "plain", "size": 1_000_000, "used": "0", "thin": False},
        ],
    }
    seed_text(database, dump(array_doc("alpha", 1, servers=[server])))
    assert sorted(query(database, select(Volume.name, Volume.size_bytes, Volume.used_bytes))) == [
        ("decimal", 1_500_000_000_000, 10**9),
        ("plain", 1_000_000, 0),
    ]
    assert query(database, select(Pool.capacity_bytes)) == [(500 * GiB,)]


# -- the bad documents ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    id: str
    build: Callable[[], str]
    path: str
    fragment: str

    def param(self):
        return pytest.param(self, id=self.id)


S = "arrays[0].servers[0]"


def _clone_first(document: dict) -> None:
    volumes = server_of(document)["volumes"]
    volumes.insert(0, volumes.pop(2))


def _second_array_with_alphas_hostname(document: dict) -> None:
    document["arrays"].append(array_doc("beta", 2, hostname="alpha.lab.test"))


BAD_DOCUMENTS = [
    Bad(
        "bad size unit",
        edited(lambda d: server_of(d)["volumes"][0].update(size="100 parsecs")),
        f"{S}.volumes[0].size",
        "Not understood: '100 parsecs'",
    ),
    Bad(
        "unknown key",
        edited(lambda d: server_of(d)["volumes"][1].update(sise="1GiB")),
        f"{S}.volumes[1].sise",
        "Unknown field",
    ),
    Bad(
        "missing required key",
        edited(lambda d: d["arrays"][0].pop("hostname")),
        "arrays[0].hostname",
        "Missing data for required field",
    ),
    Bad(
        "used more than size",
        edited(lambda d: add_volume(d, used="2GiB")),
        f"{S}.volumes[3].used",
        "Volume 'vol3' cannot hold 2 GiB: its size is 1 GiB",
    ),
    Bad(
        "unknown pool",
        edited(lambda d: add_volume(d, pool="pool9")),
        f"{S}.volumes[3].pool",
        "Server '0' has no pool 'pool9' (pools: pool1, pool2)",
    ),
    Bad(
        "clone of unknown snapshot",
        edited(lambda d: server_of(d)["volumes"][2]["cloneOf"].update(snapshot="vol1.snap9")),
        f"{S}.volumes[2].cloneOf.snapshot",
        "Volume 'vol1' has no snapshot 'vol1.snap9'",
    ),
    Bad(
        "clone listed before its source",
        edited(_clone_first),
        f"{S}.volumes[0].cloneOf.volume",
        "list a clone after its source",
    ),
    Bad(
        "duplicate volume name",
        edited(lambda d: server_of(d)["volumes"].append({"name": "vol2", "size": "1GiB"})),
        f"{S}.volumes[3].name",
        "Volume 'vol2' is defined twice",
    ),
    Bad(
        "duplicate host name",
        edited(lambda d: server_of(d)["hosts"].append({"name": "host-fc"})),
        f"{S}.hosts[2].name",
        "Host 'host-fc' is defined twice",
    ),
    Bad(
        "bad IQN",
        edited(lambda d: server_of(d)["hosts"][0].update(iqns=["iqn.1998-13.com.vmware:x"])),
        f"{S}.hosts[0].iqns[0]",
        "is not an iSCSI name",
    ),
    Bad(
        "bad WWN",
        edited(lambda d: server_of(d)["hosts"][1].update(wwns=["50:01:43:80:12:34:56"])),
        f"{S}.hosts[1].wwns[0]",
        "is not a WWN",
    ),
    Bad(
        # Written in another case: the same initiator once normalised.
        "initiator of two hosts",
        edited(
            lambda d: server_of(d)["hosts"][1].update(iqns=["IQN.1998-01.com.VMware:host-iscsi"])
        ),
        f"{S}.hosts[1].iqns[0]",
        "These initiators already belong to another host: iqn.1998-01.com.vmware:host-iscsi",
    ),
    Bad(
        "LUN number used twice on a host",
        edited(
            lambda d: server_of(d)["hosts"][0]["luns"].append({"volume": "vol2", "lunNumber": 3})
        ),
        f"{S}.hosts[0].luns[1]",
        "LUN number 3 is already used on host 'host-iscsi' (by volume 'vol1')",
    ),
    Bad(
        "volume mapped twice to a host",
        edited(
            lambda d: server_of(d)["hosts"][0]["luns"].append({"volume": "vol1", "lunNumber": 4})
        ),
        f"{S}.hosts[0].luns[1]",
        "Volume 'vol1' is already mapped to host 'host-iscsi' as LUN number 3; unmap it first",
    ),
    Bad(
        "host group's LUN number used on one of its hosts",
        edited(
            lambda d: server_of(d)["hostGroups"][0].update(
                luns=[{"volume": "vol2", "lunNumber": 3}]
            )
        ),
        f"{S}.hostGroups[0].luns[0]",
        "LUN number 3 is already used on host 'host-iscsi' (by volume 'vol1')",
    ),
    Bad(
        "host in two host groups",
        edited(
            lambda d: server_of(d)["hostGroups"].append({"name": "cluster2", "hosts": ["host-fc"]})
        ),
        f"{S}.hostGroups[1].hosts[0]",
        "Host 'host-fc' is already in host group 'cluster'",
    ),
    Bad(
        "volume in two consistency groups",
        edited(
            lambda d: server_of(d)["consistencyGroups"].append({"name": "cg2", "volumes": ["vol2"]})
        ),
        f"{S}.consistencyGroups[1].volumes[0]",
        "Volume 'vol2' is already in consistency group 'cg1'",
    ),
    Bad(
        "consistency group target is no remote array",
        edited(lambda d: server_of(d)["consistencyGroups"][0].update(targets=["nowhere"])),
        f"{S}.consistencyGroups[0].targets[0]",
        "Server '0' has no remote array named 'nowhere'",
    ),
    Bad(
        "remote array names no array",
        edited(lambda d: server_of(d)["remoteArrays"][0].update(array="ghost")),
        f"{S}.remoteArrays[0].array",
        "No array named 'ghost'",
    ),
    Bad(
        # pool2 (100 GiB) holds thick vol2 (50 GiB); a thick 60 GiB more is 10 GiB too many.
        "pool over capacity",
        edited(
            lambda d: server_of(d)["volumes"].append(
                {"name": "vol3", "size": "60GiB", "thin": False, "pool": "pool2"}
            )
        ),
        f"{S}.volumes[3]",
        "Pool 'pool2' has 50 GiB free; volume 'vol3' needs 60 GiB",
    ),
    Bad(
        "two arrays of the document with one hostname",
        edited(_second_array_with_alphas_hostname),
        "arrays[1].hostname",
        "An array with hostname 'alpha.lab.test' already exists.",
    ),
    Bad(
        "invalid YAML",
        lambda: "arrays:\n  - name: alpha\n    hostname: a: b\n",
        "line 3, column 16",
        "Not valid YAML",
    ),
    Bad(
        "not a mapping",
        lambda: "- alpha\n- bravo\n",
        "(document)",
        "Expected a mapping with an 'arrays' list",
    ),
]


@pytest.mark.parametrize("case", [case.param() for case in BAD_DOCUMENTS])
def test_bad_document_is_refused_with_its_place(database, case: Bad):
    problems = problems_of(database, case.build())
    assert [path for path, _ in problems] == [case.path], problems
    assert case.fragment in problems[0][1]
    assert row_counts(database)["array"] == 0


@pytest.mark.parametrize(
    ("entry", "path", "fragment"),
    [
        pytest.param(
            array_doc("alpha", 2, hostname="other.lab.test", serialNumber="SN-OTHER"),
            "arrays[0].name",
            "An array with name 'alpha' already exists. Seed with replace",
            id="name",
        ),
        pytest.param(
            array_doc("other", 2, hostname="alpha.lab.test"),
            "arrays[0].hostname",
            "An array with hostname 'alpha.lab.test' already exists. Seed with replace",
            id="hostname",
        ),
    ],
)
def test_array_already_in_the_database_is_refused(database, entry, path, fragment):
    seed_text(database, dump(array_doc("alpha", 1)))
    problems = problems_of(database, dump(entry))
    assert [p for p, _ in problems] == [path], problems
    assert fragment in problems[0][1]
    assert "--replace" in problems[0][1]
    assert query(database, select(Array.name)) == [("alpha",)]


def without_serial_number(entry: dict) -> dict:
    """The entry with no ``serialNumber``: the loader makes one, ``MA-<NAME>``."""
    del entry["serialNumber"]
    return entry


@pytest.mark.parametrize(
    ("before", "entries", "paths"),
    [
        pytest.param(
            [array_doc("other", 1, serialNumber="MA-GAMMA")],
            [without_serial_number(array_doc("gamma", 2))],
            {"arrays[0].serialNumber", "arrays[0].name"},
            id="taken in the database",
        ),
        pytest.param(
            [],
            [
                without_serial_number(array_doc("gamma", 1)),
                array_doc("delta", 2, serialNumber="MA-GAMMA"),
            ],
            # Either of the two may carry the problem.
            {"arrays[0].serialNumber", "arrays[0].name", "arrays[1].serialNumber"},
            id="twice in the document",
        ),
    ],
)
def test_a_default_serial_number_that_clashes_is_reported(database, before, entries, paths):
    """All or nothing, with the problem named: never a bare database error."""
    if before:
        seed_text(database, dump(*before))
    problems = problems_of(database, dump(*entries))
    assert len(problems) == 1, problems
    assert problems[0][0] in paths
    assert "MA-GAMMA" in problems[0][1]


def test_hostnames_differing_only_in_case_clash(database):
    """Logging in matches hostnames case-insensitively (``sessions.find_array``):
    two arrays whose hostnames differ only in case could not be told apart."""
    problems = problems_of(
        database,
        dump(
            array_doc("alpha", 1, hostname="alpha.lab.test"),
            array_doc("beta", 2, hostname="ALPHA.lab.test"),
        ),
    )
    assert [path for path, _ in problems] == ["arrays[1].hostname"], problems


def test_every_shape_problem_is_reported_at_once(database):
    bad = array_doc(
        "alpha",
        1,
        servers=[{"pools": [{"name": "p", "capacity": "1XB"}], "volumes": [{"name": "v"}]}],
    )
    bad["colour"] = "red"
    missing = array_doc("bravo", 2)
    del missing["password"]
    problems = dict(problems_of(database, dump(bad, missing)))
    assert sorted(problems) == [
        "arrays[0].colour",
        "arrays[0].servers[0].pools[0].capacity",
        "arrays[1].password",
    ]
    assert "Unknown field" in problems["arrays[0].colour"]
    assert "'1XB'" in problems["arrays[0].servers[0].pools[0].capacity"]


def test_every_reference_problem_is_reported_at_once(database):
    document = standard_document()
    server = server_of(document)
    add_volume(document, pool="pool9")
    server["hosts"][1]["wwns"] = ["not-a-wwn"]
    server["consistencyGroups"][0]["targets"] = ["nowhere"]
    other = array_doc(
        "bravo",
        2,
        servers=[
            {
                "pools": [{"name": "p", "capacity": "1GiB"}],
                "remoteArrays": [{"name": "x", "hostAddress": "198.51.100.9", "array": "ghost"}],
                "volumes": [{"name": "big", "size": "2GiB", "thin": False}],
            }
        ],
    )
    document["arrays"].append(other)
    problems = dict(problems_of(database, yaml.safe_dump(document)))
    assert sorted(problems) == sorted(
        [
            f"{S}.volumes[3].pool",
            f"{S}.hosts[1].wwns[0]",
            f"{S}.consistencyGroups[0].targets[0]",
            # The thick 2 GiB volume does not fit its 1 GiB pool: refused where it is.
            "arrays[1].servers[0].volumes[0]",
            "arrays[1].servers[0].remoteArrays[0].array",
        ]
    )


def test_shape_and_reference_problems_are_reported_in_one_run(database):
    """A shape problem drops only the object it is in: the rest is still checked."""
    document = standard_document()
    server = server_of(document)
    server["volumes"][1]["size"] = "50 parsecs"  # shape: vol2 is dropped...
    server["hosts"][0]["luns"].append({"volume": "vol9", "lunNumber": 4})  # ...a bad reference
    server["consistencyGroups"][0]["targets"] = ["nowhere"]  # ...and a refused target
    problems = dict(problems_of(database, yaml.safe_dump(document)))
    # vol2's refusal is not reported again where vol2 is named (cg1's members).
    assert sorted(problems) == [
        f"{S}.consistencyGroups[0].targets[0]",
        f"{S}.hosts[0].luns[1].volume",
        f"{S}.volumes[1].size",
    ]
    assert "Not understood: '50 parsecs'" in problems[f"{S}.volumes[1].size"]
    assert "no volume 'vol9'" in problems[f"{S}.hosts[0].luns[1].volume"]


def test_what_the_api_refuses_a_fixture_cannot_build_and_gets_the_same_words(database):
    """Seeding calls the array's own functions: the refusal is the API's, at its place."""
    document = standard_document()
    # pool2 (100 GiB) holds thick vol2 (50 GiB): a split clone of 60 GiB of data does not fit.
    server_of(document)["volumes"] += [
        {
            "name": "big",
            "size": "80GiB",
            "used": "60GiB",
            "pool": "pool2",
            "snapshots": [{"name": "s"}],
        },
    ]
    server_of(document)["volumes"].append(
        {"name": "big-clone", "cloneOf": {"volume": "big", "snapshot": "s"}, "split": True}
    )
    server_of(document)["pools"][1]["capacity"] = "140GiB"
    problems = problems_of(database, yaml.safe_dump(document))
    assert problems == [
        (
            f"{S}.volumes[4]",
            "Pool 'pool2' has 30 GiB free; splitting clone 'big-clone' needs "
            "60 GiB. Free space (delete snapshots or volumes) or use another pool.",
        )
    ]


def test_check_reports_problems_and_loads_nothing(database):
    before = row_counts(database)
    with database.transaction() as session:
        assert check(session, edited(lambda _: None)(), "good.yaml") == ["alpha"]
    assert row_counts(database) == before
    bad = edited(lambda d: server_of(d)["volumes"][0].update(size="1 parsec"))()
    with database.transaction() as session, pytest.raises(FixtureError) as caught:
        check(session, bad, "bad.yaml")
    assert [path for path, _ in caught.value.problems] == [f"{S}.volumes[0].size"]
    assert row_counts(database) == before


def test_fixture_error_names_source_and_path(database):
    with pytest.raises(FixtureError) as caught:
        seed_text(database, edited(lambda d: d["arrays"][0].pop("hostname"))(), "lab.yaml")
    assert str(caught.value) == ("lab.yaml: arrays[0].hostname: Missing data for required field.")


# -- sizes and durations --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (0, 0),
        (1024, 1024),
        ("1024", 1024),
        ("512B", 512),
        ("500GiB", 500 * GiB),
        ("500gib", 500 * GiB),
        ("500 GiB", 500 * GiB),
        ("1.5TB", 1_500_000_000_000),
        ("1.5TiB", 3 * TiB // 2),
        ("64MiB", 64 * 2**20),
        ("10KB", 10_000),
        ("10k", 10 * 1024),
        ("2g", 2 * GiB),
        ("1PB", 10**15),
        ("1PiB", 2**50),
    ],
)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["5 parsecs", "GiB", "1.5.5GiB", "-5GiB", "", None, [1]])
def test_parse_size_refuses_what_is_no_size(text):
    with pytest.raises(ValueError, match="Not understood"):
        parse_size(text)


@pytest.mark.parametrize(("value", "message"), [(-1, "negative"), (True, "Not a size")])
def test_parse_size_refuses_negative_numbers_and_booleans(value, message):
    with pytest.raises(ValueError, match=message):
        parse_size(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (5, 5),
        ("5", 5),
        (" 90000 ", 90_000),
        ("250ms", 250),
        ("90s", 90_000),
        ("15m", 15 * 60_000),
        ("6h", 6 * 3_600_000),
        ("3d", 3 * 86_400_000),
        ("2w", 14 * 86_400_000),
        ("1.5h", 5_400_000),
        ("3D", 3 * 86_400_000),
    ],
)
def test_parse_duration_ms(text, expected):
    assert parse_duration_ms(text) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [("3y", "Not understood"), ("soon", "Not understood"), (-1, "negative"), (False, "Not a")],
)
def test_parse_duration_ms_refuses_what_is_no_duration(value, message):
    with pytest.raises(ValueError, match=message):
        parse_duration_ms(value)


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1 KiB"),
        (1_610_612_736, "1.5 GiB"),
        (2 * TiB, "2 TiB"),
        (TiB + 10 * GiB, "1.01 TiB"),
        (GiB - 1, "1 GiB"),
        (5 * 2**50, "5 PiB"),
        (-10 * GiB, "-10 GiB"),
    ],
)
def test_format_size(size, text):
    assert format_size(size) == text


@pytest.mark.parametrize(
    ("sizes", "texts"),
    [
        ((50 * GiB, 60 * GiB), ["50 GiB", "60 GiB"]),
        ((GiB + 2**20, GiB), ["1.001 GiB", "1 GiB"]),
        ((GiB, GiB - 1), ["1073741824 B", "1073741823 B"]),
        ((GiB, GiB), ["1 GiB", "1 GiB"]),
    ],
)
def test_format_sizes_tells_different_sizes_apart(sizes, texts):
    assert format_sizes(*sizes) == texts


# -- initiator names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("iqn.1998-01.com.vmware:esx-01", "iqn.1998-01.com.vmware:esx-01"),
        ("IQN.1998-01.COM.VMware:ESX-01", "iqn.1998-01.com.vmware:esx-01"),
        ("  iqn.2010-06.example.lab  ", "iqn.2010-06.example.lab"),
        ("iqn.1991-05.com.microsoft:sql-01.corp.example", None),
        ("eui.02004567A425678D", "eui.02004567a425678d"),
        ("naa.52004567BA64678D", "naa.52004567ba64678d"),
        ("naa.60a0b0c0" + "1" * 24, None),
    ],
)
def test_valid_iscsi_names_are_lower_cased(name, expected):
    assert normalize_iscsi_name(name) == (expected or name)


@pytest.mark.parametrize(
    "name",
    [
        "iqn.1998-13.com.vmware:x",  # no month 13
        "iqn.98-01.com.vmware",  # the year has four digits
        "iqn.1998-01.-vmware.com",  # a label cannot start with a hyphen
        "iqn.1998-01.com.vmware:has space",
        "eui.02004567A425678",  # 15 hex digits
        "eui.02004567A425678G",
        "naa.1234",
        "naa." + "1" * 20,  # neither 16 nor 32
        "esx-01",
        "",
        "iqn.1998-01.com.vmware:" + "x" * 201,  # more than 223 characters
    ],
)
def test_invalid_iscsi_names_are_refused(name):
    with pytest.raises(ValueError, match="is not an iSCSI name"):
        normalize_iscsi_name(name)


@pytest.mark.parametrize(
    ("wwn", "expected"),
    [
        ("50:01:43:80:12:34:56:78", "50:01:43:80:12:34:56:78"),
        ("5001438012345678", "50:01:43:80:12:34:56:78"),
        ("50:01:43:80:12:34:56:7A", "50:01:43:80:12:34:56:7a"),
        ("500143801234567A", "50:01:43:80:12:34:56:7a"),
        (" 21:00:00:24:FF:4A:7B:01 ", "21:00:00:24:ff:4a:7b:01"),
    ],
)
def test_wwns_are_normalised_to_lower_case_colon_form(wwn, expected):
    assert normalize_wwn(wwn) == expected


@pytest.mark.parametrize(
    "wwn",
    [
        "50:01:43:80:12:34:56",  # 7 bytes
        "50014380123456789A",  # 9 bytes
        "500143801234567G",
        "iqn.1998-01.com.vmware:x",
        "",
    ],
)
def test_invalid_wwns_are_refused(wwn):
    with pytest.raises(ValueError, match="is not a WWN"):
        normalize_wwn(wwn)
