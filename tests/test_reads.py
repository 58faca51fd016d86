"""Black-box tests of every read (GET list and item) of the plugin API.

The contract is the guide (``/work/shared/spec/cdm-storage-plugin-api.txt``)
as read by its README: each object carries exactly the guide's keys (item 5),
ids are strings, sizes, times and LUN numbers numbers, flags booleans
(item 3), times are epoch milliseconds (item 4), ``GET /host/{hid}/lun`` is
``{"luns": [...]}`` (item 11), lists page with ``limit``/``start`` and
``X-Total-Count`` in creation-then-id order (item 9), and another array's
objects are ``404`` (item 2). The values checked follow from
``tests.support.lab.standard_server`` (array ``alpha``; ``beta`` is empty).
"""

from __future__ import annotations

import re

import pytest

from mockarray.array.clock import wall_ms
from tests.support.api import Api
from tests.support.checks import assert_error, listed
from tests.support.lab import array_doc

GiB = 2**30
TiB = 2**40
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS

# -- the guide's object shapes: exact keys, JSON types ----------------------------------
#
# A type is str, int (a JSON integer, never a boolean), bool, a tuple of
# alternatives (NULL for JSON null), [type] for a list of it, or a dict for a
# nested object whose keys must be exactly those given.

NULL = type(None)
NUMBER = (int, float)

VOLUME = {
    "id": str,
    "name": str,
    "creationTime": int,
    "serverGroupKey": (str, NULL),
    "poolId": str,
    "volumeType": str,
    "stats": {"size": int, "usedSize": int},
    "supports": {"revert": bool, "split": str, "autoGrowVadpRep": bool},
    "config": {"thinProvisioned": bool},
}
SNAPSHOT = {
    "id": str,
    "name": str,
    "creationTime": int,
    "consistencyGroupSnapshotId": (str, NULL),
    "config": {"groundCloneRequired": bool},
}
LUN = {
    "id": str,
    "name": str,
    "serialNumber": str,
    "naaId": str,
    "volumeId": str,
    "privateIscsiTarget": (str, NULL),
    "volumeType": (str, NULL),
}
HOST = {
    "id": str,
    "name": str,
    "serverGroupKeys": [str],
    "mappedLunIds": [str],
    "iqns": [str],
    "wwns": [str],
    "config": {"fc": bool, "iscsi": bool},
}
HOST_LUN = {
    "name": str,
    "volumeId": str,
    "hostId": str,
    "hostGroupId": (str, NULL),
    "lunId": str,
    "lunNumber": int,
}
HOST_GROUP = {"id": str, "name": str, "hostIds": [str]}
NETWORK = {
    "id": str,
    "name": str,
    "ipAddress": (str, NULL),
    "wwpn": (str, NULL),
    "iqn": (str, NULL),
    "serverGroupKey": (str, NULL),
    "config": {"nfs": bool, "cifs": bool, "iscsi": bool, "fc": bool},
}
POOL = {"id": str, "name": str, "freeSpace": int}
CONSISTENCY_GROUP = {
    "id": str,
    "name": str,
    "creationTime": int,
    "volumeIds": [str],
    "config": {"incremental": bool, "replicationTarget": bool},
}
CG_SNAPSHOT = {"id": str, "name": str}
REMOTE_ARRAY = {"name": str, "hostAddress": str}
SPLIT_STATUS = {"percentageComplete": NUMBER, "complete": bool}


def check_shape(value, shape, where: str = "body") -> None:
    """``value`` has exactly the keys of ``shape``, each of its JSON type."""
    if isinstance(shape, dict):
        assert isinstance(value, dict), f"{where}: expected an object, got {value!r}"
        assert set(value) == set(shape), (
            f"{where}: keys {sorted(value)}, the guide has {sorted(shape)}"
        )
        for key, inner in shape.items():
            check_shape(value[key], inner, f"{where}.{key}")
    elif isinstance(shape, list):
        assert isinstance(value, list), f"{where}: expected an array, got {value!r}"
        for i, item in enumerate(value):
            check_shape(item, shape[0], f"{where}[{i}]")
    else:
        kinds = shape if isinstance(shape, tuple) else (shape,)
        # type() rather than isinstance(): a JSON boolean is no number here.
        assert type(value) in kinds, f"{where}: {value!r} is not of JSON type {kinds}"


def without(item: dict, *keys: str) -> dict:
    return {key: value for key, value in item.items() if key not in keys}


def item(api: Api, path: str) -> dict:
    response = api.get(path)
    assert response.status_code == 200, (path, response.get_json())
    assert response.mimetype == "application/json"
    return response.get_json()


def by_name(items: list[dict], name_field: str = "name") -> dict[str, dict]:
    return {entry[name_field]: entry for entry in items}


# -- the standard lab's lists (their ids: conftest's ``ref``) -------------------------------


# Every list of the standard lab: path, body key, shape, how many items.
LISTS = {
    "volume": ("/server/{sid}/volume", "volumes", VOLUME, 3),
    "snapshot": ("/server/{sid}/volume/{vol1}/snapshot", "snapshots", SNAPSHOT, 3),
    "lun": ("/server/{sid}/lun", "luns", LUN, 3),
    "host": ("/server/{sid}/host", "hosts", HOST, 2),
    "host-lun": ("/server/{sid}/host/{host_iscsi}/lun", "luns", HOST_LUN, 1),
    "hostgroup": ("/server/{sid}/hostgroup", "groups", HOST_GROUP, 1),
    "network": ("/server/{sid}/network", "networks", NETWORK, 2),
    "pool": ("/server/{sid}/pool", "pools", POOL, 2),
    "consistencygroup": (
        "/server/{sid}/consistencygroup",
        "consistencyGroups",
        CONSISTENCY_GROUP,
        1,
    ),
    "cg-snapshot": ("/server/{sid}/consistencygroup/{cg1}/snapshot", "snapshots", CG_SNAPSHOT, 1),
    "remotearray": ("/server/{sid}/remotearray", "remoteArrays", REMOTE_ARRAY, 1),
}

# Every item endpoint: its path (``{id}`` is the item's) and the list it belongs to.
ITEMS = {
    "volume": "/server/{sid}/volume/{id}",
    "snapshot": "/server/{sid}/volume/{vol1}/snapshot/{id}",
    "lun": "/server/{sid}/lun/{id}",
    "host": "/server/{sid}/host/{id}",
    "network": "/server/{sid}/network/{id}",
    "pool": "/server/{sid}/pool/{id}",
    "consistencygroup": "/server/{sid}/consistencygroup/{id}",
}

# Every read that names one of alpha's objects.
OBJECT_PATHS = [
    "/server/{sid}/volume/{vol1}",
    "/server/{sid}/volume/{clone}/splitstatus",
    "/server/{sid}/volume/{vol1}/snapshot",
    "/server/{sid}/volume/{vol1}/snapshot/{snap1}",
    "/server/{sid}/lun/{lun1}",
    "/server/{sid}/host/{host_iscsi}",
    "/server/{sid}/host/{host_iscsi}/lun",
    "/server/{sid}/network/{eth0}",
    "/server/{sid}/pool/{pool1}",
    "/server/{sid}/consistencygroup/{cg1}",
    "/server/{sid}/consistencygroup/{cg1}/snapshot",
]

ALL_READ_PATHS = [path for path, *_ in LISTS.values()] + OBJECT_PATHS


# -- shapes and types -----------------------------------------------------------------


@pytest.mark.parametrize("name", LISTS)
def test_list_and_items_have_the_guides_keys_and_types(api, ref, name):
    path, key, shape, count = LISTS[name]
    entries = listed(api, path.format(**ref), key)
    assert len(entries) == count
    for i, entry in enumerate(entries):
        check_shape(entry, shape, f"{key}[{i}]")
        if name in ITEMS:
            body = item(api, ITEMS[name].format(**ref, id=entry["id"]))
            check_shape(body, shape, f"{name} {entry['id']}")
            assert body == entry


# -- values that follow from the fixture ---------------------------------------------------

SUPPORTS_DEFAULT = {"revert": True, "split": "ANY_TIME", "autoGrowVadpRep": False}


def test_volume_values(api, ref):
    volumes = listed(api, "/server/0/volume", "volumes")
    assert [without(v, "creationTime") for v in volumes] == [
        {
            "id": ref["vol1"],
            "name": "vol1",
            "serverGroupKey": None,
            "poolId": ref["pool1"],
            "volumeType": "block",
            "stats": {"size": 100 * GiB, "usedSize": 10 * GiB},
            "supports": SUPPORTS_DEFAULT,
            "config": {"thinProvisioned": True},
        },
        {
            "id": ref["vol2"],
            "name": "vol2",
            "serverGroupKey": None,
            "poolId": ref["pool2"],
            "volumeType": "block",
            "stats": {"size": 50 * GiB, "usedSize": 5 * GiB},
            "supports": SUPPORTS_DEFAULT,
            "config": {"thinProvisioned": False},
        },
        {
            # A clone: vol1's size and pool, thin, holding vol1.snap2's 10 GiB.
            "id": ref["clone"],
            "name": "vol1-clone",
            "serverGroupKey": None,
            "poolId": ref["pool1"],
            "volumeType": "block",
            "stats": {"size": 100 * GiB, "usedSize": 10 * GiB},
            "supports": SUPPORTS_DEFAULT,
            "config": {"thinProvisioned": True},
        },
    ]
    for volume in volumes:
        # Seeded with age 0 moments ago: seconds would be 1000 times too small.
        assert abs(wall_ms() - volume["creationTime"]) < 60_000, volume


# Each volume's snapshots: name, age in the fixture, the CG snapshot it belongs to.
SNAPSHOTS = {
    "vol1": [
        ("vol1.snap1", 2 * DAY_MS, None),
        ("vol1.snap2", DAY_MS, None),
        ("cg1.snap1", HOUR_MS, "cg1_snap1"),
    ],
    "vol2": [("cg1.snap1", HOUR_MS, "cg1_snap1")],
    "clone": [],
}


def test_snapshot_values(api, ref):
    seeded_ms = item(api, f"/server/0/volume/{ref['vol1']}")["creationTime"]
    for volume, expected in SNAPSHOTS.items():
        snapshots = listed(api, f"/server/0/volume/{ref[volume]}/snapshot", "snapshots")
        assert [s["name"] for s in snapshots] == [name for name, _age, _cg in expected]
        for snapshot, (_name, age_ms, cg_snapshot) in zip(snapshots, expected, strict=True):
            # Only the members of the CG snapshot point at it.
            assert snapshot["consistencyGroupSnapshotId"] == (cg_snapshot and ref[cg_snapshot])
            assert snapshot["config"] == {"groundCloneRequired": False}
            # The fixture's ages, in milliseconds before the seed.
            assert abs(seeded_ms - snapshot["creationTime"] - age_ms) < 60_000, snapshot


NAA_6 = re.compile(r"6[0-9a-f]{31}")


def test_lun_values(api, ref, ordered):
    luns = listed(api, "/server/0/lun", "luns")
    # Every block volume has its LUN, mapped or not, in the volumes' order.
    assert [without(lun, "id", "serialNumber", "naaId") for lun in luns] == [
        {
            "name": name,
            "volumeId": ref[volume],
            "privateIscsiTarget": None,
            "volumeType": "block",
        }
        for name, volume in (("vol1", "vol1"), ("vol2", "vol2"), ("vol1-clone", "clone"))
    ]
    assert luns[0]["id"] == ref["lun1"]
    # NAA-6 ids and serial numbers: well formed, unique over alpha's LUNs and gamma's four.
    luns += listed(ordered, "/server/0/lun", "luns")
    assert len(luns) == 7
    for lun in luns:
        assert NAA_6.fullmatch(lun["naaId"]), lun["naaId"]
        assert lun["serialNumber"].strip(), lun
    assert len({lun["naaId"] for lun in luns}) == len(luns)
    assert len({lun["serialNumber"] for lun in luns}) == len(luns)


def test_host_values(api, ref):
    hosts = listed(api, "/server/0/host", "hosts")
    assert hosts == [
        {
            "id": ref["host_iscsi"],
            "name": "host-iscsi",
            "serverGroupKeys": [],
            "mappedLunIds": [ref["lun1"]],
            "iqns": ["iqn.1998-01.com.vmware:host-iscsi"],
            "wwns": [],
            "config": {"fc": False, "iscsi": True},
        },
        {
            "id": ref["host_fc"],
            "name": "host-fc",
            "serverGroupKeys": [],
            "mappedLunIds": [],
            "iqns": [],
            "wwns": ["50:01:43:80:12:34:56:78"],
            "config": {"fc": True, "iscsi": False},
        },
    ]
    assert listed(api, f"/server/0/host/{ref['host_iscsi']}/lun", "luns") == [
        {
            "name": "vol1",
            "volumeId": ref["vol1"],
            "hostId": ref["host_iscsi"],
            "hostGroupId": None,  # mapped to the host itself, not through its group
            "lunId": ref["lun1"],
            "lunNumber": 3,
        }
    ]
    assert listed(api, f"/server/0/host/{ref['host_fc']}/lun", "luns") == []


def test_mapped_lun_ids_agree_with_the_hosts_lun_list(api, ordered):
    for client in (api, ordered):
        hosts = listed(client, "/server/0/host", "hosts")
        assert any(host["mappedLunIds"] for host in hosts)
        for host in hosts:
            luns = listed(client, f"/server/0/host/{host['id']}/lun", "luns")
            assert sorted(host["mappedLunIds"]) == sorted(lun["lunId"] for lun in luns), host
            assert {lun["hostId"] for lun in luns} <= {host["id"]}


def test_host_group_values(api, ref):
    groups = listed(api, "/server/0/hostgroup", "groups")
    assert [without(g, "hostIds") for g in groups] == [{"id": ref["cluster"], "name": "cluster"}]
    assert sorted(groups[0]["hostIds"]) == sorted([ref["host_iscsi"], ref["host_fc"]])


def test_a_mapping_made_through_a_host_group_names_the_group(ordered):
    groups = by_name(listed(ordered, "/server/0/hostgroup", "groups"))
    hosts = by_name(listed(ordered, "/server/0/host", "hosts"))
    v_tie = by_name(listed(ordered, "/server/0/volume", "volumes"))["v-tie"]["id"]
    lun = {lun["volumeId"]: lun["id"] for lun in listed(ordered, "/server/0/lun", "luns")}[v_tie]
    assert sorted(groups["g-alpha"]["hostIds"]) == sorted(
        [hosts["h-alpha"]["id"], hosts["h-mid"]["id"]]
    )
    for member in ("h-alpha", "h-mid"):
        host = hosts[member]
        assert host["mappedLunIds"] == [lun]
        assert listed(ordered, f"/server/0/host/{host['id']}/lun", "luns") == [
            {
                "name": "v-tie",
                "volumeId": v_tie,
                "hostId": host["id"],
                "hostGroupId": groups["g-alpha"]["id"],
                "lunId": lun,
                "lunNumber": 9,
            }
        ]


def hex_digits(wwn: str) -> str:
    return wwn.replace(":", "").lower()


def test_network_values(api, ref):
    networks = listed(api, "/server/0/network", "networks")
    assert [without(n, "wwpn") for n in networks] == [
        {
            "id": ref["eth0"],
            "name": "eth0",
            "ipAddress": "198.51.100.50",
            "iqn": None,
            "serverGroupKey": None,
            "config": {"nfs": False, "cifs": False, "iscsi": True, "fc": False},
        },
        {
            "id": ref["fc0"],
            "name": "fc0",
            "ipAddress": None,
            "iqn": None,
            "serverGroupKey": None,
            "config": {"nfs": False, "cifs": False, "iscsi": False, "fc": True},
        },
    ]
    assert networks[0]["wwpn"] is None
    # The array may write a WWPN with colons; its digits are the fixture's.
    assert hex_digits(networks[1]["wwpn"]) == "500a0b0c00000001"


def test_pool_free_space_is_capacity_less_allocations(api, ref):
    pools = listed(api, "/server/0/pool", "pools")
    assert pools == [
        {
            "id": ref["pool1"],
            "name": "pool1",
            # 1 TiB, less vol1 (thin: the 10 GiB written), less vol1.snap1 (1 GiB
            # held on its own); vol1.snap2 holds nothing of its own and the unsplit
            # clone's 10 GiB are all shared with vol1.snap2.
            "freeSpace": 1 * TiB - 10 * GiB - 1 * GiB,
        },
        {
            "id": ref["pool2"],
            "name": "pool2",
            # 100 GiB, less vol2 (thick: its whole 50 GiB); its cg1.snap1 holds nothing.
            "freeSpace": 100 * GiB - 50 * GiB,
        },
    ]


def test_consistency_group_and_cg_snapshot_values(api, ref):
    groups = listed(api, "/server/0/consistencygroup", "consistencyGroups")
    assert [without(g, "creationTime", "volumeIds") for g in groups] == [
        {
            "id": ref["cg1"],
            "name": "cg1",
            "config": {"incremental": False, "replicationTarget": False},
        }
    ]
    assert sorted(groups[0]["volumeIds"]) == sorted([ref["vol1"], ref["vol2"]])
    assert abs(wall_ms() - groups[0]["creationTime"]) < 60_000
    cg_snapshots = listed(api, f"/server/0/consistencygroup/{ref['cg1']}/snapshot", "snapshots")
    assert cg_snapshots == [{"id": ref["cg1_snap1"], "name": "cg1.snap1"}]
    # One volume snapshot per member, each pointing at the CG snapshot.
    for volume, member in (("vol1", "vol1_cgsnap"), ("vol2", "vol2_cgsnap")):
        snapshot = item(api, f"/server/0/volume/{ref[volume]}/snapshot/{ref[member]}")
        assert snapshot["name"] == "cg1.snap1"
        assert snapshot["consistencyGroupSnapshotId"] == ref["cg1_snap1"]
    assert ref["vol1_cgsnap"] != ref["vol2_cgsnap"]


def test_remote_array_values(api):
    assert listed(api, "/server/0/remotearray", "remoteArrays") == [
        {"name": "partner", "hostAddress": "198.51.100.99"}
    ]


# -- split status ----------------------------------------------------------------------


def test_split_status_of_an_unsplit_clone_and_of_volumes_that_are_no_clones(api, ref):
    body = item(api, f"/server/0/volume/{ref['clone']}/splitstatus")
    check_shape(body, SPLIT_STATUS)
    assert body == {"percentageComplete": 0, "complete": False}
    for volume in ("vol1", "vol2"):
        path = f"/server/0/volume/{ref[volume]}/splitstatus"
        assert_error(api.get(path), 404, where=path)


@pytest.mark.parametrize("age", ["1d", 0], ids=["split-a-day-ago", "seeded-just-now"])
def test_split_status_of_a_clone_seeded_as_split(lab, client, age):
    source = {"name": "src", "size": "10GiB", "used": "1GiB", "age": "2d"}
    source["snapshots"] = [{"name": "src.snap", "age": "2d"}]
    clone = {"name": "done", "cloneOf": {"volume": "src", "snapshot": "src.snap"}}
    clone.update(split=True, age=age)
    server = {"pools": [{"name": "p", "capacity": "1TiB"}], "volumes": [source, clone]}
    lab.seed(array_doc("delta", 4, servers=[server]))
    api = Api.login(client, "delta.lab.test")
    clone_id = api.ids("/server/0/volume", "volumes")["done"]
    body = item(api, f"/server/0/volume/{clone_id}/splitstatus")
    check_shape(body, SPLIT_STATUS)
    assert body == {"percentageComplete": 100, "complete": True}


# -- 404s -------------------------------------------------------------------------------


def test_unknown_server_is_404(api, ref):
    for server in ("1", "00", "x", "alpha"):
        for template in ALL_READ_PATHS:
            path = template.format(**{**ref, "sid": server})
            assert_error(api.get(path), 404, where=path)


BAD_IDS = ["987654321", "abc", "-1", "1.0", "0x1", "1e3", "99999999999999999999999"]


UNKNOWN_OBJECT_PATHS = [
    "/server/0/volume/{bad}",
    "/server/0/volume/{bad}/splitstatus",
    "/server/0/volume/{bad}/snapshot",
    "/server/0/volume/{bad}/snapshot/{snap1}",
    "/server/0/volume/{vol1}/snapshot/{bad}",
    "/server/0/lun/{bad}",
    "/server/0/host/{bad}",
    "/server/0/host/{bad}/lun",
    "/server/0/network/{bad}",
    "/server/0/pool/{bad}",
    "/server/0/consistencygroup/{bad}",
    "/server/0/consistencygroup/{bad}/snapshot",
]


def test_unknown_or_malformed_object_id_is_404(api, ref):
    for template in UNKNOWN_OBJECT_PATHS:
        for bad in BAD_IDS:
            path = template.format(**ref, bad=bad)
            assert_error(api.get(path), 404, where=path)


def test_another_arrays_object_is_404(api, ref, client):
    beta = Api.login(client, "beta.lab.test")
    for template in OBJECT_PATHS:
        path = template.format(**ref)
        assert api.get(path).status_code == 200, path  # alpha sees it ...
        assert_error(beta.get(path), 404, where=path)  # ... beta, on its own server 0, does not
    # Nor does beta list any of them.
    for name in ("volume", "lun", "host", "hostgroup", "network", "consistencygroup"):
        path, key, _shape, _count = LISTS[name]
        assert listed(beta, path.format(sid="0"), key) == [], path
    pools = listed(beta, "/server/0/pool", "pools")
    assert [pool["name"] for pool in pools] == ["pool1"]
    assert pools[0]["id"] not in (ref["pool1"], ref["pool2"])


def test_snapshot_of_another_volume_is_404(api, ref):
    for asked_on, snapshot, owner in [
        ("vol2", "snap1", "vol1"),  # vol1's snapshot asked on vol2
        ("clone", "snap2", "vol1"),  # the clone's parent snapshot is still vol1's
        ("vol1", "vol2_cgsnap", "vol2"),  # vol2's member of the same CG snapshot
        ("vol2", "vol1_cgsnap", "vol1"),
    ]:
        item(api, f"/server/0/volume/{ref[owner]}/snapshot/{ref[snapshot]}")  # it exists
        path = f"/server/0/volume/{ref[asked_on]}/snapshot/{ref[snapshot]}"
        assert_error(api.get(path), 404, where=path)


# -- order and pagination ----------------------------------------------------------------


def ordered_server() -> dict:
    """Objects whose creation order differs from both their id order and their names.

    Volumes, snapshots, consistency groups and CG snapshots have ages; the
    other objects are created at the seed's moment, in the order listed here,
    so their order is their id order (and not their names').
    """
    return {
        "pools": [
            {"name": "p-zeta", "capacity": "1TiB"},
            {"name": "p-alpha", "capacity": "1TiB"},
            {"name": "p-mid", "capacity": "1TiB"},
        ],
        "remoteArrays": [
            {"name": "r-zeta", "hostAddress": "198.51.100.201"},
            {"name": "r-alpha", "hostAddress": "198.51.100.202"},
        ],
        "volumes": [
            {
                "name": "v-young",
                "size": "1GiB",
                "age": "1d",
                "lun": True,
                "snapshots": [
                    {"name": "s-young", "age": "1h"},
                    {"name": "s-old", "age": "20h"},
                    {"name": "s-mid", "age": "10h"},
                    {"name": "s-tie", "age": "10h"},
                ],
            },
            {"name": "v-old", "size": "1GiB", "age": "3d", "lun": True},
            {"name": "v-mid", "size": "1GiB", "age": "2d", "lun": True},
            {"name": "v-tie", "size": "1GiB", "age": "2d", "lun": True},
        ],
        "hosts": [
            {
                "name": "h-zeta",
                "iqns": ["iqn.2020-01.test.lab:h-zeta"],
                # Mapped in LUN id order, numbered out of it.
                "luns": [
                    {"volume": "v-young", "lunNumber": 7},
                    {"volume": "v-old", "lunNumber": 2},
                    {"volume": "v-mid", "lunNumber": 5},
                ],
            },
            {"name": "h-alpha", "wwns": ["50:01:43:80:00:00:00:01"]},
            {"name": "h-mid", "iqns": ["iqn.2020-01.test.lab:h-mid"]},
        ],
        "hostGroups": [
            {"name": "g-zeta", "hosts": ["h-zeta"]},
            {
                "name": "g-alpha",
                "hosts": ["h-alpha", "h-mid"],
                "luns": [{"volume": "v-tie", "lunNumber": 9}],
            },
        ],
        "networks": [
            {"name": "n-zeta", "ipAddress": "198.51.100.211", "config": {"iscsi": True}},
            {"name": "n-alpha", "ipAddress": "198.51.100.212", "config": {"nfs": True}},
            # FC: h-alpha is reached over FC only.
            {"name": "n-mid", "wwpn": "500a0b0c000000f1", "config": {"fc": True}},
        ],
        "consistencyGroups": [
            {"name": "cg-b", "age": "1h"},
            {
                "name": "cg-z",
                "age": "3h",
                "volumes": ["v-mid"],
                "snapshots": [
                    {"name": "cs-a", "age": "1h"},
                    {"name": "cs-z", "age": "2h"},
                    {"name": "cs-m", "age": "2h"},
                ],
            },
            {"name": "cg-m", "age": "3h"},
        ],
    }


@pytest.fixture
def ordered(lab, client) -> Api:
    """A session on array ``gamma``, seeded with ``ordered_server()``."""
    lab.seed(array_doc("gamma", 3, servers=[ordered_server()]))
    return Api.login(client, "gamma.lab.test")


# Each list of gamma: path (``{volume:NAME}`` etc. resolved below), body key, and
# the names of its entries in creation-then-id order.
ORDERED_LISTS = {
    "volume": ("/server/0/volume", "volumes", ["v-old", "v-mid", "v-tie", "v-young"]),
    "snapshot": (
        "/server/0/volume/{volume:v-young}/snapshot",
        "snapshots",
        ["s-old", "s-mid", "s-tie", "s-young"],
    ),
    # A LUN is made with its volume, at its time.
    "lun": ("/server/0/lun", "luns", ["v-old", "v-mid", "v-tie", "v-young"]),
    "host": ("/server/0/host", "hosts", ["h-zeta", "h-alpha", "h-mid"]),
    "host-lun": ("/server/0/host/{host:h-zeta}/lun", "luns", ["v-young", "v-old", "v-mid"]),
    "hostgroup": ("/server/0/hostgroup", "groups", ["g-zeta", "g-alpha"]),
    "network": ("/server/0/network", "networks", ["n-zeta", "n-alpha", "n-mid"]),
    "pool": ("/server/0/pool", "pools", ["p-zeta", "p-alpha", "p-mid"]),
    "consistencygroup": (
        "/server/0/consistencygroup",
        "consistencyGroups",
        ["cg-z", "cg-m", "cg-b"],
    ),
    "cg-snapshot": (
        "/server/0/consistencygroup/{consistencygroup:cg-z}/snapshot",
        "snapshots",
        ["cs-z", "cs-m", "cs-a"],
    ),
    "remotearray": ("/server/0/remotearray", "remoteArrays", ["r-zeta", "r-alpha"]),
}

PARENT_LISTS = {
    "volume": ("/server/0/volume", "volumes"),
    "host": ("/server/0/host", "hosts"),
    "consistencygroup": ("/server/0/consistencygroup", "consistencyGroups"),
}


def resolve(api: Api, template: str) -> str:
    """``{kind:name}`` in a path becomes the id of that object."""

    def replace(match: re.Match) -> str:
        path, key = PARENT_LISTS[match.group(1)]
        return api.ids(path, key)[match.group(2)]

    return re.sub(r"\{(\w+):([\w-]+)\}", replace, template)


def page_names(api: Api, path: str, key: str, **query) -> tuple[list[str], str | None]:
    response = api.get(path, query_string=query)
    assert response.status_code == 200, (path, query, response.get_json())
    return [entry["name"] for entry in response.get_json()[key]], response.headers.get(
        "X-Total-Count"
    )


BAD_PAGES = ["limit=-1", "start=-1", "limit=abc", "start=two", "limit=1.5", "start=0x2"]


@pytest.mark.parametrize("name", ORDERED_LISTS)
def test_list_is_in_creation_order_and_pages_with_limit_and_start(ordered, name):
    template, key, expected = ORDERED_LISTS[name]
    path = resolve(ordered, template)
    total = len(expected)
    assert page_names(ordered, path, key) == (expected, str(total))
    windows = [
        {"limit": 1},
        {"start": 1, "limit": 2},
        {"start": 2},
        {"limit": total + 5},
        {"start": total - 1, "limit": 5},
        {"start": total},
        {"start": total + 3, "limit": 1},
        {"limit": 0},
    ]
    for window in windows:
        start, limit = window.get("start", 0), window.get("limit")
        wanted = expected[start:] if limit is None else expected[start : start + limit]
        # The total counts the whole list, whatever the page.
        assert page_names(ordered, path, key, **window) == (wanted, str(total)), window
    for query in BAD_PAGES:
        response = ordered.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query, response.status_code)
        assert response.mimetype == "application/json"
        assert response.get_json()["message"].strip(), (path, query)
