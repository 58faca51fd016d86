"""Black-box tests of the calls that make hosts and map LUNs to them.

``POST /server/{sid}/host`` answers ``200`` and a ``Location`` (README item
6) with the guide's host object; iSCSI names and WWNs are validated and
normalized (docs/api.md). ``?action=map`` / ``unmap`` on a host and ``map``
on a host group, and ``?action=online`` on a LUN, as docs/array-rules.md
describes them: LUN numbers are unique per host, a mapping shows at once on
the host (``mappedLunIds``), in ``GET /host/{hid}/lun`` (README item 11) and
in the LUN list. Every refused call changes nothing (``unchanged``).

The lab is ``tests.support.lab.standard_server`` (host-iscsi has vol1's LUN as
number 3; host-fc has none; both are in group ``cluster``) with three more
volumes without a LUN and an empty host group (``host_server``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.support.api import PREFIX, Api
from tests.support.checks import assert_error, filled, listed, ok, unchanged
from tests.support.lab import array_doc, standard_server

HOST_KEYS = {"id", "name", "serverGroupKeys", "mappedLunIds", "iqns", "wwns", "config"}
HOST_LUN_KEYS = {"name", "volumeId", "hostId", "hostGroupId", "lunId", "lunNumber"}
GROUP_MAPPING_KEYS = {"name", "volumeId", "lunId", "lunNumber"}


def host_server() -> dict:
    server = standard_server()
    server["volumes"] += [{"name": name, "size": "1GiB"} for name in ("v3", "v4", "v5")]
    server["hostGroups"].append({"name": "empty"})
    return server


@pytest.fixture
def api(lab, client) -> Api:
    """A session on ``alpha`` seeded with ``host_server()``; ``beta`` is empty."""
    lab.seed(array_doc("alpha", 1, servers=[host_server()]), array_doc("beta", 2))
    return Api.login(client, "alpha.lab.test")


@pytest.fixture
def ref(api) -> dict[str, str]:
    """The ids used here under their names; ``lun:vol1`` is vol1's LUN."""
    ids = api.ids("/server/0/volume", "volumes")
    ids.update(api.ids("/server/0/host", "hosts"))
    ids.update(api.ids("/server/0/hostgroup", "groups"))
    ids["lun:vol1"] = api.ids("/server/0/lun", "luns", name_field="volumeId")[ids["vol1"]]
    return ids


# -- helpers -----------------------------------------------------------------------------


def empty_ok(response) -> None:
    """A ``200`` without a body (the guide's "Response Body: None")."""
    assert response.status_code == 200, (response.status_code, response.get_data(True))
    assert response.get_data() == b""


def host(api: Api, host_id: str) -> dict:
    return ok(api.get(f"/server/0/host/{host_id}"))


def host_luns(api: Api, host_id: str) -> list[dict]:
    return listed(api, f"/server/0/host/{host_id}/lun", "luns")


def lun_ids(api: Api) -> list[str]:
    return [lun["id"] for lun in listed(api, "/server/0/lun", "luns")]


def act(api: Api, kind: str, object_id: str, action: str, body=None):
    return api.post(f"/server/0/{kind}/{object_id}?action={action}", json=body)


def map_to(api: Api, host_id: str, body):
    return act(api, "host", host_id, "map", body)


def unmap_from(api: Api, host_id: str, body):
    return act(api, "host", host_id, "unmap", body)


def assert_mapped(api: Api, host_id: str, mapping: dict) -> None:
    """The mapping shows on the host, in its LUN list and in the LUN list."""
    assert set(mapping) == HOST_LUN_KEYS, mapping
    assert mapping["lunId"] in host(api, host_id)["mappedLunIds"]
    assert mapping in host_luns(api, host_id)
    assert mapping["lunId"] in lun_ids(api)
    lun = ok(api.get(f"/server/0/lun/{mapping['lunId']}"))
    assert lun["volumeId"] == mapping["volumeId"]


def assert_not_mapped(api: Api, host_id: str, lun_id: str) -> None:
    assert lun_id not in host(api, host_id)["mappedLunIds"]
    assert lun_id not in {m["lunId"] for m in host_luns(api, host_id)}


# -- creating a host -----------------------------------------------------------------------

# iqns, wwns, and the config they make.
NEW_HOSTS = {
    "iscsi": (["iqn.2001-04.com.example:db1"], [], {"fc": False, "iscsi": True}),
    "fc": (
        [],
        ["50:01:43:80:aa:bb:cc:01", "50:01:43:80:aa:bb:cc:02"],
        {"fc": True, "iscsi": False},
    ),
    "both": (["eui.02004567a425678d"], ["50:01:43:80:aa:bb:cc:03"], {"fc": True, "iscsi": True}),
    "none": ([], [], {"fc": False, "iscsi": False}),
}


@pytest.mark.parametrize("case", NEW_HOSTS)
def test_create_host_answers_200_with_location_and_the_guides_host(api, case):
    iqns, wwns, config = NEW_HOSTS[case]
    before = listed(api, "/server/0/host", "hosts")
    response = api.post("/server/0/host", json={"name": "new-host", "iqns": iqns, "wwns": wwns})
    body = ok(response)
    assert set(body) == HOST_KEYS, body
    assert isinstance(body["id"], str) and body["id"] not in {h["id"] for h in before}
    assert body == {
        "id": body["id"],
        "name": "new-host",
        "serverGroupKeys": [],
        "mappedLunIds": [],
        "iqns": iqns,
        "wwns": wwns,
        "config": config,
    }
    location = urlsplit(response.headers["Location"]).path
    assert location == f"{PREFIX}/server/0/host/{body['id']}"
    assert ok(api.get(location.removeprefix(PREFIX))) == body
    assert listed(api, "/server/0/host", "hosts") == [*before, body]
    assert host_luns(api, body["id"]) == []


@pytest.mark.parametrize(
    "field, given, kept",
    [
        ("wwns", "500143801234ABCD", "50:01:43:80:12:34:ab:cd"),
        ("wwns", "50-01-43-80-12-34-AB-CD", "50:01:43:80:12:34:ab:cd"),
        ("iqns", "IQN.2001-04.COM.Example:DB1", "iqn.2001-04.com.example:db1"),
    ],
    ids=["wwn-bare-upper-case", "wwn-dashes", "iqn-upper-case"],
)
def test_initiators_are_answered_in_normal_form(api, field, given, kept):
    body = ok(api.post("/server/0/host", json={"name": "new-host", field: [given]}))
    assert body[field] == [kept]
    assert host(api, body["id"])[field] == [kept]


# Invalid bodies: the request body and the field the 400 must name.
INVALID_HOSTS = {
    "bad-iqn": ({"name": "h", "iqns": ["not-an-iqn"]}, "iqns[0]"),
    "second-iqn-bad": (
        {"name": "h", "iqns": ["iqn.2001-04.com.example:ok", "iqn.01-2001.bad"]},
        "iqns[1]",
    ),
    "iqn-twice": (
        {"name": "h", "iqns": ["iqn.2001-04.com.example:a", "IQN.2001-04.com.example:A"]},
        "iqns[1]",
    ),
    "short-wwn": ({"name": "h", "wwns": ["50:01:43:80"]}, "wwns[0]"),
    "wwn-not-hex": ({"name": "h", "wwns": ["50:01:43:80:12:34:56:zz"]}, "wwns[0]"),
    "iqns-not-a-list": ({"name": "h", "iqns": "iqn.2001-04.com.example:a"}, "iqns"),
    "missing-name": ({"iqns": ["iqn.2001-04.com.example:a"]}, "name"),
    "empty-name": ({"name": ""}, "name"),
    "control-char-in-name": ({"name": "h\x00"}, "name"),
}


@pytest.mark.parametrize("case", INVALID_HOSTS)
def test_invalid_host_body_is_400_naming_the_field(api, case):
    request_body, field = INVALID_HOSTS[case]
    with unchanged(api):
        assert_error(api.post("/server/0/host", json=request_body), 400, field=field)


def test_create_host_retry_with_the_same_initiators_is_the_same_host(api):
    request = {
        "name": "new-host",
        "iqns": ["iqn.2001-04.com.example:db1"],
        "wwns": ["50:01:43:80:aa:bb:cc:01", "50:01:43:80:aa:bb:cc:02"],
    }
    first = ok(api.post("/server/0/host", json=request))
    count = len(listed(api, "/server/0/host", "hosts"))
    assert ok(api.post("/server/0/host", json=request)) == first
    # The same initiators, written otherwise and in another order.
    request["iqns"] = ["IQN.2001-04.com.example:DB1"]
    request["wwns"] = ["50014380AABBCC02", "50-01-43-80-aa-bb-cc-01"]
    assert ok(api.post("/server/0/host", json=request)) == first
    assert len(listed(api, "/server/0/host", "hosts")) == count


@pytest.mark.parametrize(
    "initiators",
    [
        {"iqns": ["iqn.2001-04.com.example:other"]},
        {"iqns": ["iqn.2001-04.com.example:db1"], "wwns": ["50:01:43:80:aa:bb:cc:09"]},
        {},
    ],
    ids=["other-iqn", "one-more-wwn", "none"],
)
def test_same_host_name_with_other_initiators_is_409(api, initiators):
    ok(
        api.post(
            "/server/0/host", json={"name": "new-host", "iqns": ["iqn.2001-04.com.example:db1"]}
        )
    )
    with unchanged(api):
        assert_error(
            api.post("/server/0/host", json={"name": "new-host", **initiators}), 409, "new-host"
        )


@pytest.mark.parametrize(
    "field, initiator, owner",
    [
        ("iqns", "iqn.1998-01.com.vmware:host-iscsi", "host-iscsi"),
        ("iqns", "IQN.1998-01.COM.VMWARE:HOST-ISCSI", "host-iscsi"),
        ("wwns", "5001438012345678", "host-fc"),
    ],
    ids=["iqn", "iqn-other-case", "wwn-other-form"],
)
def test_initiator_of_another_host_is_409_naming_it(api, field, initiator, owner):
    with unchanged(api):
        assert_error(
            api.post("/server/0/host", json={"name": "new-host", field: [initiator]}), 409, owner
        )


# -- map --------------------------------------------------------------------------------------


def test_map_by_volume_id_maps_the_volumes_lun_and_shows_it_everywhere(api, ref):
    luns_before = lun_ids(api)
    body = ok(map_to(api, ref["host-fc"], {"volumeId": ref["vol2"]}))
    assert set(body) == HOST_LUN_KEYS, body
    assert body["lunId"] in luns_before  # vol2 had its LUN before any mapping
    assert body == {
        "name": "vol2",
        "volumeId": ref["vol2"],
        "hostId": ref["host-fc"],
        "hostGroupId": None,
        "lunId": body["lunId"],
        "lunNumber": 0,  # host-fc had no LUN: the lowest number
    }
    assert_mapped(api, ref["host-fc"], body)
    assert lun_ids(api) == luns_before


def test_map_by_lun_id(api, ref):
    luns_before = lun_ids(api)
    body = ok(map_to(api, ref["host-fc"], {"lunId": ref["lun:vol1"]}))
    assert body == {
        "name": "vol1",
        "volumeId": ref["vol1"],
        "hostId": ref["host-fc"],
        "hostGroupId": None,
        "lunId": ref["lun:vol1"],
        "lunNumber": 0,
    }
    assert_mapped(api, ref["host-fc"], body)
    assert lun_ids(api) == luns_before  # the LUN vol1 had
    # Mapped to host-iscsi as number 3 all along.
    assert [m["lunNumber"] for m in host_luns(api, ref["host-iscsi"])] == [3]


@pytest.mark.parametrize("number, expected", [(0, 0), (7, 7), (16383, 16383), ("12", 12)])
def test_map_honours_the_lun_number(api, ref, number, expected):
    body = ok(map_to(api, ref["host-iscsi"], {"volumeId": ref["vol2"], "lunNumber": number}))
    assert body["lunNumber"] == expected
    assert_mapped(api, ref["host-iscsi"], body)


def test_map_picks_the_lowest_free_number_of_the_host(api, ref):
    # host-iscsi uses 3.
    numbers = [
        ok(map_to(api, ref["host-iscsi"], {"volumeId": ref[name]}))["lunNumber"]
        for name in ("v3", "v4", "v5", "vol2")
    ]
    assert numbers == [0, 1, 2, 4]
    assert sorted(m["lunNumber"] for m in host_luns(api, ref["host-iscsi"])) == [0, 1, 2, 3, 4]


def test_map_to_a_number_taken_on_the_host_is_409(api, ref):
    with unchanged(api):  # vol2 does not even get a LUN
        assert_error(
            map_to(api, ref["host-iscsi"], {"volumeId": ref["vol2"], "lunNumber": 3}),
            409,
            "3",
            "host-iscsi",
        )


def test_map_again_returns_the_same_mapping(api, ref):
    with unchanged(api):
        first = ok(map_to(api, ref["host-iscsi"], {"volumeId": ref["vol1"]}))
        assert first["lunNumber"] == 3
        assert ok(map_to(api, ref["host-iscsi"], {"lunId": ref["lun:vol1"]})) == first
        again = {"volumeId": ref["vol1"], "lunId": ref["lun:vol1"], "lunNumber": 3}
        assert ok(map_to(api, ref["host-iscsi"], again)) == first


def test_map_again_under_another_number_is_409(api, ref):
    with unchanged(api):
        request = {"volumeId": ref["vol1"], "lunNumber": 5}
        assert_error(map_to(api, ref["host-iscsi"], request), 409, "3")


@pytest.mark.parametrize(
    "request_body",
    [{"lunId": "{lun:vol1}", "volumeId": "{vol2}"}, {}, {"lunNumber": 1}, None],
    ids=["lun-and-volume-disagree", "empty", "number-only", "no-body"],
)
def test_map_without_one_volume_to_map_is_400(api, ref, request_body):
    with unchanged(api):
        assert_error(map_to(api, ref["host-fc"], filled(request_body, ref)), 400)


@pytest.mark.parametrize("number", [-1, 16384, 1.5, "abc", True])
def test_map_to_a_bad_lun_number_is_400(api, ref, number):
    with unchanged(api):
        request = {"volumeId": ref["vol2"], "lunNumber": number}
        assert_error(map_to(api, ref["host-fc"], request), 400, field="lunNumber")


@pytest.mark.parametrize(
    "host_name, request_body",
    [
        ("host-fc", {"volumeId": "987654"}),
        ("host-fc", {"lunId": "987654"}),
        ("987654", {"volumeId": "{vol2}"}),
    ],
    ids=["unknown-volume", "unknown-lun", "unknown-host"],
)
def test_map_unknown_object_is_404(api, ref, host_name, request_body):
    with unchanged(api):
        assert_error(
            map_to(api, ref.get(host_name, host_name), filled(request_body, ref)), 404, "987654"
        )


def test_map_volume_of_another_array_is_404(api, ref, client):
    beta = Api.login(client, "beta.lab.test")
    beta_host = ok(beta.post("/server/0/host", json={"name": "beta-host"}))
    with unchanged(api):
        assert_error(map_to(beta, beta_host["id"], {"volumeId": ref["vol2"]}), 404)


# -- unmap ------------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["lunId", "volumeId"])
def test_unmap_answers_200_without_a_body_and_the_mapping_is_gone(api, ref, by):
    lun = ok(api.get(f"/server/0/lun/{ref['lun:vol1']}"))
    target = ref["lun:vol1"] if by == "lunId" else ref["vol1"]
    empty_ok(unmap_from(api, ref["host-iscsi"], {by: target}))
    assert_not_mapped(api, ref["host-iscsi"], ref["lun:vol1"])
    assert host(api, ref["host-iscsi"])["mappedLunIds"] == []
    assert host_luns(api, ref["host-iscsi"]) == []
    # The volume keeps its LUN (its identity), mapped nowhere now; its number is free.
    assert ok(api.get(f"/server/0/lun/{ref['lun:vol1']}")) == lun
    body = ok(map_to(api, ref["host-iscsi"], {"volumeId": ref["vol2"], "lunNumber": 3}))
    assert_mapped(api, ref["host-iscsi"], body)


def test_unmap_of_a_lun_mapped_to_another_host_leaves_that_host_alone(api, ref):
    ok(map_to(api, ref["host-fc"], {"lunId": ref["lun:vol1"]}))
    empty_ok(unmap_from(api, ref["host-fc"], {"lunId": ref["lun:vol1"]}))
    assert_not_mapped(api, ref["host-fc"], ref["lun:vol1"])
    assert host(api, ref["host-iscsi"])["mappedLunIds"] == [ref["lun:vol1"]]


@pytest.mark.parametrize(
    "host_name, request_body",
    [("host-iscsi", {"volumeId": "{vol2}"}), ("host-fc", {"lunId": "{lun:vol1}"})],
    ids=["volume-without-lun", "lun-of-another-host"],
)
def test_unmap_what_is_not_mapped_is_404(api, ref, host_name, request_body):
    with unchanged(api):
        assert_error(unmap_from(api, ref[host_name], filled(request_body, ref)), 404, host_name)


def test_unmap_without_lun_or_volume_is_400(api, ref):
    with unchanged(api):
        assert_error(unmap_from(api, ref["host-iscsi"], {}), 400, "lunId", "volumeId")


def test_unmap_lun_and_volume_of_different_volumes_is_400(api, ref):
    # As for map: the two ids contradict each other; vol1's LUN *is* mapped there.
    request = {"lunId": ref["lun:vol1"], "volumeId": ref["vol2"]}
    with unchanged(api):
        assert_error(unmap_from(api, ref["host-iscsi"], request), 400, field="lunId")


# -- host groups ----------------------------------------------------------------------------


def test_host_group_map_gives_one_number_free_on_every_host(api, ref):
    # host-iscsi uses 2 and 3, host-fc 0 and 1: 4 is the lowest free on both.
    ok(map_to(api, ref["host-fc"], {"volumeId": ref["v3"], "lunNumber": 0}))
    ok(map_to(api, ref["host-fc"], {"volumeId": ref["v4"], "lunNumber": 1}))
    ok(map_to(api, ref["host-iscsi"], {"volumeId": ref["v5"], "lunNumber": 2}))
    body = ok(act(api, "hostgroup", ref["cluster"], "map", {"volumeId": ref["vol2"]}))
    assert set(body) == GROUP_MAPPING_KEYS, body
    assert body == {"name": "vol2", "volumeId": ref["vol2"], "lunId": body["lunId"], "lunNumber": 4}
    for member in ("host-iscsi", "host-fc"):
        mapping = {**body, "hostId": ref[member], "hostGroupId": ref["cluster"]}
        assert_mapped(api, ref[member], mapping)


def test_host_group_map_again_returns_the_same_mapping(api, ref):
    first = ok(act(api, "hostgroup", ref["cluster"], "map", {"volumeId": ref["vol2"]}))
    assert first["lunNumber"] == 0
    with unchanged(api):
        again = {"lunId": first["lunId"], "lunNumber": 0}
        assert ok(act(api, "hostgroup", ref["cluster"], "map", again)) == first


def test_host_group_map_to_a_number_taken_on_one_host_is_409_naming_it(api, ref):
    with unchanged(api):
        request = {"volumeId": ref["vol2"], "lunNumber": 3}
        assert_error(act(api, "hostgroup", ref["cluster"], "map", request), 409, "host-iscsi")


def test_host_group_map_to_an_empty_group_is_409(api, ref):
    with unchanged(api):
        request = {"volumeId": ref["vol2"]}
        assert_error(act(api, "hostgroup", ref["empty"], "map", request), 409, "empty")


def test_host_group_map_of_an_unknown_group_is_404(api, ref):
    with unchanged(api):
        assert_error(act(api, "hostgroup", "987654", "map", {"volumeId": ref["vol2"]}), 404)


# -- LUN online and unknown actions ------------------------------------------------------------


@pytest.mark.parametrize("action", ["online", "ONLINE", "on-line"])
def test_lun_online_answers_200_without_a_body(api, ref, action):
    with unchanged(api):
        empty_ok(act(api, "lun", ref["lun:vol1"], action))
        empty_ok(act(api, "lun", ref["lun:vol1"], action, {}))  # again: still online


def test_lun_online_of_an_unknown_lun_is_404(api, client, ref):
    with unchanged(api):
        assert_error(act(api, "lun", "987654", "online"), 404, "987654")
        beta = Api.login(client, "beta.lab.test")
        assert_error(act(beta, "lun", ref["lun:vol1"], "online"), 404)


@pytest.mark.parametrize(
    "kind, name, actions",
    [
        ("host", "host-iscsi", ["map", "unmap"]),
        ("hostgroup", "cluster", ["map"]),
        ("lun", "lun:vol1", ["online"]),
    ],
)
def test_unknown_action_is_400_listing_the_objects_actions(api, ref, kind, name, actions):
    with unchanged(api):
        body = assert_error(act(api, kind, ref[name], "offline", {}), 400, "offline", *actions)
        assert "action" in body["errors"]
        assert_error(api.post(f"/server/0/{kind}/{ref[name]}", json={}), 400, *actions)
