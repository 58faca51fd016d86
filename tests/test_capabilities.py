"""The server capability flags are spelled once (``mockarray.array.capabilities``)."""

from __future__ import annotations

from sqlalchemy import Boolean

from mockarray.array.capabilities import CAPABILITIES, Group, of_group
from mockarray.array.models import Server
from mockarray.lab.seeding.schema import ServerConfig, ServerSupports
from mockarray.plugin.schemas import ServerConfigSchema, ServerSupportsSchema


def test_every_capability_is_a_boolean_server_column_with_its_default():
    for capability in CAPABILITIES:
        column = Server.__table__.columns[capability.column]
        assert isinstance(column.type, Boolean), capability
        assert column.default.arg is capability.default, capability


def test_every_boolean_flag_column_of_server_is_a_capability():
    flags = {column.name for column in Server.__table__.columns if isinstance(column.type, Boolean)}
    assert flags == {capability.column for capability in CAPABILITIES}


def test_the_api_and_fixture_schemas_carry_the_table_s_flags():
    for group, api, fixture in (
        (Group.SUPPORTS, ServerSupportsSchema, ServerSupports),
        (Group.CONFIG, ServerConfigSchema, ServerConfig),
    ):
        wires = [capability.wire for capability in of_group(group)]
        assert list(api().fields) == wires
        assert list(fixture().fields) == wires
        assert [f.attribute for f in api().fields.values()] == [
            capability.column for capability in of_group(group)
        ]
