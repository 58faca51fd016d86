"""``mockarray.client``: a method for every operation of both APIs, sending only the
fields the API documents; typed errors; lists with their total; the HTTP transport's
keep-alive connections.

The clients run in-process (``FlaskTransport`` on the test client), against the
standard lab; the completeness checks read the operations and their bodies from
the served OpenAPI documents.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest
import yaml

from mockarray.client import (
    BadRequest,
    ClientError,
    Conflict,
    ControlClient,
    FlaskTransport,
    HttpTransport,
    MockarrayError,
    NoSpace,
    NotFound,
    PluginClient,
    ServerError,
    Unauthorized,
    Unavailable,
)
from mockarray.client import transport as transport_module
from tests.support.api import PASSWORD
from tests.support.lab import array_doc
from tests.support.live import free_port


class Recording:
    """A transport that keeps every request it passes on."""

    def __init__(self, inner):
        self.inner = inner
        self.calls: list[tuple[str, str, bytes | None]] = []

    def request(self, method, target, *, body, headers):
        self.calls.append((method, target, body))
        return self.inner.request(method, target, body=body, headers=headers)


@pytest.fixture
def alpha(client, ref) -> PluginClient:
    """A ``PluginClient`` logged in to the standard lab's ``alpha`` (one server, ``0``)."""
    plugin = PluginClient(FlaskTransport(client))
    plugin.login("alpha.lab.test", "admin", PASSWORD)
    return plugin


@pytest.fixture
def control(client) -> ControlClient:
    return ControlClient(FlaskTransport(client))


# -- every operation, every field ------------------------------------------------------------


def every_plugin_call(plugin: PluginClient, ref: dict) -> None:
    """Each method once, with every keyword argument it has (errors do not matter)."""
    vol1, vol2, clone, snap1 = ref["vol1"], ref["vol2"], ref["clone"], ref["snap1"]
    calls = [
        lambda: plugin.info(),
        lambda: plugin.login(
            "alpha.lab.test",
            "admin",
            PASSWORD,
            ip_address="198.51.100.1",
            port=8443,
            credentials_in_body=True,
        ),
        lambda: plugin.log(),
        lambda: plugin.storage(),
        lambda: plugin.servers(limit=5, start=0),
        lambda: plugin.server("0"),
        lambda: plugin.system(server="0"),
        lambda: plugin.volumes(server="0", limit=5, start=0),
        lambda: plugin.volume(vol1),
        lambda: plugin.split_status(clone),
        lambda: plugin.clone(
            vol1,
            name="copy",
            snapshot_id=snap1,
            snapshot_name="vol1.snap1",
            server_group_keys=["k"],
            instant_split=False,
        ),
        lambda: plugin.mount(vol1, path="/mnt/vol1"),
        lambda: plugin.split(clone),
        lambda: plugin.restore(vol2, snapshot_id=ref["vol2_cgsnap"]),
        lambda: plugin.restore_to_alternate(vol1, source_snapshot_id=snap1, target_volume_id=vol2),
        lambda: plugin.restore_to_new(
            vol1,
            source_snapshot_id=snap1,
            target_volume_name="restored",
            target_pool_ids=[ref["pool1"]],
        ),
        lambda: plugin.snapshots(vol1, limit=5, start=0),
        lambda: plugin.snapshot(vol1, snap1),
        lambda: plugin.create_snapshot(
            vol2, name="new", pool_id=ref["pool2"], replicate=False, is_auto_delete=True
        ),
        lambda: plugin.snapshot_progress(
            vol1, snap1, destination_snapshot_id="1", destination_server_id="0"
        ),
        lambda: plugin.luns(limit=5, start=0),
        lambda: plugin.lun(ref["lun1"]),
        lambda: plugin.online(ref["lun1"]),
        lambda: plugin.hosts(limit=5, start=0),
        lambda: plugin.host(ref["host_fc"]),
        lambda: plugin.create_host(
            name="h", iqns=["iqn.2000-01.test:h"], wwns=["50:00:00:00:00:00:00:01"]
        ),
        lambda: plugin.host_luns(ref["host_iscsi"], limit=5, start=0),
        lambda: plugin.map(ref["host_fc"], volume_id=vol2, lun_id=None, lun_number=7),
        lambda: plugin.map(ref["host_fc"], lun_id=ref["lun1"]),
        lambda: plugin.unmap(ref["host_fc"], lun_id=ref["lun1"], volume_id=vol1),
        lambda: plugin.host_groups(limit=5, start=0),
        lambda: plugin.map_host_group(ref["cluster"], volume_id=vol2, lun_id="1", lun_number=9),
        lambda: plugin.networks(limit=5, start=0),
        lambda: plugin.network(ref["eth0"]),
        lambda: plugin.pools(limit=5, start=0),
        lambda: plugin.pool(ref["pool1"]),
        lambda: plugin.remote_arrays(limit=5, start=0),
        lambda: plugin.consistency_groups(limit=5, start=0),
        lambda: plugin.consistency_group(ref["cg1"]),
        lambda: plugin.consistency_group_snapshots(ref["cg1"], limit=5, start=0),
        lambda: plugin.add_volume(
            ref["cg1"],
            volume_id=clone,
            snapshot_name="s",
            pool_id=ref["pool1"],
            is_incremental=True,
        ),
        lambda: plugin.remove_volume(ref["cg1"], volume_ids=[clone]),
        lambda: plugin.condense(
            ref["cg1"], age_in_days=30, number_of_instances=2, snapshot_prefixes=["cg1"]
        ),
        lambda: plugin.take_snapshot(
            ref["cg1"], prefix="p", replicate=False, is_auto_delete=False, is_incremental=False
        ),
        lambda: plugin.add_replication_target(ref["cg1"], target_name="partner"),
        lambda: plugin.delete_snapshot(vol2, "999"),
        lambda: plugin.delete_volume("999"),
    ]
    for call in calls:
        with contextlib.suppress(MockarrayError):
            call()


def every_control_call(lab: ControlClient) -> None:
    calls = [
        lambda: lab.save_checkpoint("c", replace=True),
        lambda: lab.checkpoints(),
        lambda: lab.restore_checkpoint("c"),
        lambda: lab.delete_checkpoint("c"),
        lambda: lab.add_fault(
            method="GET",
            path="/nowhere",
            action="clone",
            array="alpha",
            status=503,
            message="busy",
            delay_ms=0,
            delay_max_ms=1,
            times=1,
            probability=0.5,
        ),
        lambda: lab.faults(),
        lambda: lab.remove_fault(1),
        lambda: lab.clear_faults(),
        lambda: lab.clock(),
        lambda: lab.set_clock(speed=2, instant=False),
        lambda: lab.advance_clock("1s"),
        lambda: lab.tasks(),
        lambda: lab.finish_tasks(),
        lambda: lab.reset_clock(),
        lambda: lab.real_time(),
        lambda: lab.journal(
            method="GET",
            path="/*",
            action="clone",
            status=200,
            array="alpha",
            since=0,
            until=1,
            after=0,
            limit=5,
            start=0,
        ),
        lambda: lab.journal_count(
            method="GET",
            path="/*",
            action="clone",
            status=200,
            array="alpha",
            since=0,
            until=1,
            after=0,
        ),
        lambda: lab.clear_journal(),
        lambda: lab.write("alpha", "vol1", "1MiB", server="0", append=True),
        lambda: lab.reset(empty=False),
        lambda: lab.seed({"arrays": []}, replace=False, check=True, if_empty=True, source="t"),
        lambda: lab.fixture(),
        lambda: lab.health(),
        lambda: lab.metrics(),
    ]
    for call in calls:
        with contextlib.suppress(MockarrayError):
            call()


def operations(document: dict) -> dict[tuple[str, str], dict]:
    """``(METHOD, path template)`` -> the OpenAPI operation."""
    return {
        (method.upper(), template): operation
        for template, item in document["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    }


def template_of(document: dict, path: str) -> str | None:
    for template in document["paths"]:
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            return template
    return None


def resolved(document: dict, schema: dict) -> dict:
    while "$ref" in schema or len(schema.get("allOf", ())) == 1:
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        else:
            schema = schema["allOf"][0]
    return schema


def body_schema(document: dict, operation: dict, action: str | None) -> dict | None:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    schema = content["schema"]
    if "anyOf" in schema:
        # An object's ?action= route: each body is a named schema saying its action.
        bodies = [resolved_once(document, entry) for entry in schema["anyOf"]]
        schema = next((s for s in bodies if s.get("x-action") == action), None)
        if schema is None:
            return None
    return resolved(document, schema)


def resolved_once(document: dict, schema: dict) -> dict:
    if "$ref" in schema:
        return document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def undocumented(document: dict, schema: dict, body: dict, where: str = "") -> list[str]:
    """The fields of ``body`` (nested ones too) its schema does not have."""
    found = []
    properties = schema.get("properties", {})
    for name, value in body.items():
        if name not in properties:
            found.append(f"{where}{name}")
        elif isinstance(value, dict):
            nested = resolved(document, properties[name])
            found += undocumented(document, nested, value, f"{where}{name}.")
    return found


def actions_of(operation: dict) -> list[str] | None:
    """The actions of an object's ``?action=`` route (``None``: not such a route)."""
    for parameter in operation.get("parameters", []):
        if parameter["name"] == "action" and "enum" in parameter["schema"]:
            return parameter["schema"]["enum"]
    return None


def check_against(document: dict, calls, ignore=frozenset(), newer=frozenset()) -> None:
    """Every operation (each action apart) was called, with every field and query
    parameter it documents and no other. Calls to ``newer`` paths are let through
    when the document has no such path (a server older than the client)."""
    ops = operations(document)
    expected = {
        (method, template, action)
        for (method, template), operation in ops.items()
        for action in actions_of(operation) or [None]
    }
    called: dict[tuple, set[str]] = {}
    for method, target, body in calls:
        path, _, query = target.partition("?")
        parameters = dict(parse_qsl(query))
        template = template_of(document, path)
        if template is None and path in newer:
            continue
        assert template is not None, f"{path} is no path of the document"
        operation = ops[(method, template)]
        action = parameters.pop("action") if actions_of(operation) else None
        key = (method, template, action)
        documented = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        documented -= {"action"} if action else set()
        assert set(parameters) <= documented, (key, parameters)
        sent = called.setdefault(key, set(parameters))
        sent.update(parameters)
        schema = body_schema(document, operation, key[2])
        if body:
            assert schema is not None, (key, body)
            decoded = json.loads(body)
            assert not undocumented(document, schema, decoded), (key, decoded)
            sent.update(decoded)
    assert expected - ignore <= set(called), sorted(expected - ignore - set(called), key=str)
    for key, sent in called.items():
        operation = ops[key[:2]]
        schema = body_schema(document, operation, key[2]) or {}
        documented = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if actions_of(operation):
            documented.discard("action")
        missing = (set(schema.get("properties", {})) | documented) - sent
        assert not missing, (key, missing)


def test_the_plugin_client_has_every_operation_and_field_of_the_api(client, ref):
    recording = Recording(FlaskTransport(client))
    every_plugin_call(PluginClient(recording), ref)
    document = client.get("/storageplugin/api/openapi.json").get_json()
    # createSnapshot is POST …/volume/{vid}/snapshot again: create_snapshot sends that.
    alias = ("POST", "/storageplugin/api/server/{sid}/volume/{vid}", "createSnapshot")
    check_against(document, recording.calls, ignore={alias})


def test_the_control_client_has_every_call_and_field_of_the_control_plane(client, ref):
    recording = Recording(FlaskTransport(client))
    every_control_call(ControlClient(recording))
    newer = {f"/mockarray/api/{name}" for name in ("seed", "fixture", "health", "metrics")}
    document = client.get("/mockarray/api/openapi.json").get_json()
    check_against(document, recording.calls, newer=newer)


# -- answers and errors -------------------------------------------------------------------------


def test_a_list_is_a_page_with_the_total_and_items_by_name(alpha):
    page = alpha.volumes(limit=2)
    assert [volume["name"] for volume in page] == ["vol1", "vol2"]
    assert page.total == 3
    assert page.named("vol2") == page[1]
    with pytest.raises(LookupError, match="vol1, vol2"):
        page.named("nope")


def test_calls_go_to_the_only_server_or_the_one_named(alpha, client, lab):
    assert alpha.system()["capacityInBytes"] > 0  # the only server, 0
    lab.seed(
        {
            "name": "gamma",
            "hostname": "gamma.lab.test",
            "ipAddress": "198.51.100.3",
            "serialNumber": "SN-GAMMA",
            "username": "admin",
            "password": PASSWORD,
            "servers": [{"id": "a", "pools": [{"name": "p", "capacity": "1TiB"}]}, {"id": "b"}],
        }
    )
    gamma = PluginClient(FlaskTransport(client))
    gamma.login("gamma.lab.test", "admin", PASSWORD)
    with pytest.raises(ValueError, match="a, b: pass server="):
        gamma.pools()
    assert gamma.pools(server="a").named("p")["freeSpace"] > 0
    gamma.default_server = "b"
    assert gamma.pools() == []


def test_errors_are_raised_by_status_with_the_message_and_the_fields(alpha, control, ref):
    with pytest.raises(BadRequest) as bad:
        alpha.create_snapshot(ref["vol1"], name="")
    assert bad.value.status == 400 and "name" in bad.value.errors
    assert bad.value.method == "POST" and bad.value.path.endswith("/snapshot")
    assert str(bad.value).startswith("400 Bad Request: Invalid request body.")

    with pytest.raises(NotFound, match="Volume '999' does not exist"):
        alpha.volume("999")
    with pytest.raises(Conflict) as mapped:
        alpha.delete_volume(ref["vol1"])
    assert mapped.value.body["code"] == 409

    # Any status a fault injects: its family's class.
    for status, kind in [
        (418, ClientError),
        (503, Unavailable),
        (507, NoSpace),
        (599, ServerError),
    ]:
        control.add_fault(path="/storage", status=status, message="injected", times=1)
        with pytest.raises(kind) as faulted:
            alpha.storage()
        assert (faulted.value.status, faulted.value.message) == (status, "injected")


def test_logging_in_with_a_wrong_password_is_unauthorized(client, lab):
    lab.standard()
    plugin = PluginClient(FlaskTransport(client))
    with pytest.raises(Unauthorized, match="password"):
        plugin.login("alpha.lab.test", "admin", "wrong")
    assert plugin.session_id is None
    with pytest.raises(Unauthorized):
        plugin.storage()
    answer = plugin.login("alpha.lab.test", "admin", PASSWORD, credentials_in_body=True)
    assert plugin.session_id == answer["sessionId"]
    assert plugin.storage()["name"] == "alpha"


def test_request_leaves_the_status_to_the_caller_when_asked(alpha):
    response = alpha.request("GET", "/server/0/volume/999", check=False)
    assert response.status == 404
    assert response.json()["code"] == 404
    created = alpha.request("POST", "/server/0/host", body={"name": "h1"})
    assert created.header("location").endswith(f"/host/{created.json()['id']}")


def test_the_log_is_a_zip(alpha):
    assert alpha.log().startswith(b"PK")


def test_durations_and_moments_take_python_types(control, lab):
    from datetime import UTC, datetime, timedelta

    lab.standard()
    before = control.clock()
    after = control.advance_clock(timedelta(minutes=2))
    assert after["offsetMs"] - before["offsetMs"] == 120_000
    assert control.journal(since=datetime.now(UTC) + timedelta(days=1)) == []


# -- HTTP ----------------------------------------------------------------------------------------


class Answering(BaseHTTPRequestHandler):
    """Answers ``{"path": ...}``; keeps the connection open unless ``hang_up``, in
    which case it closes it after answering without saying so (as a server whose
    keep-alive timeout runs out does)."""

    protocol_version = "HTTP/1.1"
    hang_up = False

    def do_GET(self):
        self.server.peers.add(self.client_address)
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = self.hang_up

    def log_message(self, *_args):
        pass


@pytest.fixture
def http_server():
    servers = []

    def start(hang_up: bool):
        handler = type("Handler", (Answering,), {"hang_up": hang_up})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.peers = set()
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_http_calls_share_one_keep_alive_connection(http_server):
    server = http_server(hang_up=False)
    transport = HttpTransport(f"http://127.0.0.1:{server.server_port}/behind/proxy")
    plugin = PluginClient(transport)
    for _ in range(3):
        assert plugin.call("GET", "/info") == {"path": "/behind/proxy/storageplugin/api/info"}
    assert len(server.peers) == 1
    transport.close()


def test_a_connection_the_server_closed_is_not_reused(http_server, monkeypatch):
    server = http_server(hang_up=True)
    plugin = PluginClient(f"http://127.0.0.1:{server.server_port}")
    assert plugin.call("GET", "/info")["path"] == "/storageplugin/api/info"
    assert plugin.call("GET", "/info")["path"] == "/storageplugin/api/info"
    # Even when the hang-up is not seen before sending: the call goes again, once.
    monkeypatch.setattr(transport_module, "_still_open", lambda connection: True)
    assert plugin.call("GET", "/storage")["path"] == "/storageplugin/api/storage"
    assert len(server.peers) == 3


def test_a_server_that_is_not_there_is_an_os_error():
    with pytest.raises(ConnectionRefusedError):
        PluginClient(f"http://127.0.0.1:{free_port()}").info()
    assert not ControlClient(f"http://127.0.0.1:{free_port()}").ready()
    with pytest.raises(ValueError, match="Not an http"):
        PluginClient("ftp://example.com")


# -- endpoints a server may not have yet ----------------------------------------------------------


def test_seeding_and_reading_the_fixture_over_http(client, control):
    """``POST /seed`` and ``GET /fixture`` (skipped on a server without them)."""
    gamma = array_doc("gamma", 3)
    try:
        control.seed({"arrays": [gamma]})
    except NotFound:
        pytest.skip("this server has no POST /mockarray/api/seed")
    plugin = PluginClient(FlaskTransport(client))
    plugin.login("gamma.lab.test", "admin", PASSWORD)
    control.seed(yaml.safe_dump({"arrays": [array_doc("delta", 4)]}), replace=True)
    plugin.login("delta.lab.test", "admin", PASSWORD)
    with pytest.raises(Unauthorized):
        plugin.login("gamma.lab.test", "admin", PASSWORD)
    try:
        fixture = control.fixture()
    except NotFound:
        pytest.skip("this server has no GET /mockarray/api/fixture")
    assert "delta" in str(fixture) and PASSWORD not in str(fixture)


def test_health_says_the_server_is_ready(control):
    assert control.ready()
    try:
        assert control.health()
    except NotFound:
        pytest.skip("this server has no GET /mockarray/api/health")
