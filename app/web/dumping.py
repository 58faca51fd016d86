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

from collections.abc import Callable, Mapping
from typing import Any

import marshmallow as ma
from marshmallow import fields

from mockarray.fields import IdString

_MISSING = ma.missing
Dumper = Callable[[Any], dict]


def _plain_conversion(field: fields.Field) -> Callable[[Any], Any] | None:
    """The field's own conversion of a non-None value, for the plain types whose
    ``_serialize`` is known; ``None`` for every other field."""
    kind = type(field)
    if kind is fields.String or kind is IdString:
        return str
    if kind is fields.Integer and not field.as_string:
        return int
    if kind is fields.Float and not field.as_string:
        return float
    return None


def _conversion(field: fields.Field) -> Callable[[Any, Any], Any] | None:
    """``convert(value, obj)`` for one field (``value`` is never missing);
    ``None`` when the value is answered as it is."""
    if isinstance(field, fields.Nested):
        nested = compiled_dumper(field.schema)
        if field.many:
            return lambda value, _obj: None if value is None else [nested(item) for item in value]
        return lambda value, _obj: None if value is None else nested(value)
    if isinstance(field, fields.List):
        inner = _conversion(field.inner) or (lambda value, _obj: value)
        return lambda value, obj: None if value is None else [inner(item, obj) for item in value]
    if type(field)._serialize is fields.Field._serialize:
        return None
    plain = _plain_conversion(field)
    if plain is not None:
        return lambda value, _obj: None if value is None else plain(value)
    serialize = field._serialize
    name = field.name
    return lambda value, obj: serialize(value, name, obj)


class Inline(fields.Nested):
    """A nested JSON object whose fields are attributes of the parent object."""

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        return obj


#: How a field finds its value: an attribute (or item) of the object, the
#: field's own ``get_value`` (an inline object, a dotted path), or none (computed).
_PLAIN, _OWN, _COMPUTED = range(3)


def _generic(schema: ma.Schema) -> Dumper:
    """Any object: a mapping's items, attributes, missing values and their defaults."""
    plan = []
    for name, field in schema.dump_fields.items():
        key = field.data_key or name
        source = field.attribute or name
        if not field._CHECK_ATTRIBUTE:  # e.g. fields.Function: computed from the object
            how = _COMPUTED
        elif type(field).get_value is not fields.Field.get_value or "." in source:
            how = _OWN
        else:
            how = _PLAIN
        plan.append((key, how, source, field, _conversion(field), field.dump_default))

    def dump(obj: Any) -> dict:
        into: dict = {}
        # marshmallow's lookup: an item of a mapping, else an attribute.
        mapping = isinstance(obj, Mapping)
        for key, how, source, field, convert, default in plan:
            if how is _PLAIN:
                value = obj.get(source, _MISSING) if mapping else getattr(obj, source, _MISSING)
            elif how is _COMPUTED:
                into[key] = None if convert is None else convert(None, obj)
                continue
            else:
                value = field.get_value(obj, source)
            if value is _MISSING:
                value = default() if callable(default) else default
                if value is _MISSING:
                    continue
            into[key] = value if convert is None else convert(value, obj)
        return into

    return dump


class _Source:
    """Python source of a dump function for mappings or for objects whose values
    are attributes."""

    def __init__(self, *, mapping: bool) -> None:
        self.mapping = mapping
        self.names: dict[str, Any] = {"_MISSING": _MISSING}
        self.reads: list[str] = []

    def bind(self, value: Any) -> str:
        name = f"_n{len(self.names)}"
        self.names[name] = value
        return name

    def read(self, expression: str) -> str:
        variable = f"v{len(self.reads)}"
        self.reads.append(f"{variable} = {expression}")
        return variable

    def body(self, schema: ma.Schema, obj: str) -> str:
        """A dict display of ``schema``'s fields of ``obj``."""
        items = []
        for name, field in schema.dump_fields.items():
            key = repr(field.data_key or name)
            source = field.attribute or name
            if isinstance(field, Inline):
                items.append(f"{key}: {self.body(field.schema, obj)}")
            elif not field._CHECK_ATTRIBUTE:
                convert = _conversion(field)
                value = "None" if convert is None else f"{self.bind(convert)}(None, {obj})"
                items.append(f"{key}: {value}")
            elif type(field).get_value is not fields.Field.get_value or not source.isidentifier():
                raise _NotPlain
            else:
                lookup = f"{obj}[{source!r}]" if self.mapping else f"{obj}.{source}"
                items.append(f"{key}: {self.value(field, self.read(lookup), obj)}")
        return "{" + ", ".join(items) + "}"

    def value(self, field: fields.Field, variable: str, obj: str) -> str:
        plain = _plain_conversion(field)
        if plain is not None:
            return f"None if {variable} is None else {plain.__name__}({variable})"
        convert = _conversion(field)
        if convert is None:
            return variable
        return f"{self.bind(convert)}({variable}, {obj})"


class _NotPlain(Exception):
    """A schema the generated function does not cover (the generic one does)."""


def _generated(schema: ma.Schema, generic: Dumper, *, mapping: bool) -> Dumper | None:
    """A function that reads every value first, as items of a mapping or attributes
    of an object, then builds the answer in one expression; a value that is
    missing sends the object to ``generic`` (the field's default, or no field,
    as marshmallow does). ``None`` for a schema it does not cover."""
    source = _Source(mapping=mapping)
    try:
        body = source.body(schema, "obj")
    except _NotPlain:
        return None
    missing = "(KeyError, AttributeError)" if mapping else "AttributeError"
    code = "\n".join(
        [
            "def dump(obj):",
            "    try:",
            *(f"        {read}" for read in source.reads or ["pass"]),
            f"    except {missing}:",
            "        return _generic(obj)",
            f"    return {body}",
        ]
    )
    namespace = {**source.names, "_generic": generic}
    exec(compile(code, f"<dump {type(schema).__name__}>", "exec"), namespace)
    return namespace["dump"]


def _compile(schema: ma.Schema) -> Dumper:
    generic = _generic(schema)
    of_mapping = _generated(schema, generic, mapping=True)
    of_object = _generated(schema, generic, mapping=False)
    if of_mapping is None or of_object is None:
        return generic

    def dump(obj: Any) -> dict:
        return of_mapping(obj) if isinstance(obj, Mapping) else of_object(obj)

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
