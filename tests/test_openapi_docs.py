"""The OpenAPI documents as something to read and generate code from: every
operation named (a unique ``operationId``), summarized and described, with
examples recorded from the demo lab that still fit their schemas, and each
``?action=`` value described.

(That both documents are valid OpenAPI and list the error statuses each call
can answer is ``test_openapi.py``.)"""

from __future__ import annotations

import json
import re
from copy import deepcopy

import pytest
from openapi_schema_validator import OAS30Validator

from mockarray.web.openapi import EXAMPLES_FILE, load_examples
from tests.support import openapi_examples
from tests.support.api import CONTROL, PREFIX
from tests.support.checks import ok

VERBS = ("get", "put", "post", "delete", "patch")
DOCUMENTS = {"plugin": f"{PREFIX}/openapi.json", "control": f"{CONTROL}/openapi.json"}
PACKAGES = {"plugin": "mockarray.plugin", "control": "mockarray.lab.api"}
PREFIXES = {"plugin": PREFIX, "control": CONTROL}
#: Answers an example cannot show (``GET /log``'s zip).
BINARY = {"application/zip"}
#: Error statuses the recording cannot provoke: the control plane's 503 needs its
#: database down (the plugin API's comes from a fault rule).
UNRECORDED_ERRORS = {"control": {"503"}}


@pytest.fixture(scope="module")
def app(module_app):
    return module_app


@pytest.fixture(scope="module")
def documents(app) -> dict[str, dict]:
    client = app.test_client()
    return {name: ok(client.get(url)) for name, url in DOCUMENTS.items()}


def operations(document: dict):
    for path, item in document["paths"].items():
        for verb, operation in item.items():
            if verb in VERBS:
                yield path, verb, operation


def actions_of(operation: dict) -> list[str]:
    """The actions of an object's ``?action=`` route (none for another operation)."""
    for parameter in operation.get("parameters", []):
        if parameter["name"] == "action" and "enum" in parameter["schema"]:
            return parameter["schema"]["enum"]
    return []


def component(document: dict, ref: dict) -> dict:
    return document["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def per_action(document: dict, schema: dict) -> dict[str, dict]:
    """The schema of each action in an ``anyOf`` of named ones (``x-action``)."""
    return {
        component(document, entry)["x-action"]: entry
        for entry in schema.get("anyOf", [])
        if "$ref" in entry
    }


def success_answers(operation: dict):
    """Each success status with a body: status, media type and its object."""
    for status, response in operation["responses"].items():
        if int(status) < 300 and "content" in response:
            media_type, media = next(iter(response["content"].items()))
            yield status, media_type, media


# -- names, summaries, descriptions ---------------------------------------------------


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_operation_has_a_unique_id_a_summary_and_a_description(documents, name):
    seen: dict[str, str] = {}
    for path, verb, operation in operations(documents[name]):
        where = f"{verb.upper()} {path}"
        operation_id = operation.get("operationId", "")
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)+", operation_id), (where, operation_id)
        assert operation_id not in seen, (where, seen.get(operation_id))
        seen[operation_id] = where
        summary, description = operation.get("summary", ""), operation.get("description", "")
        assert summary and "\n" not in summary and "``" not in summary, (where, summary)
        assert len(description) > 60 and description != summary, (where, description)
    assert len(seen) >= (36 if name == "plugin" else 23)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_operations_are_grouped_by_resource_each_described(documents, name):
    document = documents[name]
    declared = {tag["name"]: tag["description"] for tag in document["tags"]}
    assert all(declared.values()), declared
    used = set()
    for path, verb, operation in operations(document):
        (tag,) = operation["tags"]
        assert tag in declared, (verb, path, tag)
        used.add(tag)
    assert used == set(declared)
    assert {"volume", "snapshot", "checkpoints", "faults"} & used


def test_operation_ids_say_what_the_call_does(documents):
    plugin = {
        (verb, path.removeprefix(PREFIX)): operation["operationId"]
        for path, verb, operation in operations(documents["plugin"])
    }
    assert plugin[("get", "/server/{sid}/volume")] == "listVolumes"
    assert plugin[("post", "/server/{sid}/volume/{vid}")] == "runVolumeAction"
    assert plugin[("delete", "/server/{sid}/volume/{vid}/snapshot/{snid}")] == "deleteSnapshot"
    control = {
        (verb, path.removeprefix(CONTROL)): operation["operationId"]
        for path, verb, operation in operations(documents["control"])
    }
    assert control[("post", "/seed")] == "seedLab"
    assert control[("post", "/clock/real-time")] == "setClockToRealTime"


def test_each_action_is_described_and_has_its_own_named_body(documents):
    document = documents["plugin"]
    routes = [(path, op) for path, _, op in operations(document) if actions_of(op)]
    assert len(routes) == 6
    for path, operation in routes:
        names = actions_of(operation)
        (parameter,) = [p for p in operation["parameters"] if p["name"] == "action"]
        described = parameter["schema"]["x-enumDescriptions"]
        assert list(described) == names and all(described.values()), path
        assert all(f"`{name}`" in parameter["description"] for name in names), path
        assert all(f"`{name}`" in operation["description"] for name in names), path
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        for action, ref in per_action(document, body["schema"] if body else {}).items():
            named = component(document, ref)
            assert named["title"] == f"Body of action={action}", named
            assert ref["$ref"].endswith("Body") and action in names
            # No discriminator: nothing in a body names its action.
            assert "discriminator" not in body["schema"]


# -- examples -------------------------------------------------------------------------


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_operation_shows_examples_of_its_body_and_its_answers(documents, name):
    document = documents[name]
    missing = []
    for path, verb, operation in operations(document):
        where = f"{verb.upper()} {path}"
        actions = actions_of(operation)
        body = operation.get("requestBody", {}).get("content", {})
        if body:
            media = body.get("application/json") or next(iter(body.values()))
            shown = set(media.get("examples", {}))
            # An action route: one example per action that takes a body.
            wanted = set(per_action(document, media["schema"])) if actions else {"demo"}
            missing += [f"{where} body {name}" for name in sorted(wanted - shown)]
        for status, media_type, media in success_answers(operation):
            if media_type in BINARY:
                continue
            shown = set(media.get("examples", {}))
            wanted = answering(operation["responses"][status]) if actions else {"demo"}
            missing += [f"{where} {status} {name}" for name in sorted(wanted - shown)]
    assert not missing, missing


def answering(response: dict) -> set[str]:
    """The actions that answer a status with a body, as its description says
    (``clone: Volume; mount: Mount``; ``no body`` for none)."""
    parts = [part.split(": ") for part in response["description"].split("; ")]
    return {action for action, answer in parts if answer != "no body"}


def strict(schema: dict) -> dict:
    """``schema`` with no property beyond those it names, at any depth: an example with
    a field the schema lost no longer fits."""
    schema = deepcopy(schema)

    def close(node):
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(schema)
    return schema


def fits(document: dict, schema: dict, value) -> list[str]:
    """What is wrong with ``value`` for ``schema`` (references into ``document``)."""
    # The references are '#/components/...': the schema's root carries the components.
    root = {"allOf": [schema], "components": strict(document["components"])}
    validator = OAS30Validator(root)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)
    ]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_examples_fit_the_schemas(documents, name):
    document = documents[name]
    wrong = []
    for path, verb, operation in operations(document):
        where = f"{verb.upper()} {path}"
        bodies = operation.get("requestBody", {}).get("content", {})
        answers = [(s, m) for s, _, m in success_answers(operation)]
        for what, media in [("body", m) for m in bodies.values()] + answers:
            by_action = per_action(document, media["schema"])
            for example_name, example in media.get("examples", {}).items():
                # An action's example fits that action's own schema, not just any of them.
                schema = by_action.get(example_name, media["schema"])
                for problem in fits(document, schema, example["value"]):
                    wrong.append(f"{where} {what} {example_name}: {problem}")
    assert not wrong, wrong


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_path_parameter_has_an_id_of_the_demo_lab_as_example(documents, name):
    """So that "try it out" in a document viewer starts from a call that works."""
    for path, item in documents[name]["paths"].items():
        for parameter in item.get("parameters", []):
            assert parameter["in"] == "path", (path, parameter)
            assert isinstance(parameter.get("example"), str), (path, parameter)
    volume = documents["plugin"]["paths"][f"{PREFIX}/server/{{sid}}/volume/{{vid}}"]
    assert [p["example"] for p in volume["parameters"]] == ["svm-db", "1"]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_error_status_shows_an_answer_in_the_error_shape(documents, name):
    document = documents[name]
    errors = document["components"]["responses"]
    shown = {}
    for component, response in errors.items():
        (media,) = response["content"].values()
        for example in media.get("examples", {}).values():
            assert not fits(document, media["schema"], example["value"]), (component, example)
            shown[str(example["value"]["code"])] = component
    statuses = {
        status
        for _, _, operation in operations(document)
        for status, response in operation["responses"].items()
        if int(status) >= 400 and "$ref" in response
    }
    assert statuses - set(shown) == UNRECORDED_ERRORS.get(name, set())
    # Each example is the answer of its own status.
    for status, component in shown.items():
        assert {"$ref": f"#/components/responses/{component}"} in [
            operation["responses"].get(status) for _, _, operation in operations(document)
        ]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_recorded_example_belongs_to_an_operation_of_the_document(documents, name):
    """A renamed operation, action or status leaves no example behind: re-record."""
    document = documents[name]
    by_id = {op["operationId"]: op for _, _, op in operations(document)}
    recorded = load_examples(PACKAGES[name])
    assert recorded, f"no {EXAMPLES_FILE} in {PACKAGES[name]}"
    for operation_id, examples in recorded["operations"].items():
        assert operation_id in by_id, operation_id
        operation = by_id[operation_id]
        names = set(actions_of(operation)) or {"demo"}
        assert set(examples.get("request", {})) <= names, operation_id
        for status, shown in examples.get("responses", {}).items():
            assert status in operation["responses"], (operation_id, status)
            assert set(shown) <= names, (operation_id, status)


def shape(examples: dict) -> dict:
    """Which examples there are (operation, request or status, name; error statuses),
    not their values."""
    operations = {
        operation_id: {
            "parameters": sorted(shown.get("parameters", {})),
            "request": sorted(shown.get("request", {})),
            "responses": {
                status: sorted(names) for status, names in shown.get("responses", {}).items()
            },
        }
        for operation_id, shown in examples["operations"].items()
        if shown
    }
    return {"operations": operations, "errors": sorted(examples["errors"])}


def test_the_recording_still_runs_and_gives_the_examples_shipped(tmp_path):
    """The scenario of ``tests/support/openapi_examples.py`` still calls every
    operation successfully, and the shipped files hold what it records."""
    recorded = openapi_examples.record(tmp_path)
    for name, package in PACKAGES.items():
        assert shape(recorded[PREFIXES[name]]) == shape(load_examples(package)), (
            f"{package}'s {EXAMPLES_FILE} is not what a recording gives: "
            "re-record with python -m tests.support.openapi_examples"
        )


def test_the_document_is_built_once_and_served_as_built(app, monkeypatch):
    client = app.test_client()
    first = client.get(DOCUMENTS["plugin"]).get_data()
    api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]

    def rebuilt():
        raise AssertionError("the document was built again")

    monkeypatch.setattr(api.spec, "to_dict", rebuilt)
    assert client.get(DOCUMENTS["plugin"]).get_data() == first
    assert json.loads(first)["paths"]
