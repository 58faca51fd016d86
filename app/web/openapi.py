"""What both OpenAPI documents say beyond each view's own decorators, said once.

- Errors: every operation lists the statuses it can answer, each with the one
  error shape (``mockarray.web.errors.ErrorSchema``) and a sentence on when.
  Each API gives its ``ErrorDocs``: a description per status and which
  statuses an operation can answer (by its path, verb, input, view); a view
  adds one of its own with ``ApiBlueprint.refuses``.
- Lists: an operation that reads ``PageQuery`` answers ``X-Total-Count``.
- Fields: ids, sizes and durations come out typed (``mockarray.fields``).

There is no generic ``default`` response: what is not listed is not answered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from copy import deepcopy
from dataclasses import dataclass
from http import HTTPStatus

import flask_smorest
from flask import Flask
from flask_smorest.utils import prepare_response

from mockarray.fields import IdString, number_with_unit2properties, whole_number2properties
from mockarray.web.errors import ErrorSchema
from mockarray.web.pagination import TOTAL_HEADER, PageQuery

#: The response header component of ``X-Total-Count``.
TOTAL_COUNT = "TOTAL_COUNT"

BODY_LOCATIONS = frozenset({"json", "form", "files", "json_or_form"})
QUERY_LOCATIONS = frozenset({"query", "querystring"})
READ_METHODS = frozenset({"get", "head", "options"})


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
    ``404`` for a path with ids, ``400`` for a query or body, ``413`` for a body."""
    statuses = set()
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


class Api(flask_smorest.Api):
    """flask-smorest's ``Api``, documenting errors as ``errors`` says, the kit's
    fields, and ``X-Total-Count``."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, app: Flask, *, errors: ErrorDocs, **kwargs):
        self.errors = errors
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
        for status, description in self.errors.descriptions.items():
            response = {"description": description, "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(response_name(status), response, lazy=True)


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


def document_endpoint(api: Api, app: Flask, full_endpoint: str, info: dict) -> None:
    """Complete one endpoint's doc info (``Blueprint._docs[endpoint]``) in place:
    its error statuses and, on lists, ``X-Total-Count``."""
    rule = next(app.url_map.iter_rules(full_endpoint))
    view = app.view_functions[full_endpoint]
    for method, operation_info in info.items():
        if method == "parameters":
            continue
        _document_total(operation_info)
        locations = {p["in"] for p in _parameters(operation_info)}
        manual = operation_info.get("manual_doc", {})
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


def documented(docs: dict, api: Api, app: Flask, name: str) -> dict:
    """A copy of a blueprint's ``_docs``, completed by ``document_endpoint``."""
    docs = deepcopy(docs)
    for endpoint, info in docs.items():
        document_endpoint(api, app, f"{name}.{endpoint}", info)
    return docs
