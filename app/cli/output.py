"""How commands print what they show."""

from __future__ import annotations

from datetime import UTC, datetime


def when(ms: int) -> str:
    """Epoch milliseconds as a UTC time with milliseconds: ``2026-01-02 03:04:05.678Z``."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"
