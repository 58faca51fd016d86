"""Click parameter types on the parsers the HTTP schemas and fixtures use
(``mockarray.units``): a value means the same on every front. A bare number is
bytes for a size and milliseconds for a duration; units say it more clearly."""

from __future__ import annotations

import click

from mockarray.units import parse_duration_ms, parse_duration_range_ms, parse_size


class _Parsed(click.ParamType):
    parser = staticmethod(lambda value: value)

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value  # a default already converted
        try:
            return self.parser(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


class SizeType(_Parsed):
    """Bytes: ``2GiB``, ``500MB``, ``1048576``."""

    name = "size"
    parser = staticmethod(parse_size)


class DurationType(_Parsed):
    """Milliseconds: ``90s``, ``15m``, ``3d``; a bare number is milliseconds."""

    name = "duration"
    parser = staticmethod(parse_duration_ms)


class DurationRangeType(_Parsed):
    """``(low, high)`` milliseconds: ``500ms``, ``200-800``, ``1s-3s``."""

    name = "range"
    parser = staticmethod(parse_duration_range_ms)


SIZE = SizeType()
DURATION = DurationType()
DURATION_RANGE = DurationRangeType()
