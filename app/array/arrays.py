"""What only the lab builds (the guide's API has no call for it): arrays, their
servers, pools, networks and replication partners, with the array's rules."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mockarray.array import capabilities, clock, inventory
from mockarray.array.initiators import normalize_iscsi_name, normalize_wwn
from mockarray.array.models import Array, Network, Pool, RemoteArray, Server
from mockarray.array.sessions import hash_password
from mockarray.errors import Conflict, Invalid, NotFound

#: wire name -> column of what identifies an array (unique in the lab).
IDENTITIES = {
    "name": Array.name,
    "hostname": Array.hostname,
    "ipAddress": Array.ip_address,
    "serialNumber": Array.serial_number,
}


def create_array(
    session: Session,
    *,
    name: str,
    hostname: str,
    ip_address: str,
    username: str,
    password: str | None = None,
    password_hash: str | None = None,
    serial_number: str | None = None,
    naa_oui: str = "0a0b0c",
    **values,
) -> Array:
    """A new array; its name, hostname (compared case-insensitively, as DNS and login
    do), IP address and serial number (default ``MA-<NAME>``) are its own.
    ``password_hash`` (a reset of a kept fixture) stands for an already hashed password."""
    array = Array(
        name=name,
        hostname=hostname.strip().lower(),
        ip_address=ip_address,
        serial_number=serial_number or f"MA-{name.upper()}",
        naa_oui=naa_oui.lower(),
        username=username,
        password_hash=password_hash or hash_password(password or ""),
        created_ms=clock.now(session),
        **values,
    )
    for key, column in IDENTITIES.items():
        value = getattr(array, column.key)
        if session.scalar(select(Array.id).where(column == value)):
            raise Conflict(
                f"An array with {key} '{value}' already exists.", fields={key: ["Taken."]}
            )
    session.add(array)
    session.flush()
    return array


def create_server(
    session: Session,
    array: Array,
    *,
    key: str,
    name: str,
    flags: dict[str, dict[str, bool]] | None = None,
    **values,
) -> Server:
    """A (virtual) server of the array; ``flags`` as the guide's ``supports`` and
    ``config`` (see ``capabilities``)."""
    for field, column, value in (("id", Server.key, key), ("name", Server.name, name)):
        if session.scalar(select(Server.id).where(Server.array_id == array.id, column == value)):
            raise Conflict(
                f"Array '{array.name}' already has a server with {field} '{value}'.",
                fields={field: ["Taken."]},
            )
    server = Server(
        array_id=array.id,
        key=key,
        name=name,
        **capabilities.columns(flags or {}),
        **values,
    )
    session.add(server)
    session.flush()
    return server


def create_pool(session: Session, server: Server, *, name: str, capacity: int) -> Pool:
    if capacity < 0:
        raise Invalid("A pool's capacity cannot be negative.", fields={"capacity": ["< 0"]})
    inventory.ensure_name_free(session, Pool, server, name, "pool")
    pool = Pool(
        server_id=server.id, name=name, capacity_bytes=capacity, created_ms=clock.now(session)
    )
    session.add(pool)
    session.flush()
    return pool


def create_network(
    session: Session,
    server: Server,
    *,
    name: str,
    wwpn: str | None = None,
    iqn: str | None = None,
    **values,
) -> Network:
    """A network interface; its WWPN and iSCSI name are stored normalised."""
    problems: dict[str, list[str]] = {}
    for field, value, normalize in (
        ("wwpn", wwpn, normalize_wwn),
        ("iqn", iqn, normalize_iscsi_name),
    ):
        if value is not None:
            try:
                normalize(value)
            except ValueError as error:
                problems[field] = [str(error)]
    if problems:
        raise Invalid(" ".join(texts[0] for texts in problems.values()), fields=problems)
    inventory.ensure_name_free(session, Network, server, name, "network")
    network = Network(
        server_id=server.id,
        name=name,
        wwpn=normalize_wwn(wwpn) if wwpn is not None else None,
        iqn=normalize_iscsi_name(iqn) if iqn is not None else None,
        created_ms=clock.now(session),
        **values,
    )
    session.add(network)
    return network


def create_remote_array(
    session: Session, server: Server, *, name: str, host_address: str
) -> RemoteArray:
    """A replication partner of the server, by name and address."""
    inventory.ensure_name_free(session, RemoteArray, server, name, "remote array")
    partner = RemoteArray(
        server_id=server.id, name=name, host_address=host_address, created_ms=clock.now(session)
    )
    session.add(partner)
    session.flush()
    return partner


def link_partner(session: Session, partner: RemoteArray, array_name: str) -> None:
    """The partner is the array ``array_name`` simulated here: replication makes replicas on it."""
    array_id = session.scalar(select(Array.id).where(Array.name == array_name))
    if array_id is None:
        raise NotFound(f"No array named '{array_name}' is simulated here.")
    partner.partner_array_id = array_id
