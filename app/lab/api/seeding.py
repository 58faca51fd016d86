"""``POST /mockarray/api/seed`` and ``GET /mockarray/api/fixture``: seeding the lab
from a fixture document over HTTP, and the documents seeded so far.

The body is the fixture document, in YAML or JSON: the one route of the control
plane that takes more than JSON (``body_types``; none of the YAML types is one a
web page may send to another site without a CORS preflight). It may be far
larger than other bodies (``MOCKARRAY_MAX_FIXTURE_BYTES``).
"""

from __future__ import annotations

import yaml
from flask import Response, current_app, request
from webargs.flaskparser import abort

from mockarray.errors import Invalid, NotFound
from mockarray.lab.api.schemas import SeededFixtureSchema, SeedQuerySchema, SeedSchema
from mockarray.lab.seeding.loader import YamlDumper, seeded_document
from mockarray.lab.seeding.outcome import seed_fixture
from mockarray.lab.seeding.schema import LabFixtureSchema
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.jsonbody import JsonBodyError, loads
from mockarray.web.media import JSON, YAML, YAML_TYPES, body_types, media_types
from mockarray.web.transaction import db_session

blp = ApiBlueprint(
    "control_seeding", __name__, description="Seed the lab from a fixture document over HTTP."
)

FIXTURE_BODY = {
    "required": True,
    "description": "The fixture document (docs/fixtures.md), as YAML (application/yaml; "
    "application/x-yaml and text/yaml too) or JSON. At most MOCKARRAY_MAX_FIXTURE_BYTES.",
    "content": {JSON: {"schema": LabFixtureSchema}, YAML: {"schema": LabFixtureSchema}},
}


SEEDED_ANSWER = {
    "description": "The seeded fixture documents as one, without passwords: JSON, or YAML "
    "(application/yaml; application/x-yaml and text/yaml too) when Accept prefers it.",
    "content": {JSON: {"schema": SeededFixtureSchema}, YAML: {"schema": SeededFixtureSchema}},
}


def _plain(value: object) -> object:
    """The parsed JSON with plain dicts (the strict parser's objects are a subclass,
    which the YAML writer does not know); 32 levels deep at most."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _fixture_text() -> str:
    """The request body as YAML text, which the loader reads (JSON is YAML's
    subset in spirit, not in every detail: a JSON body is parsed as JSON, strictly)."""
    request.max_content_length = int(current_app.config["MAX_FIXTURE_BYTES"])
    data = request.get_data(cache=False)
    if request.mimetype == JSON:
        try:
            document = loads(data)
        except JsonBodyError as error:
            where = {error.field: [error.reason]} if error.field else [error.reason]
            abort(400, exc=error, messages={"json": where})
        return yaml.dump(_plain(document), Dumper=YamlDumper, sort_keys=False, allow_unicode=True)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Invalid(
            f"The body is not UTF-8 (byte {error.start}); send the YAML document in UTF-8."
        ) from None


@blp.route("/seed", methods=["POST"])
@body_types(JSON, *YAML_TYPES)
@blp.arguments(SeedQuerySchema, location="query")
@blp.doc(requestBody=FIXTURE_BODY)
@blp.response(200, SeedSchema)
def seed_lab(query):
    """Seed the lab from a fixture document (YAML or JSON), all or nothing.

    As ``mockarray seed`` does: every problem is answered at once (``400``, each
    under its place in the document in ``errors``) and nothing is loaded. An
    array whose name, hostname, IP address or serial number the lab already has
    is refused (``409`` when that is the only kind of problem) unless
    ``replace`` empties the lab first. The state seeded is kept for
    ``POST /reset``, which puts it back with its ids.
    """
    return seed_fixture(
        db_session(),
        _fixture_text(),
        query["source"],
        replace=query["replace"],
        if_empty=query["ifEmpty"],
        check=query["check"],
    )


@blp.route("/fixture", methods=["GET"])
@media_types(JSON, *YAML_TYPES)
@blp.response(200, SeededFixtureSchema)
@blp.doc(responses={"200": SEEDED_ANSWER})
@blp.refuses(404)
def get_fixture():
    """The fixture documents seeded so far, without secrets.

    As one document (their arrays in the order seeded), with no password and no
    password hash: JSON, or YAML when the ``Accept`` header prefers it. ``404``
    when nothing was seeded (or ``reset`` with ``empty`` forgot it).
    """
    document = seeded_document(db_session())
    if document is None:
        raise NotFound(
            "Nothing was seeded into this lab (or 'reset' with 'empty' forgot it); "
            "POST /mockarray/api/seed seeds a fixture document."
        )
    mimetype = request.accept_mimetypes.best_match([JSON, *YAML_TYPES]) or JSON
    if mimetype == JSON:
        return current_app.json.response(document)
    text = yaml.dump(document, Dumper=YamlDumper, sort_keys=False, allow_unicode=True)
    return Response(text, mimetype=mimetype)
