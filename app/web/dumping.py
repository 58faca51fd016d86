"""Dumping without marshmallow's per-field overhead, the schemas still in charge.

A schema deriving from ``CompiledDumpSchema`` is turned, once per schema
instance and on first use, into one plain function per field: get the
value, convert it. The conversion is the field's own ``_serialize`` (or the
very same conversion written inline for the plain types: strings, integers,
ids, flags), and nested schemas, inline objects and lists are compiled the
same way, so the schemas keep defining (and documenting) the shape while a
page of 25 volumes costs a fraction of marshmallow's generic walk.

A schema with dump hooks (``pre_dump``/``post_dump``), or dumped with
``only``/``exclude``, takes marshmallow's own path. ``tests/test_dumping.py``
proves both paths answer the same for every response of the API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from marshmallow import fields

from mockarray.fields import IdString

_MISSING = ma.missing
Dumper = Callable[[Any], dict]


def _value_getter(key: str) -> Callable[[Any], Any]:
    # marshmallow's lookup (``utils._get_value_for_key``): an item, else an attribute.
    def get(obj: Any) -> Any:
        if not hasattr(obj, "__getitem__"):
            return getattr(obj, key, _MISSING)
        try:
            return obj[key]
        except (KeyError, IndexError, TypeError, AttributeError):
            return getattr(obj, key, _MISSING)

    return get


def _plain_conversion(field: fields.Field) -> Callable[[Any], Any] | None:
    """The field's own conversion of a non-None value, for the plain types whose
    ``_serialize`` is known; ``None`` for every other field."""
    kind = type(field)
    if kind is fields.String:
        return str
    if kind is IdString:
        return str
    if kind is fields.Integer and not field.as_string:
        return int
    if kind is fields.Float and not field.as_string:
        return float
    return None


def _conversion(field: fields.Field) -> Callable[[Any, Any], Any]:
    """``convert(value, obj)`` for one field (``value`` is never missing)."""
    if isinstance(field, fields.Nested):
        nested = compiled_dumper(field.schema)
        if field.many:
            return lambda value, _obj: None if value is None else [nested(item) for item in value]
        return lambda value, _obj: None if value is None else nested(value)
    if isinstance(field, fields.List):
        inner = _conversion(field.inner)
        return lambda value, obj: None if value is None else [inner(item, obj) for item in value]
    if type(field)._serialize is fields.Field._serialize:
        return lambda value, _obj: value
    plain = _plain_conversion(field)
    if plain is not None:
        return lambda value, _obj: None if value is None else plain(value)
    serialize = field._serialize
    name = field.name
    return lambda value, obj: serialize(value, name, obj)


def _field_dumper(key: str, field: fields.Field) -> Callable[[Any, dict], None]:
    """``dump(obj, into)``: puts the field's value of ``obj`` into ``into``."""
    convert = _conversion(field)
    if not field._CHECK_ATTRIBUTE:  # e.g. fields.Function: computed from the object

        def dump_computed(obj: Any, into: dict) -> None:
            into[key] = convert(None, obj)

        return dump_computed

    if type(field).get_value is not fields.Field.get_value or "." in (field.attribute or ""):
        # A field that finds its value its own way (an inline object), or a dotted path.
        def get(obj: Any) -> Any:
            return field.get_value(obj, field.attribute or field.name)
    else:
        get = _value_getter(field.attribute or field.name)
    default = field.dump_default

    def dump_one(obj: Any, into: dict) -> None:
        value = get(obj)
        if value is _MISSING:
            value = default() if callable(default) else default
            if value is _MISSING:
                return
        into[key] = convert(value, obj)

    return dump_one


def _compile(schema: ma.Schema) -> Dumper:
    dumpers = [
        _field_dumper(field.data_key or name, field) for name, field in schema.dump_fields.items()
    ]

    def dump(obj: Any) -> dict:
        into: dict = {}
        for dump_field in dumpers:
            dump_field(obj, into)
        return into

    return dump


def can_compile(schema: ma.Schema) -> bool:
    """Whether ``schema`` dumps the same through a compiled function."""
    hooks = schema._hooks
    return not (
        hooks[ma.decorators.PRE_DUMP]
        or hooks[ma.decorators.POST_DUMP]
        or schema.only
        or schema.exclude
    )


def compiled_dumper(schema: ma.Schema) -> Dumper:
    """The compiled dump function of ``schema`` (made once per schema instance)."""
    dumper = schema.__dict__.get("_compiled_dumper")
    if dumper is None:
        dumper = _compile(schema) if can_compile(schema) else schema.dump
        schema.__dict__["_compiled_dumper"] = dumper
    return dumper


class DumpMismatch(AssertionError):
    """The compiled dump of an object differs from marshmallow's."""


class CompiledDumpSchema(ma.Schema):
    """A schema whose ``dump`` runs compiled (see the module's docstring)."""

    #: Off: marshmallow's own dumping.
    compiled_dumping = True
    #: On (the test suite): every dump runs both ways and must agree.
    verify_dumping = False

    def dump(self, obj: Any, *, many: bool | None = None):
        if not self.compiled_dumping or not can_compile(self):
            return super().dump(obj, many=many)
        dump_one = compiled_dumper(self)
        if self.many if many is None else many:
            dumped: Any = [dump_one(item) for item in obj]
        else:
            dumped = dump_one(obj)
        if self.verify_dumping:
            expected = super().dump(obj, many=many)
            if dumped != expected or _key_orders(dumped) != _key_orders(expected):
                raise DumpMismatch(
                    f"{type(self).__name__}: compiled {dumped!r} != marshmallow {expected!r}"
                )
        return dumped


def _key_orders(value: Any) -> Any:
    """The keys of every object in ``value``, in order (JSON documents keep it)."""
    if isinstance(value, dict):
        return [(key, _key_orders(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [_key_orders(item) for item in value]
    return None
