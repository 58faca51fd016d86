"""No input gives a 500: whatever a client sends, the answer is a JSON 4xx that says
what is wrong (and which field), and nothing changes.

The shared kit first (``mockarray.fields``, ``mockarray.units``,
``mockarray.web.jsonbody``, ``mockarray.web.limits``), then the same inputs
through both APIs: integers wider than their database column, lone surrogates,
deep or repeated-key JSON, flags that are not booleans, the clock's speed, URLs
and headers too long (through the test client and through gunicorn).
"""

from __future__ import annotations

import http.client
import json

import marshmallow as ma
import pytest
import yaml

from mockarray.config.serving import gunicorn_settings
from mockarray.fields import Boolean, Duration, Size, WholeNumber
from mockarray.lab.seeding.loader import FixtureError, seed
from mockarray.units import INT64_MAX, parse_duration_ms, parse_size
from mockarray.web import jsonbody
from mockarray.web.limits import MAX_HEADER_FIELD_BYTES, MAX_URL_BYTES
from tests.support.api import CONTROL, PREFIX, control
from tests.support.checks import assert_error, clock_state, ok, unchanged
from tests.support.lab import array_doc
from tests.support.live import Gunicorn

HUGE = "9" * 20  # past 64 bits
JSON = "application/json"


def load(field: ma.fields.Field, value):
    return ma.Schema.from_dict({"f": field})().load({"f": value})["f"]


def refused(field: ma.fields.Field, value) -> str:
    with pytest.raises(ma.ValidationError) as caught:
        load(field, value)
    return " ".join(caught.value.messages["f"])


# -- the shared kit ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bits", "low", "high"),
    [(64, -(2**63), 2**63 - 1), (32, -(2**31), 2**31 - 1)],
)
def test_a_whole_number_holds_what_its_column_holds(bits, low, high):
    for value in (low, high, str(high)):
        assert load(WholeNumber(bits=bits), value) == int(value)
    for value in (low - 1, high + 1, str(high + 1), HUGE, f"-{HUGE}", 1e30):
        assert f"signed {bits}-bit" in refused(WholeNumber(bits=bits), value), value


@pytest.mark.parametrize("value", ["1e400", float("inf"), float("nan"), "8443.5", True])
def test_a_whole_number_refuses_what_is_not_one(value):
    assert refused(WholeNumber(), value)


@pytest.mark.parametrize(
    ("parse", "value"),
    [
        (parse_size, 2**63),
        (parse_size, f"{HUGE}TiB"),
        (parse_size, "9" * 5000),
        (parse_duration_ms, f"{HUGE}d"),
        (parse_duration_ms, "106751991168d"),
        (parse_duration_ms, 2**63),
    ],
)
def test_sizes_and_durations_stop_at_64_bits(parse, value):
    with pytest.raises(ValueError, match="at most 9223372036854775807"):
        parse(value)


def test_sizes_and_durations_up_to_64_bits_still_parse():
    assert parse_size(INT64_MAX) == INT64_MAX
    assert parse_duration_ms("106751991167d") == 106751991167 * 86_400_000
    assert load(Size(), "8191PiB") == 8191 * 2**50
    assert "at most" in refused(Duration(), f"{HUGE}d")


@pytest.mark.parametrize(
    ("value", "flag"), [(True, True), (False, False), ("true", True), ("false", False)]
)
def test_a_flag_is_a_boolean_or_its_string(value, flag):
    assert load(Boolean(), value) is flag


@pytest.mark.parametrize("value", ["yes", "no", "on", "1", "0", 1, 0, "True", "FALSE", "", []])
def test_a_flag_refuses_anything_else(value):
    field = Boolean(allow_none=False)
    assert "true or false" in refused(field, value)


@pytest.mark.parametrize(
    ("text", "reason", "field"),
    [
        ('{"name": "a", "name": "b"}', "more than once", "name"),
        ('{"snapshot": {"id": "1", "id": "2"}}', "more than once", "snapshot.id"),
        ('[{"a": 1}, {"a": 1, "a": 2}]', "more than once", "[1].a"),
        ('{"password": "a\\ud800"}', "surrogate", "password"),
        ('{"ids": ["x", "\\udfff"]}', "surrogate", "ids[1]"),
        ('{"a\\ud800": 1}', "surrogate", None),
        ('{"size": NaN}', "NaN", None),
        ('{"size": -Infinity}', "Infinity", None),
        ("[" * 100_000 + "]" * 100_000, "deeper than 32", None),
        ('{"a": ' * 33 + "1" + "}" * 33, "deeper than 32", ".".join(["a"] * 32)),
        ("{not json", "Not valid JSON", None),
    ],
)
def test_strict_json_refuses_what_a_lenient_parser_lets_through(text, reason, field):
    with pytest.raises(jsonbody.JsonBodyError) as caught:
        jsonbody.loads(text)
    assert reason in caught.value.reason
    assert caught.value.field == field


def test_strict_json_reads_ordinary_json():
    text = '{"a": [1, {"b": "\\ud83d\\ude00"}], "c": ' + '{"d": ' * 30 + "1" + "}" * 30 + "}"
    assert jsonbody.loads(text) == json.loads(text)
    with pytest.raises(jsonbody.JsonBodyError, match="not UTF-8"):
        jsonbody.loads(b'{"a": "\xff"}')


def test_gunicorn_lets_long_urls_and_headers_reach_the_app():
    settings = gunicorn_settings(
        {"BIND": "127.0.0.1:1", "WORKERS": 1, "LOG_LEVEL": "INFO", "DATA_DIR": "var"}
    )
    # 0: gunicorn's largest request line (1 MiB); any other value is capped at 8190.
    assert settings["limit_request_line"] == 0
    assert settings["limit_request_field_size"] > 2 * MAX_HEADER_FIELD_BYTES


# -- integers past 64 bits ---------------------------------------------------------------------

LISTS = [
    "/server",
    "/server/0/volume",
    "/server/0/volume/{vol1}/snapshot",
    "/server/0/lun",
    "/server/0/host",
    "/server/0/host/{host_iscsi}/lun",
    "/server/0/hostgroup",
    "/server/0/network",
    "/server/0/pool",
    "/server/0/consistencygroup",
    "/server/0/consistencygroup/{cg1}/snapshot",
    "/server/0/remotearray",
]


@pytest.mark.parametrize("parameter", ["limit", "start"])
@pytest.mark.parametrize("path", LISTS)
def test_every_list_refuses_a_limit_past_64_bits(api, ref, path, parameter):
    url = path.format(**ref)
    for value in (HUGE, "9223372036854775808"):
        assert_error(api.get(f"{url}?{parameter}={value}"), 400, "64-bit", field=parameter)
    assert ok(api.get(f"{url}?{parameter}=9223372036854775807"))


@pytest.mark.parametrize(
    "query",
    [
        f"since={'9' * 25}",
        f"until=-{'9' * 24}",
        f"after={HUGE}",
        f"status={HUGE}",
        "status=2147483648",
    ],
)
@pytest.mark.parametrize("path", ["/journal", "/journal/count"])
def test_the_journal_refuses_numbers_past_their_columns(client, path, query):
    field = query.partition("=")[0]
    assert_error(control(client, "GET", f"{path}?{query}"), 400, "bit", field=field)


def test_advancing_the_clock_past_64_bits_is_400_and_moves_nothing(client, frozen):
    before = clock_state(client)
    for by in (f"{HUGE}d", 2**64, str(2**63)):
        response = control(client, "POST", "/clock/advance", {"by": by})
        assert_error(response, 400, "64-bit", field="by")
    assert clock_state(client) == before


def test_the_clock_cannot_be_advanced_past_year_9999(database, frozen):
    from mockarray.array import clock
    from mockarray.errors import Invalid
    from mockarray.lab import clock as lab_clock

    with database.transaction() as session:
        start = clock.now(session)
        with pytest.raises(Invalid, match="9999"):
            lab_clock.advance(session, lab_clock.LATEST_MS - start + 1)
        assert lab_clock.advance(session, lab_clock.LATEST_MS - start) == lab_clock.LATEST_MS


def test_advancing_the_clock_past_year_9999_is_400_and_moves_nothing(client, frozen):
    before = clock_state(client)
    for by in ("100000000000d", 2**62):
        assert_error(control(client, "POST", "/clock/advance", {"by": by}), 400, "9999")
    assert clock_state(client) == before
    ok(control(client, "POST", "/clock/advance", {"by": "1000d"}))
    assert_error(control(client, "POST", "/clock/advance", {"by": "3000000d"}), 400, "9999")


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"times": 2**64}, "times"),
        ({"times": 2**31}, "times"),
        ({"action": "x" * 65}, "action"),
        ({"array": "x" * 256}, "array"),
        ({"path": "/" + "x" * 1024}, "path"),
    ],
)
def test_a_fault_rule_refuses_what_its_columns_cannot_hold(client, rule, field):
    assert_error(control(client, "POST", "/faults", {"status": 503, **rule}), 400, field=field)
    assert ok(control(client, "GET", "/faults")) == {"faults": []}


# -- lone surrogates, deep and repeated-key JSON ------------------------------------------------


def post_raw(client, path: str, text: str, headers=None):
    return client.post(
        path, data=text, content_type=JSON, headers={"Accept": JSON, **(headers or {})}
    )


def test_a_lone_surrogate_in_a_password_is_400_without_a_session(client, lab):
    lab.standard()
    text = '{"hostname": "alpha.lab.test", "username": "admin", "password": "a\\ud800"}'
    assert_error(post_raw(client, f"{PREFIX}/session", text), 400, "surrogate", field="password")


@pytest.mark.parametrize("name", ["snap\\ud800", "\\udc00", "a\\ud800\\ud800"])
def test_a_lone_surrogate_in_a_name_is_400_and_changes_nothing(api, ref, name):
    with unchanged(api):
        response = post_raw(
            api.client,
            f"{PREFIX}/server/0/volume/{ref['vol1']}/snapshot",
            f'{{"name": "{name}"}}',
            api.headers,
        )
        assert_error(response, 400, "surrogate", field="name")


def test_a_lone_surrogate_on_the_control_plane_is_400(client):
    response = post_raw(client, f"{CONTROL}/checkpoints", '{"name": "x\\ud800"}')
    assert_error(response, 400, "surrogate", field="name")
    assert ok(control(client, "GET", "/checkpoints")) == {"checkpoints": []}


def test_json_nested_100000_deep_is_400_and_journaled(client, lab):
    lab.standard()
    deep = "[" * 100_000 + "]" * 100_000
    response = post_raw(client, f"{PREFIX}/session", deep)
    assert_error(response, 400, "deeper than 32")
    entries = ok(control(client, "GET", "/journal?path=/session"))["entries"]
    assert [(e["method"], e["status"]) for e in entries] == [("POST", 400)]


def test_deep_json_to_a_call_with_a_session_is_400_and_changes_nothing(api, ref):
    deep = '{"name": ' + "[" * 5000 + "]" * 5000 + "}"
    with unchanged(api):
        response = post_raw(
            api.client, f"{PREFIX}/server/0/volume/{ref['vol1']}/snapshot", deep, api.headers
        )
        assert_error(response, 400, "deeper than 32")


def test_a_key_given_twice_is_400_naming_it_and_changes_nothing(api, ref):
    with unchanged(api):
        response = post_raw(
            api.client,
            f"{PREFIX}/server/0/volume/{ref['vol1']}/snapshot",
            '{"name": "first", "name": "second"}',
            api.headers,
        )
        assert_error(response, 400, "more than once", field="name")


def test_a_key_given_twice_to_the_control_plane_is_400(client):
    response = post_raw(client, f"{CONTROL}/faults", '{"status": 503, "status": 500}')
    assert_error(response, 400, "more than once", field="status")
    assert ok(control(client, "GET", "/faults")) == {"faults": []}


def test_nan_is_not_a_number(api, ref):
    with unchanged(api):
        response = post_raw(
            api.client,
            f"{PREFIX}/server/0/host/{ref['host_fc']}?action=map",
            f'{{"volumeId": "{ref["vol2"]}", "lunNumber": NaN}}',
            api.headers,
        )
        assert_error(response, 400, "NaN")


# -- flags ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["yes", "1", 1, "on", "True"])
def test_a_flag_that_is_not_a_boolean_is_400_and_changes_nothing(api, ref, value):
    with unchanged(api):
        response = api.post(
            f"/server/0/volume/{ref['vol1']}/snapshot", json={"name": "s", "replicate": value}
        )
        assert_error(response, 400, field="replicate")


def test_a_flag_may_be_the_string_true_or_false(api, ref):
    created = api.post(
        f"/server/0/volume/{ref['vol2']}/snapshot", json={"name": "s", "isAutoDelete": "false"}
    )
    assert ok(created, 201)["name"] == "s"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/reset", {"empty": "yes"}, "empty"),
        ("/checkpoints", {"name": "x", "replace": 1}, "replace"),
        ("/clock", {"instant": "on"}, "instant"),
    ],
)
def test_the_control_plane_takes_only_boolean_flags(client, lab, path, body, field):
    lab.standard()
    method = "PUT" if path == "/clock" else "POST"
    assert_error(control(client, method, path, body), 400, field=field)
    assert ok(control(client, "GET", "/checkpoints")) == {"checkpoints": []}
    assert clock_state(client)["instant"] is False


def test_a_fixture_takes_only_boolean_flags(database):
    server = {
        "pools": [{"name": "p", "capacity": "1TiB"}],
        "volumes": [{"name": "v", "size": "1GiB", "thin": "yes"}],
    }
    document = {"arrays": [array_doc("alpha", servers=[server])]}
    with database.transaction() as session, pytest.raises(FixtureError) as caught:
        seed(session, yaml.safe_dump(document), "flags.yaml")
    assert any("thin" in place for place, _ in caught.value.problems), caught.value.problems


# -- the clock's speed ---------------------------------------------------------------------------


@pytest.mark.parametrize("speed", [5e-324, 0.0009, 1_000_001, 1e308, 0, -1])
def test_a_speed_out_of_range_is_400_and_changes_nothing(client, frozen, speed):
    before = clock_state(client)
    assert_error(control(client, "PUT", "/clock", {"speed": speed}), 400, field="speed")
    assert clock_state(client) == before


@pytest.mark.parametrize("speed", [0.001, 1_000_000])
def test_a_speed_at_the_ends_of_the_range_is_accepted(client, speed):
    assert ok(control(client, "PUT", "/clock", {"speed": speed}))["speed"] == speed


# -- URLs and headers too long ---------------------------------------------------------------------


def test_a_url_too_long_is_a_json_414_on_both_apis(api, client):
    long_query = "x=" + "a" * MAX_URL_BYTES
    with unchanged(api):
        assert_error(api.get(f"/server/0/volume?{long_query}"), 414, str(MAX_URL_BYTES))
        assert_error(control(client, "POST", f"/reset?{long_query}", {}), 414)
    assert ok(api.get(f"/server/0/volume?x={'a' * 1000}"))


def test_a_header_too_long_is_a_json_431_on_both_apis(api, client):
    huge = {"X-Padding": "a" * 20_000}
    with unchanged(api):
        response = api.client.get(f"{PREFIX}/server/0/volume", headers={**api.headers, **huge})
        assert_error(response, 431, "X-Padding")
        response = control(client, "POST", "/reset", {}, headers={"Accept": JSON, **huge})
        assert_error(response, 431, "X-Padding")


@pytest.fixture
def server(migrated, tmp_path, lab):
    lab.standard()
    gunicorn = Gunicorn(migrated, tmp_path / "live", workers=1)
    yield gunicorn.start()
    gunicorn.discard()


def raw_get(port: int, target: str, headers: dict[str, str]):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", target, headers={"Accept": JSON, **headers})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


@pytest.mark.live
def test_through_gunicorn_long_urls_and_headers_are_json(server):
    session = server.login()
    status, kind, body = raw_get(server.port, f"{PREFIX}/server/0/volume?x={'a' * 10_000}", session)
    assert (status, kind) == (414, JSON), body[:200]
    assert json.loads(body)["code"] == 414
    status, kind, body = raw_get(
        server.port, f"{PREFIX}/server/0/volume", {**session, "X-Padding": "a" * 20_000}
    )
    assert (status, kind) == (431, JSON), body[:200]
    assert json.loads(body)["code"] == 431
