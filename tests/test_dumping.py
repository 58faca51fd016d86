"""Compiled dumping (``mockarray.web.dumping``) answers what marshmallow answers.

The whole suite dumps every answer both ways (``verified_dumping`` in
conftest); here, every read of a lab with a bit of everything, and the
cases marshmallow treats specially.
"""

from __future__ import annotations

from types import SimpleNamespace

import marshmallow as ma
import pytest
from marshmallow import fields

from mockarray.fields import IdString
from mockarray.web.dumping import CompiledDumpSchema, DumpMismatch, Inline, compiled_dumper
from tests.support.api import CONTROL


def crawl(api) -> dict[str, object]:
    """Every GET of the plugin API and the control plane on the lab, by path."""
    answers: dict[str, object] = {}

    def get(path: str, *, may_be_missing: bool = False) -> dict:
        response = api.get(path)
        expected = (200, 404) if may_be_missing else (200,)
        assert response.status_code in expected, (path, response.get_json())
        answers[path] = response.get_json()
        return answers[path]

    for path in ("/info", "/storage", "/server"):
        get(path)
    for server in get("/server")["servers"]:
        base = f"/server/{server['id']}"
        get(base)
        get(f"{base}/system")
        get(f"{base}/hostgroup")
        get(f"{base}/remotearray")
        for volume in get(f"{base}/volume")["volumes"]:
            get(f"{base}/volume/{volume['id']}")
            get(f"{base}/volume/{volume['id']}/splitstatus", may_be_missing=True)
            for snapshot in get(f"{base}/volume/{volume['id']}/snapshot")["snapshots"]:
                get(f"{base}/volume/{volume['id']}/snapshot/{snapshot['id']}")
        for kind, key in (("lun", "luns"), ("network", "networks"), ("pool", "pools")):
            for item in get(f"{base}/{kind}")[key]:
                get(f"{base}/{kind}/{item['id']}")
        for host in get(f"{base}/host")["hosts"]:
            get(f"{base}/host/{host['id']}")
            get(f"{base}/host/{host['id']}/lun")
        for group in get(f"{base}/consistencygroup")["consistencyGroups"]:
            get(f"{base}/consistencygroup/{group['id']}")
            get(f"{base}/consistencygroup/{group['id']}/snapshot")
    # The journal grows with every crawl: its oldest entries do not change.
    for path in ("/checkpoints", "/faults", "/clock", "/journal?limit=5"):
        response = api.client.get(f"{CONTROL}{path}")
        assert response.status_code == 200, (path, response.get_json())
        answers[CONTROL + path] = response.get_json()
    return answers


def test_every_read_answers_the_same_compiled_or_not(api, ref, monkeypatch, frozen):
    # The standard lab has a bit of everything; and a clone being split.
    split = api.post(f"/server/0/volume/{ref['clone']}?action=split")
    assert split.status_code == 200, split.get_json()
    compiled = crawl(api)
    assert len(compiled) > 20
    monkeypatch.setattr(CompiledDumpSchema, "compiled_dumping", False)
    assert crawl(api) == compiled


class Hooked(CompiledDumpSchema):
    name = fields.String()

    @ma.post_dump
    def shout(self, data, **_kwargs):
        return {"name": data["name"].upper()}


class Shapes(CompiledDumpSchema):
    class Meta:
        ordered = True

    id = IdString()
    name = fields.String(attribute="title")
    size = fields.Integer(dump_default=0)
    ratio = fields.Float()
    on = fields.Boolean()
    tags = fields.List(fields.String())
    parts = fields.List(fields.Nested(Hooked))
    computed = fields.Function(lambda obj: len(obj.get("tags") or []))
    renamed = fields.String(data_key="otherName", attribute="other")


@pytest.mark.parametrize(
    "obj",
    [
        {"id": 7, "title": "x", "size": 3, "ratio": 1, "on": True, "tags": ["a"], "parts": []},
        {"id": None, "title": None, "ratio": None, "on": None, "tags": None, "parts": None},
        {"parts": [{"name": "p"}], "other": 5},
        {},
    ],
)
def test_the_special_cases_dump_alike(obj):
    schema = Shapes()
    assert schema.dump(obj) == ma.Schema.dump(schema, obj)
    assert schema.dump([obj, obj], many=True) == ma.Schema.dump(schema, [obj, obj], many=True)


def test_a_schema_with_hooks_or_only_dumps_through_marshmallow():
    assert compiled_dumper(Hooked()).__self__.__class__ is Hooked
    assert Hooked().dump({"name": "a"}) == {"name": "A"}
    assert Shapes(only=("id",)).dump({"id": 1, "title": "x"}) == {"id": "1"}


def test_a_compiled_dump_that_disagrees_is_caught(monkeypatch):
    schema = Shapes()
    schema.__dict__["_compiled_dumper"] = lambda obj: {"id": "wrong"}
    with pytest.raises(DumpMismatch, match="Shapes"):
        schema.dump({"id": 1})


class Stats(CompiledDumpSchema):
    size = fields.Integer(attribute="size_bytes")


class Objects(CompiledDumpSchema):
    class Meta:
        ordered = True

    id = IdString()
    name = fields.String(data_key="label")
    stats = Inline(Stats)
    parts = fields.List(fields.Nested(Hooked))
    count = fields.Function(lambda obj: len(obj.parts or []))


@pytest.mark.parametrize(
    "obj",
    [
        SimpleNamespace(id=3, name="n", size_bytes=5, parts=[SimpleNamespace(name="p")]),
        SimpleNamespace(id=None, name=None, size_bytes=None, parts=None),
        # Without some attributes: marshmallow leaves their fields out.
        SimpleNamespace(id=4, parts=[]),
    ],
)
def test_objects_dump_alike_through_the_generated_function(obj):
    schema = Objects()
    assert schema.dump(obj) == ma.Schema.dump(schema, obj)
    assert list(schema.dump(obj)) == list(ma.Schema.dump(schema, obj))
