"""The OpenAPI documents of both APIs: valid, typed, and saying what each
operation can answer (errors, ``X-Total-Count``, the actions of ``?action=``)."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from mockarray.fields import Age, Duration, IdString, Size
from mockarray.plugin import consistencygroup, host, hostgroup, lun, snapshot, volume
from tests.support.api import CONTROL, PREFIX
from tests.support.checks import ok

VERBS = ("get", "put", "post", "delete", "patch", "head", "options")
PUBLIC = {("get", f"{PREFIX}/info"), ("post", f"{PREFIX}/session")}
#: Control-plane operations anyone may call (no token, any client).
CONTROL_PUBLIC = {("get", f"{CONTROL}/health")}
#: ``GET /health`` answers 503 in its own shape (with the reason), not the error shape.
HEALTH_UNAVAILABLE = ("503", {"$ref": "#/components/schemas/Health"})
ACTIONS = {
    f"{PREFIX}/server/{{sid}}/volume/{{vid}}": volume.volume_actions,
    f"{PREFIX}/server/{{sid}}/volume/{{vid}}/snapshot/{{snid}}": snapshot.snapshot_actions,
    f"{PREFIX}/server/{{sid}}/lun/{{lid}}": lun.lun_actions,
    f"{PREFIX}/server/{{sid}}/host/{{hid}}": host.host_actions,
    f"{PREFIX}/server/{{sid}}/hostgroup/{{gid}}": hostgroup.group_actions,
    f"{PREFIX}/server/{{sid}}/consistencygroup/{{cgid}}": consistencygroup.group_actions,
}


@pytest.fixture(scope="module")
def app(module_app):
    return module_app


@pytest.fixture(scope="module")
def documents(app) -> dict[str, dict]:
    client = app.test_client()
    return {
        "plugin": ok(client.get(f"{PREFIX}/openapi.json")),
        "control": ok(client.get(f"{CONTROL}/openapi.json")),
    }


def operations(document: dict):
    for path, item in document["paths"].items():
        for verb, operation in item.items():
            if verb in VERBS:
                yield path, verb, operation


def resolved(document: dict, thing: dict) -> dict:
    """``thing``, or what its ``$ref`` points at."""
    while "$ref" in thing:
        *_, kind, name = thing["$ref"].split("/")
        thing = document["components"][kind][name]
    return thing


def query_names(operation: dict) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}


@pytest.mark.parametrize("name", ["plugin", "control"])
def test_the_document_is_valid_openapi(documents, name):
    validate(documents[name])


def property_schemas(node, where="#"):
    """Every property schema anywhere in ``node``, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for name, schema in value.items():
                    yield f"{where}/properties/{name}", schema
            yield from property_schemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from property_schemas(value, f"{where}/{index}")


TYPED = {"type", "$ref", "oneOf", "anyOf", "allOf"}


@pytest.mark.parametrize("name", ["plugin", "control"])
def test_every_property_has_a_type(documents, name):
    untyped = [
        where for where, schema in property_schemas(documents[name]) if not TYPED & set(schema)
    ]
    assert not untyped, untyped
    for path, verb, operation in operations(documents[name]):
        for parameter in operation.get("parameters", []):
            assert TYPED & set(parameter["schema"]), (verb, path, parameter)


def test_ids_sizes_and_durations_are_typed(documents):
    plugin = documents["plugin"]["components"]["schemas"]
    assert plugin["Volume"]["properties"]["id"] == {"type": "string"}
    assert plugin["RestoreToNew"]["properties"]["targetPoolIds"]["items"] == {"type": "string"}
    control = documents["control"]["components"]["schemas"]
    size = control["WriteRequest"]["properties"]["bytes"]
    duration = control["Advance"]["properties"]["by"]
    for schema, good, bad in ((size, "500GiB", "3x"), (duration, "90s", "5GiB")):
        integer, text = schema["oneOf"]
        assert integer["type"] == "integer" and text["type"] == "string"
        assert re.match(text["pattern"], good) and not re.match(text["pattern"], bad)


def test_sizes_and_durations_answer_plain_integers():
    assert Size().serialize("x", {"x": 2**30}) == 2**30
    assert Duration().deserialize("15m") == 900_000
    assert Age().deserialize("500") == 500
    assert Size().deserialize("1.5KiB") == 1536
    assert IdString().serialize("x", {"x": 7}) == "7"


@pytest.mark.parametrize("name", ["plugin", "control"])
def test_every_list_documents_x_total_count(documents, name):
    lists = [
        (path, operation)
        for path, verb, operation in operations(documents[name])
        if verb == "get" and {"limit", "start"} <= query_names(operation)
    ]
    assert len(lists) >= (12 if name == "plugin" else 1)
    for path, operation in lists:
        answer = resolved(documents[name], operation["responses"]["200"])
        header = resolved(documents[name], answer.get("headers", {}).get("X-Total-Count", {}))
        assert header.get("schema", {}).get("type") == "integer", path


def error_statuses(document: dict, operation: dict) -> set[int]:
    """The error statuses an operation documents, each checked to have the one shape."""
    statuses = set()
    for code, response in operation["responses"].items():
        assert code != "default"
        if int(code) < 400:
            continue
        response = resolved(document, response)
        assert response["description"]
        schema = response["content"]["application/json"]["schema"]
        if (code, schema) != HEALTH_UNAVAILABLE:
            assert schema == {"$ref": "#/components/schemas/Error"}, (code, schema)
        statuses.add(int(code))
    return statuses


def test_the_error_shape_is_documented(documents):
    for document in documents.values():
        error = document["components"]["schemas"]["Error"]
        assert set(error["properties"]) == {"code", "status", "message", "errors"}
        assert error["properties"]["errors"]["additionalProperties"]["type"] == "array"


@pytest.mark.parametrize("name", ["plugin", "control"])
def test_every_operation_documents_the_errors_it_can_answer(documents, name):
    document = documents[name]
    for path, verb, operation in operations(document):
        statuses = error_statuses(document, operation)
        expected = {414, 415, 431, 503}  # 414, 431: a URL or a header too long
        if name == "control":
            if (verb, path) not in CONTROL_PUBLIC:
                expected |= {401, 403}
        elif (verb, path) not in PUBLIC or verb == "post":
            expected.add(401)  # POST /session: wrong credentials
        if "{" in path:
            expected.add(404)
        if query_names(operation) or "requestBody" in operation:
            expected |= {400}
        if "requestBody" in operation:
            expected |= {413}
        if verb != "get" and (verb, path) not in PUBLIC:
            expected.add(409)
        assert expected <= statuses, (verb, path, sorted(expected - statuses))


def test_calls_that_need_space_document_507(documents):
    paths = documents["plugin"]["paths"]
    assert "507" in paths[f"{PREFIX}/server/{{sid}}/volume/{{vid}}/snapshot"]["post"]["responses"]
    for path in (
        f"{PREFIX}/server/{{sid}}/volume/{{vid}}",
        f"{PREFIX}/server/{{sid}}/consistencygroup/{{cgid}}",
    ):
        assert "507" in paths[path]["post"]["responses"], path
    assert "507" not in paths[f"{PREFIX}/server/{{sid}}/lun/{{lid}}"]["post"]["responses"]
    writes = documents["control"]["paths"][
        f"{CONTROL}/arrays/{{array}}/servers/{{sid}}/volumes/{{vid}}/writes"
    ]
    assert "507" in writes["post"]["responses"]


def test_every_action_route_lists_its_actions(documents):
    document = documents["plugin"]
    routes = {
        path: operation
        for path, verb, operation in operations(document)
        if verb == "post" and "action" in query_names(operation)
    }
    assert set(routes) == set(ACTIONS)
    for path, operation in routes.items():
        actions = ACTIONS[path].actions.values()
        names = [action.name for action in actions]
        (parameter,) = [p for p in operation["parameters"] if p["name"] == "action"]
        assert parameter["required"] and parameter["schema"]["enum"] == names, path
        assert all(name in operation["summary"] for name in names)
        # Each action's body is there: a named schema, titled with the action.
        with_body = [action for action in actions if action.body is not None]
        if with_body:
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            bodies = by_action(document, schema["anyOf"], "Body")
            assert set(bodies) == {action.name for action in with_body}, path
            for action in with_body:
                component = resolved(document, bodies[action.name]["allOf"][0])
                assert set(component["properties"]) == set(action.body().fields), action.name
        else:
            assert "requestBody" not in operation
        # Each action's success status, with its answer, or no content when it has none.
        for action in actions:
            answer = operation["responses"][str(action.status)]
            assert action.name in answer["description"], (path, action.name)
            if all(a.response is None for a in actions if a.status == action.status):
                assert "content" not in answer, (path, action.name)
            elif action.response is not None:
                schema = answer["content"]["application/json"]["schema"]
                if "anyOf" in schema:
                    schema = by_action(document, schema["anyOf"], "Answer")[action.name]
                    schema = schema["allOf"][0]
                fields = set(resolved(document, schema)["properties"])
                assert fields == set(action.response().fields), (path, action.name)


def by_action(document: dict, entries: list[dict], kind: str) -> dict[str, dict]:
    """The named schemas of ``entries`` (``$ref`` each) by the action each says it is
    for, checked to be titled with it."""
    found = {}
    for entry in entries:
        name = entry["$ref"].rsplit("/", 1)[1]
        assert name.endswith(kind), name
        schema = document["components"]["schemas"][name]
        assert schema["title"] == f"{kind} of action={schema['x-action']}", schema
        found[schema["x-action"]] = schema
    return found
