"""LUNs: which volumes have one, and their identities as a real array makes them
(a serial number and an NAA-6 id).

Every block volume has its LUN from the moment it exists (``attach``), as on
ONTAP, FlashSystem or Pure, whether it is mapped or not; a file (NAS) volume
has none. A clone's LUN, and a restored-to-new volume's, starts offline, as
an ONTAP FlexClone LUN does, until ``?action=online``.
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from mockarray.array.models import Array, Lun, Server, Volume
from mockarray.array.registry import Registry

#: ``volumeType`` values (any case) of file volumes, served over NFS/CIFS: no LUN.
FILE_VOLUME_TYPES = frozenset({"file", "nas"})


def is_file_volume(volume: Volume) -> bool:
    """Whether the volume is a file (NAS) volume: hosts mount it, it has no LUN."""
    return (volume.volume_type or "").lower() in FILE_VOLUME_TYPES


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


def attach(
    session: Session,
    server: Server,
    volume: Volume,
    *,
    online: bool,
    registry: Registry | None = None,
) -> Lun | None:
    """The LUN of a new volume, made with it (``None`` for a file volume): created
    at the volume's time, ``online`` or not. With a ``registry`` (seeding) it is
    added to the registry's batch, which then knows it (``registry.lun``)."""
    if is_file_volume(volume):
        return None
    lun = new_lun(
        session.get(Array, server.array_id), volume, online=online, created_ms=volume.created_ms
    )
    if registry is not None:
        registry.made_lun(volume, lun)
    else:
        session.add(lun)
    return lun
