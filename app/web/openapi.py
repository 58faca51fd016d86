"""What both OpenAPI documents say beyond each view's own decorators, said once.

- Errors: every operation lists the statuses it can answer, each with the one
  error shape (``mockarray.web.errors.ErrorSchema``) and a sentence on when.
  Each API gives its ``ErrorDocs``: a description per status and which
  statuses an operation can answer (by its path, verb, input, view); a view
  adds one of its own with ``ApiBlueprint.refuses``.
- Lists: an operation that reads ``PageQuery`` answers ``X-Total-Count``.
- Fields: ids, sizes and durations come out typed (``mockarray.fields``).
- Operations: each has an ``operationId``, its view's name in camelCase
  (``list_volumes``: ``listVolumes``); its summary and description are the
  view's docstring (first line, then the rest).
- Examples: each API ships the calls recorded on the demo lab
  (``openapi-examples.json`` in its package, re-recorded by
  ``python -m tests.support.openapi_examples``), attached by operationId to
  the request body and the success answers, and an answer of each error
  status to that status's response.
- The document is built once per app and served as built.

There is no generic ``default`` response: what is not listed is not answered.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from copy import deepcopy
from dataclasses import dataclass
from http import HTTPStatus
from importlib.resources import files

import flask_smorest
from apispec import BasePlugin
from flask import Flask, current_app
from flask_smorest.utils import prepare_response

from mockarray.fields import IdString, number_with_unit2properties, whole_number2properties
from mockarray.web.errors import ErrorSchema
from mockarray.web.pagination import TOTAL_HEADER, PageQuery

#: The response header component of ``X-Total-Count``.
TOTAL_COUNT = "TOTAL_COUNT"

BODY_LOCATIONS = frozenset({"json", "form", "files", "json_or_form"})
QUERY_LOCATIONS = frozenset({"query", "querystring"})
READ_METHODS = frozenset({"get", "head", "options"})
#: The file of recorded examples in an API's package.
EXAMPLES_FILE = "openapi-examples.json"

#: Statuses any call of either API may answer for its URL or headers (``mockarray.web.limits``).
REQUEST_SIZE_ERRORS = {
    414: "The URL (path and query) is longer than 8192 bytes.",
    431: "A header field (name, ': ' and value) is longer than 8190 bytes; 'message' names it.",
}


def response_name(status: int) -> str:
    """The response component documenting an error status (``NOT_FOUND``)."""
    return HTTPStatus(status).name


@dataclass(frozen=True)
class Operation:
    """One operation, as far as its error statuses depend on it."""

    method: str
    rule: str
    path_arguments: frozenset[str]
    view: Callable
    takes_query: bool
    takes_body: bool

    @property
    def writes(self) -> bool:
        return self.method not in READ_METHODS


def input_errors(operation: Operation) -> set[int]:
    """The error statuses any operation of either API can answer for its input:
    ``414`` and ``431`` for every one (a URL or a header too long), ``404`` for a
    path with ids, ``400`` for a query or body, ``413`` for a body."""
    statuses = set(REQUEST_SIZE_ERRORS)
    if operation.path_arguments:
        statuses.add(404)
    if operation.takes_query or operation.takes_body:
        statuses.add(400)
    if operation.takes_body:
        statuses.add(413)
    return statuses


@dataclass(frozen=True)
class ErrorDocs:
    """The error statuses of one API: when each is answered, and which operation
    can answer which."""

    descriptions: Mapping[int, str]
    statuses: Callable[[Operation], Iterable[int]]


def operation_id(view: Callable) -> str:
    """The ``operationId`` of a view's operation: its name in camelCase
    (``list_volumes``: ``listVolumes``)."""
    first, *rest = view.__name__.lower().split("_")
    return first + "".join(word.capitalize() for word in rest)


def load_examples(package: str) -> dict:
    """The examples recorded for an API (``EXAMPLES_FILE`` in ``package``): under
    ``operations``, by operationId, ``{"parameters": {name: value}, "request": {name:
    example}, "responses": {status: {name: example}}}``; under ``errors``, one answer
    by error status. Each example is an OpenAPI Example Object. None recorded: none."""
    recorded = files(package).joinpath(EXAMPLES_FILE)
    if not recorded.is_file():
        return {}
    return json.loads(recorded.read_text(encoding="utf-8"))


def _primary_media(content: Mapping) -> dict | None:
    """The media type examples go to: JSON when offered, else the first."""
    if not content:
        return None
    return content.get("application/json") or next(iter(content.values()))


def _reads_first(item: tuple[str, dict]) -> bool:
    return item[0] not in READ_METHODS


class ExamplesPlugin(BasePlugin):
    """Attaches recorded examples (``load_examples``) to each operation by its
    ``operationId``: the request body's, and each success status's answer; and to
    the path's parameters the ids of a recorded call (a read's when there is one)."""

    def __init__(self, examples: Mapping[str, dict]):
        self.examples = examples

    def path_helper(self, path=None, operations=None, parameters=None, **kwargs) -> None:
        recorded = [
            self.examples.get(operation.get("operationId"), {}).get("parameters")
            for _method, operation in sorted((operations or {}).items(), key=_reads_first)
        ]
        arguments = next((found for found in recorded if found), {})
        for parameter in parameters or []:
            if isinstance(parameter, dict) and parameter.get("name") in arguments:
                parameter["example"] = arguments[parameter["name"]]

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for operation in (operations or {}).values():
            recorded = self.examples.get(operation.get("operationId"), {})
            body = operation.get("requestBody")
            if recorded.get("request") and isinstance(body, dict):
                media = _primary_media(body.get("content", {}))
                if media is not None:
                    media["examples"] = deepcopy(recorded["request"])
            responses = operation.get("responses", {})
            for code, response in responses.items():
                # Keyed by number or by string until apispec cleans them up (a view's own
                # doc may give a status both ways): each gets the status's examples.
                examples = recorded.get("responses", {}).get(str(code))
                if examples and isinstance(response, dict):
                    media = _primary_media(response.get("content", {}))
                    if media is not None:
                        media["examples"] = deepcopy(examples)


class PlainSummaries(BasePlugin):
    """An operation's summary is plain text in every viewer (its description is
    Markdown): the docstrings' ``literal`` marks come off it."""

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for operation in (operations or {}).values():
            if isinstance(operation.get("summary"), str):
                operation["summary"] = operation["summary"].replace("``", "")


class Api(flask_smorest.Api):
    """flask-smorest's ``Api``, documenting errors as ``errors`` says, the kit's
    fields, ``X-Total-Count``, operation ids and the recorded ``examples``; its
    document is serialized once."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(
        self, app: Flask, *, errors: ErrorDocs, examples: Mapping[str, dict] | None = None, **kwargs
    ):
        self.errors = errors
        self.error_examples = (examples or {}).get("errors", {})
        self._served: str | None = None
        spec_kwargs = dict(kwargs.pop("spec_kwargs", None) or {})
        operations = (examples or {}).get("operations", {})
        plugins = [
            *spec_kwargs.get("extra_plugins", ()),
            ExamplesPlugin(operations),
            PlainSummaries(),
        ]
        kwargs["spec_kwargs"] = {**spec_kwargs, "extra_plugins": plugins}
        super().__init__(app, **kwargs)
        self._register_fields()
        self.spec.components.header(
            TOTAL_COUNT,
            {
                "description": "How many items the whole list has (limit and start aside).",
                "schema": {"type": "integer", "minimum": 0},
            },
            lazy=True,
        )

    def _register_fields(self) -> None:
        """The OpenAPI types of the shared fields (``mockarray.fields``)."""
        self.register_field(IdString, "string", None)
        # No type of their own: ``number_with_unit2properties`` says what they are.
        self.ma_plugin.converter.add_attribute_function(number_with_unit2properties)
        self.ma_plugin.converter.add_attribute_function(whole_number2properties)

    def _register_responses(self) -> None:
        super()._register_responses()
        # flask-smorest's own (lazy: listed only when used), with our sentence on when.
        for status, description in {**REQUEST_SIZE_ERRORS, **self.errors.descriptions}.items():
            response = {"description": description, "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            example = self.error_examples.get(str(status))
            if example is not None:
                media = response["content"][self.DEFAULT_RESPONSE_CONTENT_TYPE]
                media["examples"] = {"demo": deepcopy(example)}
            self.spec.components.response(response_name(status), response, lazy=True)

    def register_blueprint(self, blp, **options) -> None:
        """flask-smorest's. An API's blueprint that nests one per resource tags each
        operation with its resource (``ApiBlueprint.resource_tags``): the tag
        flask-smorest adds for the API's blueprint itself would tag nothing."""
        super().register_blueprint(blp, **options)
        if blp._blueprints:
            name = options.get("name", blp.name)
            # apispec can add tags, not remove them.
            self.spec._tags = [tag for tag in self.spec._tags if tag["name"] != name]

    def _openapi_json(self):
        """The document, serialized once: it is complete once the app is built."""
        if self._served is None:
            document = self.spec.to_dict()
            self._served = current_app.json.dumps(document, indent=2, sort_keys=False)
        return current_app.response_class(self._served, mimetype="application/json")

    def register_component_schemas(self, schemas: Mapping[str, dict]) -> None:
        """Component schemas a view's document refers to by name (``$ref``), each
        registered once; marshmallow schemas in them become references too."""
        for name, schema in schemas.items():
            if name not in self.spec.components.schemas:
                resolved = self.ma_plugin.resolver.resolve_schema_dict(deepcopy(schema))
                self.spec.components.schema(name, resolved)


def _parameters(info: dict) -> list[dict]:
    return [p for p in info.get("arguments", {}).get("parameters", []) if isinstance(p, Mapping)]


def _declared(info: dict) -> set[int]:
    statuses = set(info.get("arguments", {}).get("responses", {}))
    statuses |= set(info.get("response", {}).get("responses", {}))
    return {int(status) for status in statuses}


def _is_page_query(schema) -> bool:
    return isinstance(schema, PageQuery) or (
        isinstance(schema, type) and issubclass(schema, PageQuery)
    )


def _document_total(info: dict) -> None:
    if not any(
        p["in"] in QUERY_LOCATIONS and _is_page_query(p["schema"]) for p in _parameters(info)
    ):
        return
    responses = info.get("response", {}).get("responses", {})
    for status in info.get("success_status_codes", []):
        for response in responses.get(status, []):
            if isinstance(response, Mapping):
                response.setdefault("headers", {})[TOTAL_HEADER] = TOTAL_COUNT


#: The view attribute naming the component schemas its document refers to.
COMPONENT_SCHEMAS = "_mockarray_component_schemas"


def document_endpoint(api: Api, app: Flask, full_endpoint: str, info: dict) -> None:
    """Complete one endpoint's doc info (``Blueprint._docs[endpoint]``) in place:
    its operationId, error statuses and, on lists, ``X-Total-Count``."""
    rule = next(app.url_map.iter_rules(full_endpoint))
    view = app.view_functions[full_endpoint]
    api.register_component_schemas(getattr(view, COMPONENT_SCHEMAS, {}))
    for method, operation_info in info.items():
        if method == "parameters":
            continue
        _document_total(operation_info)
        locations = {p["in"] for p in _parameters(operation_info)}
        manual = operation_info.setdefault("manual_doc", {})
        manual.setdefault("operationId", operation_id(view))
        operation = Operation(
            method=method,
            rule=rule.rule,
            path_arguments=frozenset(rule.arguments),
            view=view,
            takes_query=bool(locations & QUERY_LOCATIONS)
            or any(p.get("in") == "query" for p in manual.get("parameters", [])),
            takes_body=bool(locations & BODY_LOCATIONS) or "requestBody" in manual,
        )
        declared = _declared(operation_info)
        responses = operation_info.setdefault("response", {}).setdefault("responses", {})
        for status in sorted(set(api.errors.statuses(operation)) - declared):
            responses[status] = [response_name(status)]


def documented(
    docs: dict, api: Api, app: Flask, name: str, *, tags: Mapping[str, str] | None = None
) -> dict:
    """A copy of a blueprint's ``_docs``, completed by ``document_endpoint``; each
    operation of a nested blueprint tagged with ``tags[its name]``."""
    docs = deepcopy(docs)
    for endpoint, info in docs.items():
        document_endpoint(api, app, f"{name}.{endpoint}", info)
        tag = (tags or {}).get(endpoint.split(".")[0])
        for method, operation_info in info.items():
            if tag is not None and method != "parameters":
                operation_info["tags"] = [tag]
    return docs
