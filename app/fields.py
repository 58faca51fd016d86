"""The marshmallow fields both APIs and the fixtures share, and how OpenAPI shows them.

- ``IdString``: an id, an integer in the database and a string on the wire;
- ``WholeNumber``: an integer that refuses fractions and anything its database
  column cannot hold (signed 64 bits, or 32 for an ``Integer`` column);
- ``Boolean``: a flag: a JSON boolean, or the strings ``"true"``/``"false"``;
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
    INT32_MAX,
    INT32_MIN,
    INT64_MAX,
    INT64_MIN,
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
    """An integer; a numeric string is accepted, a fraction (``8443.5``) is not, nor
    a number its database column cannot hold: ``bits`` is 64 (``BigInteger``, the
    default) or 32 (``Integer``)."""

    default_error_messages = {
        "bounds": "Must be a whole number from {low} to {high} (a signed {bits}-bit integer)."
    }

    def __init__(self, *, bits: int = 64, **kwargs):
        if bits not in (32, 64):
            raise ValueError("bits must be 32 or 64")
        self.bits = bits
        self.low, self.high = (INT64_MIN, INT64_MAX) if bits == 64 else (INT32_MIN, INT32_MAX)
        super().__init__(**kwargs)

    def _validated(self, value):
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise self.make_error("invalid", input=value)
        number = super()._validated(value)
        if number is not None and not self.low <= number <= self.high:
            raise self.make_error("bounds", low=self.low, high=self.high, bits=self.bits)
        return number


class Boolean(fields.Boolean):
    """A flag: ``true``/``false``, or the strings ``"true"``/``"false"`` (the spec's
    reading 3); nothing else (not ``1``, ``"yes"``, ``"on"``)."""

    default_error_messages = {"invalid": "Not a valid boolean: send true or false."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value in ("true", "false"):
            return value == "true"
        raise self.make_error("invalid", input=value)


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


def whole_number2properties(_converter, field: ma.fields.Field, ret: dict, **_kwargs) -> dict:
    """The OpenAPI format of a ``WholeNumber``: ``int64`` or ``int32``."""
    if not isinstance(field, WholeNumber) or "format" in ret:
        return {}
    return {"format": f"int{field.bits}"}


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
