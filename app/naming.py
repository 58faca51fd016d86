"""How names are matched where the guide lets clients spell them freely."""

from __future__ import annotations


def normalize_action(name: str | None) -> str | None:
    """An action name as it is matched: ignoring case, ``-`` and ``_``
    (``get-Progress``, ``getProgress`` and ``GET_PROGRESS`` are one action)."""
    return name.replace("-", "").replace("_", "").lower() if name is not None else None
