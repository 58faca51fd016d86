"""The marshmallow fields both APIs and the fixtures share, and how OpenAPI shows them.

- ``IdString``: an id, an integer in the database and a string on the wire;
- ``WholeNumber``: an integer that refuses fractions;
- ``Size``: bytes, ``Duration`` and ``Age``: milliseconds. Input may write
  them with a unit (``500GiB``, ``90s``, ``3d``; ``mockarray.units``), an
  answer is always a plain integer.

``number_with_unit2properties`` is their OpenAPI type for apispec (the web kit
registers it, ``mockarray.web.openapi``), so no property is the untyped ``{}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import marshmallow as ma
from marshmallow import fields

from mockarray.units import (
    DURATION_HELP,
    DURATION_PATTERN,
    SIZE_HELP,
    SIZE_PATTERN,
    parse_duration_ms,
    parse_size,
)


class IdString(fields.Field):
    """An id: an integer in the database, a string on the wire (numbers accepted)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ma.ValidationError("Not a valid id: expected a string.")
        text = str(value).strip()
        if not text:
            raise ma.ValidationError("Must not be empty.")
        return text


class WholeNumber(fields.Integer):
    """An integer; a numeric string is accepted, a fraction (``8443.5``) is not."""

    def _validated(self, value):
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class NumberWithUnit(fields.Field):
    """An integer that input may also write as a string with a unit; answered as
    a plain integer."""

    #: What the integer counts ("bytes", "milliseconds").
    unit: ClassVar[str]
    #: What input may be, in words (for error messages and the documents).
    help: ClassVar[str]
    #: The strings input may be (ECMA-262, as JSON Schema wants it).
    pattern: ClassVar[str]
    parse: ClassVar[Callable[[object], int]]

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else int(value)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return type(self).parse(value)
        except ValueError as error:
            raise ma.ValidationError(str(error)) from None


class Size(NumberWithUnit):
    """Bytes: an integer or a string with a unit (``500GiB``, ``1.5TB``)."""

    unit = "bytes"
    help = SIZE_HELP
    pattern = SIZE_PATTERN
    parse = staticmethod(parse_size)


class Duration(NumberWithUnit):
    """Milliseconds: ``250ms``, ``90s``, ``15m``, ``6h``, ``3d``, ``2w``; a bare
    number, string or not, is milliseconds."""

    unit = "milliseconds"
    help = DURATION_HELP
    pattern = DURATION_PATTERN
    parse = staticmethod(parse_duration_ms)


class Age(Duration):
    """How long ago something was created (``3d``, ``6h``), in milliseconds."""


def number_with_unit2properties(_converter, field: ma.fields.Field, ret: dict, **_kwargs) -> dict:
    """The OpenAPI schema of a ``NumberWithUnit``: an integer, or on input also a
    string with a unit."""
    if not isinstance(field, NumberWithUnit):
        return {}
    integer = {"type": "integer", "format": "int64", "minimum": 0}
    if field.dump_only:
        properties: dict = dict(integer)
    else:
        properties = {"oneOf": [integer, {"type": "string", "pattern": field.pattern}]}
    if "description" not in ret:
        properties["description"] = f"In {field.unit}; input may be {field.help}."
    return properties
