"""Answers are written with orjson (``mockarray.web.jsonbody.StrictJSONProvider``),
and with the standard library where orjson cannot: the same JSON either way."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from mockarray.web.jsonbody import StrictJSONProvider


@pytest.fixture
def provider():
    app = Flask(__name__)
    app.json = StrictJSONProvider(app)
    with app.app_context():
        yield app.json  # the provider holds its app weakly: the app lives meanwhile


@pytest.mark.parametrize(
    "document",
    [
        {"volumes": [{"id": "1", "name": "völ-ü 𝄞", "size": 2**62, "ratio": 1.5, "ok": True}]},
        {"nothing": None, "empty": [], "nested": {"a": {"b": [1, 2.25, "x"]}}},
        # What orjson refuses: the standard library writes it.
        {"huge": 2**70},
        {"broken": "\ud800"},
    ],
)
def test_an_answer_reads_back_as_the_document_on_one_line(provider, document):
    response = provider.response(document)
    assert response.mimetype == "application/json"
    body = response.get_data()
    assert body.endswith(b"\n") and body.count(b"\n") == 1
    expected = json.loads(json.dumps(document))
    assert json.loads(body) == expected
    assert list(json.loads(body)) == list(document)
