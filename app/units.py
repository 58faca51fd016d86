"""Sizes, durations and ranges as people write them: ``500GiB``, ``1.5TB``, ``3d``,
``200-800``.

One parser each, shared by the HTTP schemas, the fixtures and the command line
(``mockarray.cli.types``). A bare number is bytes for a size and
**milliseconds** for a duration, everywhere; units (``90s``, ``15m``, ``3d``)
say it more clearly.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "pb": 10**15,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
    "pib": 2**50,
    "k": 2**10,
    "m": 2**20,
    "g": 2**30,
    "t": 2**40,
    "p": 2**50,
}
_DURATION_UNITS = {
    "ms": 1,
    "s": 1000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 604_800_000,
}
#: What the database's integer columns hold: ``BigInteger`` (sizes, times) and ``Integer``.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

#: The simulated clock's speed factor (``PUT /mockarray/api/clock``, ``mockarray clock
#: speed``): long tasks run from a thousand times slower to a million times faster.
SPEED_MIN, SPEED_MAX = 0.001, 1_000_000.0

_NUMBER_WITH_UNIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")

SIZE_HELP = "a byte count or a number with a unit (500GiB, 1.5TB, 64MiB)"
DURATION_HELP = "a duration such as 90s, 15m, 6h, 3d or 2w (a bare number is milliseconds)"
RANGE_HELP = "a duration or a range of two (500ms, 200-800, 1s-3s; bare numbers are milliseconds)"


def _pattern(units) -> str:
    """An ECMA-262 regular expression (JSON Schema's) for what ``_scaled`` reads;
    units match in any case."""
    spelled = sorted(
        ("".join(f"[{c.lower()}{c.upper()}]" for c in unit) for unit in units if unit),
        key=len,
        reverse=True,
    )
    return rf"^\s*\d+(\.\d+)?\s*({'|'.join(spelled)})?\s*$"


SIZE_PATTERN = _pattern(_SIZE_UNITS)
DURATION_PATTERN = _pattern(_DURATION_UNITS)


def parse_size(value: object) -> int:
    """Bytes from an integer or a string with a decimal (KB) or binary (KiB) unit."""
    if isinstance(value, bool):
        raise ValueError(f"Not a size: expected {SIZE_HELP}.")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("A size cannot be negative.")
        return _bounded(value, "size", "bytes")
    return _bounded(_scaled(value, _SIZE_UNITS, SIZE_HELP), "size", "bytes")


def parse_duration_ms(value: object) -> int:
    """Milliseconds from ``250ms``, ``90s``, ``15m``, ``6h``, ``3d``, ``2w``; a bare
    number (``500`` or ``"500"``) is milliseconds."""
    if isinstance(value, bool):
        raise ValueError(f"Not a duration: expected {DURATION_HELP}.")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("A duration cannot be negative.")
        return _bounded(value, "duration", "milliseconds")
    return _bounded(
        _scaled(value, {"": 1, **_DURATION_UNITS}, DURATION_HELP), "duration", "milliseconds"
    )


def parse_duration_range_ms(value: object) -> tuple[int, int]:
    """``(low, high)`` milliseconds from one duration (``500``, ``2s``: both ends the
    same) or two joined by a dash (``200-800``, ``1s-3s``). Whether low is above high
    is for the caller to judge (and to say in its own words)."""
    if isinstance(value, int) and not isinstance(value, bool):
        one = parse_duration_ms(value)
        return (one, one)
    if not isinstance(value, str):
        raise ValueError(f"Not understood: {value!r}; expected {RANGE_HELP}.")
    low_text, dash, high_text = value.partition("-")
    try:
        low = parse_duration_ms(low_text)
        high = parse_duration_ms(high_text) if dash else low
    except ValueError:
        raise ValueError(f"Not understood: {value!r}; expected {RANGE_HELP}.") from None
    return (low, high)


def _bounded(number: int, what: str, unit: str) -> int:
    """``number``, if the database's 64-bit columns can hold it."""
    if number > INT64_MAX:
        raise ValueError(f"A {what} can be at most {INT64_MAX} {unit} (a signed 64-bit integer).")
    return number


def _scaled(value: object, units: dict[str, int], help_text: str) -> int:
    match = _NUMBER_WITH_UNIT.match(str(value)) if isinstance(value, str | float) else None
    if not match or match.group(2).lower() not in units:
        raise ValueError(f"Not understood: {value!r}; expected {help_text}.")
    if len(match.group(1).partition(".")[0]) > 20:
        return INT64_MAX + 1  # more than any column holds, whatever the unit: _bounded says so
    try:
        number = Decimal(match.group(1))
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        raise ValueError(f"Not a number: {value!r}.") from None
    return int(number * units[match.group(2).lower()])


#: The units sizes are written in, largest first.
_BINARY_UNITS = (("PiB", 2**50), ("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10))


def format_size(size: int, decimals: int = 2) -> str:
    """``2199023255552`` -> ``2 TiB``, ``1610612736`` -> ``1.5 GiB``, ``1023`` ->
    ``1023 B``: the largest binary unit, at most ``decimals`` decimals, no trailing
    zeros."""
    if abs(size) < 1024:
        return f"{size} B"
    for unit, factor in _BINARY_UNITS:
        value = round(size / factor, decimals)
        if abs(value) >= 1:
            return f"{value:.{decimals}f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{size} B"


def format_sizes(*sizes: int) -> list[str]:
    """The sizes as ``format_size`` writes them, with as many decimals as it takes to
    tell different sizes apart (a refusal weighing 1 GiB against 1 GiB less a byte
    must not say "1 GiB" twice); byte counts when no few decimals do."""
    for decimals in range(2, 7):
        texts = [format_size(size, decimals) for size in sizes]
        if len(set(texts)) == len(set(sizes)):
            return texts
    return [f"{size} B" for size in sizes]


def format_time(ms: int) -> str:
    """Epoch milliseconds as UTC ISO 8601: ``1900000000000`` -> ``2030-03-17T17:46:40.000Z``."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
