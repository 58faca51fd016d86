"""Property-based fuzzing of both OpenAPI documents (schemathesis, in process).

Every operation of the plugin API and of the control plane is called with
bodies and parameters generated from its own document: no answer may be a
5xx, and every answer must be one the document lists, in the shape it gives.
Bounded (a few examples per operation) so that it runs in seconds.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.support.api import SESSION_HEADER

EXAMPLES = 6
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


#: What is checked of each answer: never a 5xx; a status, a content type, headers
#: and a body the document lists. (Not that every document-valid body is
#: accepted: an object's ``?action=`` route documents all its actions' bodies
#: at once, and the ``action`` parameter picks which one applies.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


def _call(headers: dict[str, str]):
    def call(case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    return call


def fuzz(app, document: str, headers: dict[str, str]) -> list[str]:
    """Each operation of ``document`` fuzzed; the failures, one line each."""
    schema = schemathesis.openapi.from_wsgi(document, app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        check = FUZZ(given(case=operation.as_strategy())(_call(headers)))
        try:
            check()
        except Exception as error:
            failures.append(f"{operation.method.upper()} {operation.path}: {error}"[:2000])
    return failures


def test_the_plugin_api_answers_what_its_document_says(app, api):
    failures = fuzz(app, "/storageplugin/api/openapi.json", {SESSION_HEADER: api.session_id})
    assert not failures, "\n\n".join(failures)


def test_the_control_plane_answers_what_its_document_says(app, lab):
    lab.standard()
    failures = fuzz(app, "/mockarray/api/openapi.json", {"Content-Type": "application/json"})
    assert not failures, "\n\n".join(failures)
