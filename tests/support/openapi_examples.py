"""The examples of both OpenAPI documents, recorded from the demo lab.

Re-record them after changing what a call takes or answers::

    .venv/bin/python -m tests.support.openapi_examples

It builds an app on a throwaway SQLite database, seeds the demo lab (as
``mockarray seed --demo``) with the arrays' clock stopped at ``RECORDED_AT``
(so that a new recording differs only in what is random or measured:
session ids, LUN serial numbers, durations, checkpoint sizes), makes each
call of both APIs once through ``mockarray.client`` in process, then calls
that are refused (one per error status). It writes to
``openapi-examples.json`` in each API's package, by the operationId the
served document gives each operation, the first successful call's path
parameters, request body and answer (each action apart), and the first
answer of each error status. ``mockarray.web.openapi`` attaches them to the
documents; ``tests/test_openapi_docs.py`` checks that they still fit their
schemas, that every operation has them, and that a recording still gives
them.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl

from mockarray import create_app
from mockarray.client import ControlClient, FlaskTransport, PluginClient
from mockarray.client.transport import Response
from mockarray.database import Database
from mockarray.lab.seeding.loader import demo_fixture_text
from mockarray.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_PREFIX = "/storageplugin/api"
CONTROL_PREFIX = "/mockarray/api"
#: Where each API's examples go (the package ``mockarray.web.openapi.load_examples`` reads).
EXAMPLE_FILES = {
    PLUGIN_PREFIX: ROOT / "app" / "plugin" / "openapi-examples.json",
    CONTROL_PREFIX: ROOT / "app" / "lab" / "api" / "openapi-examples.json",
}
#: The moment the arrays' clock stands still at while recording: 2026-01-05 09:00 UTC.
RECORDED_AT = 1_767_603_600_000
DEMO_PASSWORD = "passw0rd"
#: Longer than a URL or a header may be (414, 431), and than a body (413).
TOO_LONG = 9000
TOO_LARGE = 1_100_000
#: Lines of the Prometheus exposition kept as its example.
METRICS_LINES = 12
#: The small fixture ``POST /seed`` is shown with (the demo lab's would fill pages).
SMALL_FIXTURE = {
    "arrays": [
        {
            "name": "charlie",
            "hostname": "charlie.lab.example",
            "ipAddress": "192.0.2.30",
            "username": "admin",
            "password": DEMO_PASSWORD,
            # A small pool, so that the lab can refuse a call for want of space (507).
            "servers": [
                {
                    "pools": [{"name": "pool1", "capacity": "1TiB"}],
                    "volumes": [
                        {
                            "name": "vol1",
                            "size": "600GiB",
                            "used": "200GiB",
                            "thin": False,
                            "snapshots": [{"name": "vol1.daily.1", "age": "1d", "used": "2GiB"}],
                        },
                        {"name": "vol2", "size": "2TiB", "used": "100GiB"},
                    ],
                }
            ],
        }
    ]
}


class Recorder:
    """A transport (``mockarray.client``) that keeps each call it passes on."""

    def __init__(self, inner: FlaskTransport):
        self.inner = inner
        self.calls: list[tuple[str, str, bytes | None, Response]] = []

    def request(self, method, target, *, body, headers):
        response = self.inner.request(method, target, body=body, headers=headers)
        self.calls.append((method, target, body, response))
        return response


def _template_pattern(template: str) -> re.Pattern:
    """A path's pattern, each of its parameters a named group (``{sid}``: ``sid``)."""
    return re.compile(re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$")


class Operations:
    """The operations of the served documents, found by a call's method and path."""

    def __init__(self, documents: list[dict]):
        self.operations = [
            (method.upper(), _template_pattern(path), operation)
            for document in documents
            for path, item in document["paths"].items()
            for method, operation in item.items()
            if method != "parameters"
        ]

    def find(self, method: str, path: str) -> tuple[dict, dict[str, str]]:
        """The operation a call made, and the values of its path's parameters."""
        for known, pattern, operation in self.operations:
            matched = pattern.match(path)
            if known == method and matched:
                return operation, matched.groupdict()
        raise LookupError(f"{method} {path} is no operation of the documents")


def _actions(operation: dict) -> list[str] | None:
    """The actions of an object's ``?action=`` route, in the document's order (else None)."""
    for parameter in operation.get("parameters", []):
        if parameter["name"] == "action" and parameter["in"] == "query":
            return parameter["schema"].get("enum")
    return None


def _in_order(examples: dict, order: list[str]) -> dict:
    return {name: examples[name] for name in sorted(examples, key=order.index)}


def _answer(response: Response) -> object:
    """What an example shows of an answer: its JSON, or its text (the first lines)."""
    if response.header("Content-Type", "").startswith("application/json"):
        return response.json()
    lines = response.body.decode("utf-8").splitlines()
    return "\n".join(lines[:METRICS_LINES]) + "\n"


def _summary(method: str, target: str) -> str:
    """The call, as an example's summary (a target too long to read cut short)."""
    if len(target) > 120:
        target = f"{target[:80]}… ({len(target)} bytes)"
    return f"{method} {target}"


def examples_of(calls, operations: Operations) -> dict[str, dict]:
    """By API prefix: the examples of the first successful call of each operation (and
    action), by operationId (``operations``), and the first answer of each error
    status (``errors``)."""
    found = {prefix: {"operations": {}, "errors": {}} for prefix in EXAMPLE_FILES}
    for method, target, body, response in calls:
        path, _, query = target.partition("?")
        prefix = next(prefix for prefix in EXAMPLE_FILES if path.startswith(prefix))
        status = str(response.status)
        summary = _summary(method, target)
        if response.status >= 400:
            found[prefix]["errors"].setdefault(
                status, {"summary": summary, "value": response.json()}
            )
            continue
        operation, arguments = operations.find(method, path)
        actions = _actions(operation)
        action = dict(parse_qsl(query)).get("action") if actions else None
        name = action or "demo"
        examples = found[prefix]["operations"].setdefault(operation["operationId"], {})
        if arguments:
            examples.setdefault("parameters", arguments)
        if name in examples.get("responses", {}).get(status, {}) or (
            name in examples.get("request", {})
        ):
            continue
        if body:
            examples.setdefault("request", {})[name] = {
                "summary": summary,
                "value": json.loads(body),
            }
        if response.body and response.header("Content-Type", "") != "application/zip":
            examples.setdefault("responses", {}).setdefault(status, {})[name] = {
                "summary": summary,
                "value": _answer(response),
            }
        if actions:
            # As the document lists the actions, whatever order they were called in.
            if "request" in examples:
                examples["request"] = _in_order(examples["request"], actions)
            for answered, answers in examples.get("responses", {}).items():
                examples["responses"][answered] = _in_order(answers, actions)
    return found


def plugin_calls(alpha: PluginClient, find: PluginClient) -> None:
    """Every call of the plugin API, on the demo lab's array alpha (server svm-db).

    ``find`` is a client whose calls are not recorded, to look ids up."""
    alpha.info()
    alpha.login("alpha.lab.example", "admin", DEMO_PASSWORD, port=8443, credentials_in_body=True)
    alpha.storage()
    alpha.servers()
    alpha.server("svm-db")
    alpha.system()

    volumes = find.volumes()
    data = volumes.named("oradb-data")["id"]
    testclone = volumes.named("oradb-data-testclone")["id"]
    sqlprod = volumes.named("sqlprod-data")["id"]
    snapshots = find.snapshots(data)
    daily1 = snapshots.named("oradb-data.daily.1")["id"]
    daily2 = snapshots.named("oradb-data.daily.2")["id"]
    gold = find.pools().named("gold")["id"]

    alpha.volumes(limit=2)
    alpha.volume(data)
    alpha.split_status(testclone)
    alpha.snapshots(data, limit=2)
    alpha.snapshot(data, daily1)
    adhoc = alpha.create_snapshot(data, name="oradb-data.adhoc.1")["id"]
    alpha.call(
        "POST",
        f"/server/svm-db/volume/{data}",
        query={"action": "createSnapshot"},
        body={"name": "oradb-data.adhoc.2", "isAutoDelete": True},
    )
    clone = alpha.clone(data, name="oradb-data-devclone", snapshot_id=daily1)["id"]
    alpha.split(clone)
    home = find.volumes(server="svm-files").named("home")["id"]
    alpha.mount(home, path="/exports/home", server="svm-files")
    sqlprod_hourly = find.snapshots(sqlprod).named("sqlprod-data.hourly.1")["id"]
    alpha.restore(sqlprod, snapshot_id=sqlprod_hourly)
    restored = alpha.restore_to_new(
        data,
        source_snapshot_id=daily2,
        target_volume_name="oradb-data-restored",
        target_pool_ids=[gold],
    )["id"]
    alpha.restore_to_alternate(data, source_snapshot_id=daily1, target_volume_id=restored)

    test_lun = find.luns().named("oradb-test")["id"]
    alpha.luns(limit=2)
    alpha.lun(test_lun)
    alpha.online(test_lun)

    hosts = find.hosts()
    alpha.hosts(limit=2)
    alpha.host(hosts.named("esx-01")["id"])
    alpha.host_luns(hosts.named("oradb-01")["id"])
    esx03 = alpha.create_host(name="esx-03", iqns=["iqn.1998-01.com.vmware:esx-03-4c4c4544"])
    alpha.map(esx03["id"], volume_id=clone, lun_number=5)
    alpha.unmap(esx03["id"], volume_id=clone)
    alpha.host_groups()
    alpha.map_host_group(find.host_groups().named("esx-cluster")["id"], volume_id=restored)

    alpha.networks(limit=2)
    alpha.network(find.networks().named("iscsi-a")["id"])
    alpha.pools()
    alpha.pool(gold)
    alpha.remote_arrays()

    group = find.consistency_groups().named("oradb-cg")["id"]
    alpha.consistency_groups()
    alpha.consistency_group(group)
    alpha.consistency_group_snapshots(group)
    taken = alpha.take_snapshot(group, prefix="oradb-cg.adhoc", replicate=True)["name"]
    replicated = find.snapshots(data).named(taken)["id"]
    alpha.snapshot_progress(data, replicated)
    alpha.add_volume(group, volume_id=sqlprod)
    alpha.remove_volume(group, volume_ids=[sqlprod])
    alpha.condense(group, age_in_days=1, number_of_instances=2, snapshot_prefixes=["oradb-cg"])
    alpha.add_replication_target(group, target_name="bravo")

    alpha.delete_snapshot(data, adhoc)
    scratch = find.restore_to_new(
        data, source_snapshot_id=daily2, target_volume_name="oradb-data-scratch"
    )["id"]
    alpha.delete_volume(scratch)


def control_calls(lab: ControlClient) -> None:
    """Every call of the control plane, on the demo lab (after ``plugin_calls``)."""
    lab.health()
    lab.metrics()
    lab.tasks()  # the split and the replication plugin_calls started, still running
    lab.clock()
    lab.real_time()
    lab.set_clock(speed=60)
    lab.reset_clock()
    # A duration with its unit, as a person would write it.
    lab.call("POST", "/clock/advance", body={"by": "2h"})
    lab.finish_tasks()

    rule = lab.add_fault(
        method="POST",
        path="/server/*/volume/*/snapshot",
        status=503,
        message="The array is busy.",
        times=1,
    )
    lab.faults()
    lab.remove_fault(rule["id"])
    lab.add_fault(path="/server/*/volume", delay_ms=200, delay_max_ms=800)
    lab.clear_faults()

    lab.save_checkpoint("before-test")
    lab.checkpoints()
    lab.restore_checkpoint("before-test")
    lab.delete_checkpoint("before-test")

    lab.journal(method="POST", limit=2)
    lab.journal_count(status=201)
    lab.write("alpha", "oradb-data", "10GiB", server="svm-db", append=True)
    lab.reset()
    lab.clear_journal()
    # Last: a small lab of its own, so that the fixture answered is short.
    lab.reset(empty=True)
    lab.seed(SMALL_FIXTURE, source="charlie.yaml")
    lab.fixture()


def refused_plugin_calls(send: Callable, session: str, find: PluginClient, lab: ControlClient):
    """A plugin call refused with each error status, on the demo lab (``session`` on
    alpha). ``send(method, target, body, headers)`` is recorded; ``find`` and ``lab``
    are not."""
    json_type = {"Content-Type": "application/json", "Accept": "application/json"}
    alpha = {**json_type, "x-storageplugin-sessionid": session}
    server = f"{PLUGIN_PREFIX}/server/svm-db"
    send(
        "POST", f"{PLUGIN_PREFIX}/session", {"hostname": "alpha.lab.example", "port": 0}, json_type
    )
    send("GET", f"{PLUGIN_PREFIX}/storage", None, json_type)  # no session: 401
    send("GET", f"{server}/volume/999", None, alpha)
    mapped = find.volumes().named("oradb-data")["id"]
    send("DELETE", f"{server}/volume/{mapped}", None, alpha)  # 409
    send("POST", f"{server}/host", {"name": "x" * TOO_LARGE}, alpha)  # 413
    send("GET", f"{server}/volume/{'9' * TOO_LONG}", None, alpha)  # 414
    send("GET", f"{PLUGIN_PREFIX}/storage", None, {**alpha, "Accept": "text/html"})  # 415
    send("GET", f"{PLUGIN_PREFIX}/storage", None, {**alpha, "X-Trace": "x" * TOO_LONG})  # 431
    lab.add_fault(path="/storage", status=503, message="The array is busy.", times=1)
    send("GET", f"{PLUGIN_PREFIX}/storage", None, alpha)
    lab.clear_faults()
    # Wrong passwords in a row: after the sixth, logins to bravo wait (429).
    wrong = {**json_type, "Authorization": "Basic " + base64.b64encode(b"admin:wrong").decode()}
    for _ in range(7):
        send("POST", f"{PLUGIN_PREFIX}/session", {"hostname": "bravo.lab.example"}, wrong)


def refused_control_calls(send: Callable, app, charlie: PluginClient) -> None:
    """A control-plane call (and the plugin's 507) refused with each error status it
    can answer on a sound database (all but 503), on the small lab ``charlie``."""
    json_type = {"Content-Type": "application/json", "Accept": "application/json"}
    send("POST", f"{CONTROL_PREFIX}/clock/advance", {"by": "soon"}, json_type)
    app.config["ADMIN_TOKEN"] = "lab-token"
    send("GET", f"{CONTROL_PREFIX}/clock", None, json_type)  # no token: 401
    del app.config["ADMIN_TOKEN"]
    foreign = {**json_type, "Origin": "https://elsewhere.example"}
    send("POST", f"{CONTROL_PREFIX}/clock/finish", None, foreign)  # 403
    send("DELETE", f"{CONTROL_PREFIX}/checkpoints/nightly", None, json_type)
    for _ in range(2):
        send("POST", f"{CONTROL_PREFIX}/checkpoints", {"name": "clean"}, json_type)  # 409
    send("POST", f"{CONTROL_PREFIX}/faults", {"message": "x" * TOO_LARGE}, json_type)
    send("DELETE", f"{CONTROL_PREFIX}/checkpoints/{'x' * TOO_LONG}", None, json_type)  # 414
    send("POST", f"{CONTROL_PREFIX}/clock/finish", None, {"Accept": "application/json"})  # 415
    send("GET", f"{CONTROL_PREFIX}/clock", None, {**json_type, "X-Trace": "x" * TOO_LONG})
    writes = f"{CONTROL_PREFIX}/arrays/charlie/servers/0/volumes/vol2/writes"
    send("POST", writes, {"bytes": "500GiB", "append": True}, json_type)  # 507
    vol1 = charlie.volumes().named("vol1")["id"]
    snapshot = charlie.snapshots(vol1)[0]["id"]
    body = {"sourceSnapshotId": snapshot, "targetVolumeName": "vol1-copy"}
    plugin = {**json_type, "x-storageplugin-sessionid": charlie.session_id}
    volume = f"{PLUGIN_PREFIX}/server/0/volume/{vol1}"
    send("POST", f"{volume}?action=restore-to-new", body, plugin)  # 507


def record(scratch: Path) -> dict[str, dict]:
    """Run both scenarios on a fresh demo lab; the examples by API prefix."""
    url = f"sqlite:///{scratch / 'mockarray.db'}"
    database = Database(url)
    upgrade(database)
    database.dispose()
    app = create_app({"DATABASE_URL": url, "DATA_DIR": str(scratch), "TESTING": True})
    app.extensions["mockarray.db"].clock.time_source = lambda: RECORDED_AT
    try:
        client = app.test_client()
        plain = FlaskTransport(client)
        ControlClient(plain).seed(demo_fixture_text(), source="demo.yaml")
        recorder = Recorder(plain)

        def send(method: str, target: str, body: dict | None, headers: dict) -> None:
            data = json.dumps(body).encode() if body is not None else None
            recorder.request(method, target, body=data, headers=headers)

        find = PluginClient(plain, server="svm-db")
        find.login("alpha.lab.example", "admin", DEMO_PASSWORD)
        alpha = PluginClient(recorder, server="svm-db")
        plugin_calls(alpha, find)
        refused_plugin_calls(send, alpha.session_id, find, ControlClient(plain))
        control_calls(ControlClient(recorder))
        charlie = PluginClient(plain)
        charlie.login("charlie.lab.example", "admin", DEMO_PASSWORD)
        refused_control_calls(send, app, charlie)
        documents = [client.get(f"{prefix}/openapi.json").get_json() for prefix in EXAMPLE_FILES]
        return examples_of(recorder.calls, Operations(documents))
    finally:
        app.extensions["mockarray.db"].dispose()


def write(found: dict[str, dict], echo: Callable[[str], None] = print) -> None:
    for prefix, path in EXAMPLE_FILES.items():
        # Calls that answer no body and take none (DELETE ...) have nothing to show.
        operations = sorted(found[prefix]["operations"].items())
        shown = {
            "operations": {name: examples for name, examples in operations if examples},
            "errors": dict(sorted(found[prefix]["errors"].items())),
        }
        text = json.dumps(shown, indent=2, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
        counts = f"{len(shown['operations'])} operations, {len(shown['errors'])} error statuses"
        echo(f"{path.relative_to(ROOT)}: {counts}")


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        write(record(Path(scratch)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
