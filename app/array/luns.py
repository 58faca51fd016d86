"""LUN identities as a real array makes them: a serial number and an NAA-6 id."""

from __future__ import annotations

import secrets

from mockarray.array.models import Array, Lun, Volume


def new_serial_number() -> str:
    """24 hexadecimal digits, unique per LUN (the database enforces it)."""
    return secrets.token_hex(12).upper()


def naa_id(oui: str, serial_number: str) -> str:
    """The NAA IEEE Registered Extended (NAA-6) id: 32 hex digits starting with 6.

    ``6`` + the vendor's 24-bit OUI + a vendor-specific 100-bit part, here a
    ``0`` followed by the LUN's 96-bit serial number (as Pure and others do).
    """
    return f"6{oui.lower()}0{serial_number.lower()}"


def new_lun(
    array: Array,
    volume: Volume,
    *,
    name: str | None = None,
    online: bool = False,
    created_ms: int | None = None,
) -> Lun:
    serial = new_serial_number()
    lun = Lun(
        # By object: a volume made in a batch (seeding) has no id until it is flushed.
        volume=volume,
        name=name or volume.name,
        serial_number=serial,
        naa_id=naa_id(array.naa_oui, serial),
        online=online,
    )
    if created_ms is not None:
        lun.created_ms = created_ms
    return lun
