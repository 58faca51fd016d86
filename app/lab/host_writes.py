"""A host writes to a volume: one function for the control plane
(``POST /mockarray/api/arrays/{array}/servers/{sid}/volumes/{vid}/writes``)
and the command line (``mockarray write ARRAY VOLUME SIZE``).

The array is named; the server is its key (``svm-db``, ``0``), which may be
left out when the array has only one; the volume is its name, or its id when
no volume on the server has that name and the value is all digits. The
array's own rule (``mockarray.array.volumes.host_write``) does the write.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mockarray.array import inventory, volumes
from mockarray.array.models import Server, Volume
from mockarray.errors import Invalid, NotFound


class ServerNeeded(Invalid):
    """The array has several servers and none was named."""

    def __init__(self, array: str, keys: list[str]):
        super().__init__(
            f"Array '{array}' has servers {', '.join(keys)}: name one.",
            fields={"server": ["Name one of " + ", ".join(keys) + "."]},
        )
        self.keys = keys


def find_server(session: Session, array: str, server_key: str | None) -> Server:
    """The server ``server_key`` of the array named ``array``; without a key, its only one."""
    target = inventory.array_by_name(session, array)
    if server_key is None:
        keys = inventory.server_keys(session, target.id)
        if len(keys) != 1:
            raise ServerNeeded(array, keys)
        server_key = keys[0]
    return inventory.get_server(session, target.id, server_key)


def find_volume_id(session: Session, server: Server, volume: str) -> str:
    """The id of the volume named ``volume`` on the server; an all-digit value
    that names no volume is taken as an id."""
    found = session.scalar(
        select(Volume.id).where(Volume.server_id == server.id, Volume.name == volume)
    )
    if found is not None:
        return str(found)
    if volume.isdigit():
        return volume
    raise NotFound.object("Volume", volume, f"server '{server.key}'")


def host_write(
    session: Session,
    array: str,
    volume: str,
    *,
    size: int,
    server_key: str | None = None,
    append: bool = False,
) -> Volume:
    """A host writes ``size`` bytes to ``volume`` (see the module): the volume as
    it is after the write."""
    server = find_server(session, array, server_key)
    return volumes.host_write(
        session, server, find_volume_id(session, server, volume), size=size, append=append
    )
