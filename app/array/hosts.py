"""Hosts, host groups and LUN mappings; bringing LUNs online.

A mapping is one row per host; a mapping made through a host group is a row
on every host of the group, carrying the group's id. So the host's
``mappedLunIds``, its LUN list and the LUN list always agree.

A LUN is mapped only where the server serves it: a file (NAS) volume has no
LUN, and a host is reached over iSCSI (its IQNs) only when the server's
iSCSI service is enabled, over FC (its WWNs) only when the server has an FC
network.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mockarray.array import clock, inventory
from mockarray.array.initiators import normalize_iscsi_name, normalize_wwn
from mockarray.array.luns import is_file_volume, new_lun
from mockarray.array.models import (
    Array,
    Host,
    HostGroup,
    HostInitiator,
    InitiatorKind,
    Lun,
    LunMapping,
    Network,
    Server,
    Volume,
)
from mockarray.array.registry import Registry
from mockarray.errors import Conflict, Invalid, NotFound

MAX_LUN_NUMBER = 16383


# -- hosts -------------------------------------------------------------------------------


def create_host(
    session: Session,
    server: Server,
    *,
    name: str,
    iqns: list[str],
    wwns: list[str],
    server_group_keys: list[str] | None = None,
    registry: Registry | None = None,
) -> Host:
    """A new host; retried with the same name and initiators, the existing one."""
    wanted = _initiators(iqns, wwns)
    existing = session.scalar(select(Host).where(Host.server_id == server.id, Host.name == name))
    if existing is not None:
        if {(i.kind, i.address) for i in existing.initiators} == set(wanted):
            return existing
        raise Conflict(
            f"A host named '{name}' already exists on server '{server.key}' with other "
            "initiators; choose another name."
        )
    owners = session.execute(
        select(HostInitiator.address, Host.name)
        .join(Host, HostInitiator.host_id == Host.id)
        .where(
            HostInitiator.server_id == server.id,
            HostInitiator.address.in_([address for _, address in wanted]),
        )
    ).all()
    if owners:
        taken = ", ".join(f"{address} (host '{owner}')" for address, owner in owners)
        owner_of = dict(owners)
        raise Conflict(
            f"These initiators already belong to another host: {taken}.",
            fields={
                f"{kind}s[{index}]": [f"Belongs to host '{owner_of[_normalized(kind, address)]}'."]
                for kind, values in (("iqn", iqns), ("wwn", wwns))
                for index, address in enumerate(values)
                if _normalized(kind, address) in owner_of
            },
        )
    host = Host(
        server_id=server.id,
        name=name,
        server_group_keys=list(server_group_keys or []),
        created_ms=clock.now(session),
    )
    host.initiators = [
        HostInitiator(server_id=server.id, kind=kind, address=address) for kind, address in wanted
    ]
    session.add(host)
    session.flush()
    if registry is not None:
        registry.made_host(host)
    return host


def _normalized(kind: str, address: str) -> str:
    return (normalize_iscsi_name if kind == InitiatorKind.IQN else normalize_wwn)(address)


def create_host_group(session: Session, server: Server, *, name: str) -> HostGroup:
    """A new, empty host group (the lab's; the guide's API has no call for it)."""
    inventory.ensure_name_free(session, HostGroup, server, name, "host group")
    group = HostGroup(server_id=server.id, name=name, created_ms=clock.now(session))
    session.add(group)
    session.flush()
    return group


def add_to_group(session: Session, group: HostGroup, host: Host) -> None:
    """``host`` joins the group; a host is in at most one host group."""
    if host.host_group_id not in (None, group.id):
        other = session.get(HostGroup, host.host_group_id)
        raise Conflict(f"Host '{host.name}' is already in host group '{other.name}'.")
    host.host_group_id = group.id
    session.flush()


def _initiators(iqns: list[str], wwns: list[str]) -> list[tuple[str, str]]:
    """Normalised ``(kind, address)`` pairs; ``Invalid`` naming each bad one."""
    found: list[tuple[str, str]] = []
    problems: dict[str, list[str]] = {}
    for kind, field, values, normalize in (
        (InitiatorKind.IQN, "iqns", iqns, normalize_iscsi_name),
        (InitiatorKind.WWN, "wwns", wwns, normalize_wwn),
    ):
        for index, value in enumerate(values):
            try:
                address = normalize(value)
            except ValueError as error:
                problems[f"{field}[{index}]"] = [str(error)]
                continue
            if (kind, address) in found:
                problems[f"{field}[{index}]"] = [f"{address} is listed twice."]
                continue
            found.append((kind, address))
    if problems:
        described = "; ".join(f"{path}: {' '.join(texts)}" for path, texts in problems.items())
        raise Invalid(f"Invalid request body. {described}", fields=problems)
    return found


# -- mappings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MappingView:
    """A mapping as ``map`` and ``GET /host/{hid}/lun`` answer it."""

    name: str
    volume_id: int
    host_id: int | None
    host_group_id: int | None
    lun_id: int
    lun_number: int


def _named_lun(
    session: Session, server: Server, volume_id: str | None, lun_id: str | None, verb: str
) -> tuple[Lun | None, Volume]:
    """The volume a call names by ``volumeId`` or ``lunId`` (which must agree),
    and its LUN if it has one."""
    if lun_id is None and volume_id is None:
        raise Invalid(
            f"Name what to {verb}: give 'volumeId' or 'lunId'.",
            fields={"volumeId": ["Give volumeId or lunId."]},
        )
    lun = inventory.get_lun(session, server, lun_id) if lun_id is not None else None
    if volume_id is None:
        return lun, lun.volume
    volume = inventory.get_volume(session, server, volume_id)
    if lun is not None and lun.volume_id != volume.id:
        raise Invalid(
            f"lunId '{lun_id}' is the LUN of another volume than volumeId '{volume_id}'.",
            fields={"lunId": ["Not the LUN of volumeId."]},
        )
    return lun or session.scalar(select(Lun).where(Lun.volume_id == volume.id)), volume


def _lun_to_map(
    session: Session, server: Server, volume_id: str | None, lun_id: str | None
) -> tuple[Lun | None, Volume]:
    """The LUN a map call names (``None`` for a file volume, which has none)."""
    lun, volume = _named_lun(session, server, volume_id, lun_id, "map")
    if lun is None and not is_file_volume(volume):
        # A block volume of a database older than the rule that every block
        # volume has its LUN: it gets it now.
        lun = new_lun(session.get(Array, server.array_id), volume, created_ms=clock.now(session))
        session.add(lun)
        session.flush()
    return lun, volume


def _check_mappable(
    session: Session,
    hosts: list[Host],
    lun: Lun | None,
    volume: Volume,
    registry: Registry | None = None,
) -> Lun:
    """``lun`` (of ``volume``), when the server serves it to every one of ``hosts``:
    ``Invalid`` for a file volume, or for a host the server reaches by no protocol
    it serves."""
    if lun is None or is_file_volume(volume):
        raise Invalid(
            f"Volume '{volume.name}' is a file (NAS) volume (volumeType "
            f"'{volume.volume_type}'): it has no LUN to map; hosts mount it instead."
        )
    server = session.get(Server, volume.server_id)
    served = served_initiator_kinds(session, server, registry)
    for host in hosts:
        kinds = {initiator.kind for initiator in host.initiators}
        if kinds and not kinds & served:
            raise Invalid(
                f"Server '{server.key}' cannot present volume '{volume.name}' to host "
                f"'{host.name}': the host is reached over "
                f"{' and '.join(PROTOCOLS[k] for k in sorted(kinds))} only, and "
                + " and ".join(NOT_SERVED[k] for k in sorted(kinds))
                + "."
            )
    return lun


#: The protocol each kind of initiator speaks, and why a server may not serve it.
PROTOCOLS = {InitiatorKind.IQN: "iSCSI", InitiatorKind.WWN: "FC"}
NOT_SERVED = {
    InitiatorKind.IQN: "the server does not serve iSCSI (its config.isIscsiServiceEnabled "
    "is false)",
    InitiatorKind.WWN: "the server has no FC network (none with config.fc true)",
}


def served_initiator_kinds(
    session: Session, server: Server, registry: Registry | None = None
) -> set[str]:
    """The kinds of host initiators the server presents LUNs to: IQNs (iSCSI) when
    its iSCSI service is enabled, WWNs (FC) when it has an FC network."""
    served = {InitiatorKind.IQN} if server.is_iscsi_service_enabled else set()
    if registry is not None:
        has_fc = registry.has_fc_network(server)
    else:
        has_fc = session.scalar(
            select(Network.id).where(Network.server_id == server.id, Network.fc.is_(True)).limit(1)
        )
    if has_fc:
        served.add(InitiatorKind.WWN)
    return served


def _numbers_in_use(
    session: Session, hosts: list[Host], registry: Registry | None = None
) -> dict[int, tuple[str, str]]:
    """LUN number -> (host name, volume name) for the hosts."""
    if registry is not None:
        if len(hosts) == 1:
            return registry.numbers_in_use(hosts[0])
        return {n: used for host in hosts for n, used in registry.numbers_in_use(host).items()}
    names = {host.id: host.name for host in hosts}
    rows = session.execute(
        select(LunMapping.lun_number, LunMapping.host_id, Volume.name)
        .join(Lun, LunMapping.lun_id == Lun.id)
        .join(Volume, Lun.volume_id == Volume.id)
        .where(LunMapping.host_id.in_(names))
    ).all()
    return {number: (names[host_id], volume) for number, host_id, volume in rows}


def _pick_number(in_use: dict[int, tuple[str, str]], wanted: int | None) -> int:
    if wanted is not None:
        if wanted in in_use:
            host, volume = in_use[wanted]
            raise Conflict(
                f"LUN number {wanted} is already used on host '{host}' (by volume '{volume}'); "
                "choose another lunNumber or leave it out to get the lowest free one."
            )
        return wanted
    number = next((n for n in range(MAX_LUN_NUMBER + 1) if n not in in_use), None)
    if number is None:
        raise Conflict("Every LUN number is in use on the host.")
    return number


def map_to_host(
    session: Session,
    server: Server,
    host_id: str,
    *,
    volume_id: str | None,
    lun_id: str | None,
    lun_number: int | None,
) -> MappingView:
    """Map a LUN to a host; mapping it again returns the existing mapping."""
    host = inventory.get_host(session, server, host_id)
    lun, volume = _lun_to_map(session, server, volume_id, lun_id)
    return map_lun(session, host, lun, volume, lun_number)


def map_lun(
    session: Session,
    host: Host,
    lun: Lun | None,
    volume: Volume,
    lun_number: int | None,
    registry: Registry | None = None,
) -> MappingView:
    """Map ``lun`` (of ``volume``) to ``host``; mapping it again returns the existing mapping.
    With a ``registry`` (seeding), ids are known after its next flush."""
    lun = _check_mappable(session, [host], lun, volume, registry)
    if registry is not None:
        existing = registry.mapping(host, lun)
    else:
        existing = session.scalar(
            select(LunMapping).where(LunMapping.host_id == host.id, LunMapping.lun_id == lun.id)
        )
    if existing is not None:
        if lun_number is None or lun_number == existing.lun_number:
            return _view(existing, volume)
        raise Conflict(
            f"Volume '{volume.name}' is already mapped to host '{host.name}' as LUN number "
            f"{existing.lun_number}; unmap it first to change the number."
        )
    number = _pick_number(_numbers_in_use(session, [host], registry), lun_number)
    # The LUN by object: in a registry's batch, it may have no id yet.
    mapping = LunMapping(host_id=host.id, lun=lun, lun_number=number, created_ms=clock.now(session))
    if registry is not None:
        registry.made_mapping(host, mapping, volume)
    else:
        session.add(mapping)
        session.flush()
    return _view(mapping, volume)


def unmap_from_host(
    session: Session, server: Server, host_id: str, *, volume_id: str | None, lun_id: str | None
) -> None:
    """Remove a LUN from a host; ``NotFound`` when it is not mapped there."""
    host = inventory.get_host(session, server, host_id)
    lun, _volume = _named_lun(session, server, volume_id, lun_id, "unmap")
    mapping = (
        session.scalar(
            select(LunMapping).where(LunMapping.host_id == host.id, LunMapping.lun_id == lun.id)
        )
        if lun is not None
        else None
    )
    if mapping is None:
        what = f"LUN '{lun_id}'" if lun_id is not None else f"volume '{volume_id}'"
        raise NotFound(f"{what} is not mapped to host '{host.name}'.")
    session.delete(mapping)
    session.flush()


def map_to_host_group(
    session: Session,
    server: Server,
    group_id: str,
    *,
    volume_id: str | None,
    lun_id: str | None,
    lun_number: int | None,
) -> MappingView:
    """Map a LUN to every host of a group under one LUN number."""
    group = inventory.get_host_group(session, server, group_id)
    hosts = list(
        session.scalars(
            select(Host)
            .where(Host.host_group_id == group.id)
            .options(selectinload(Host.initiators))
        )
    )
    if not hosts:
        raise Conflict(f"Host group '{group.name}' has no hosts to map to.")
    lun, volume = _lun_to_map(session, server, volume_id, lun_id)
    return map_lun_to_group(session, group, hosts, lun, volume, lun_number)


def map_lun_to_group(
    session: Session,
    group: HostGroup,
    hosts: list[Host],
    lun: Lun | None,
    volume: Volume,
    lun_number: int | None,
    registry: Registry | None = None,
) -> MappingView:
    """Map ``lun`` to every host of ``group`` (``hosts``) under one LUN number.
    With a ``registry`` (seeding), ids are known after its next flush."""
    lun = _check_mappable(session, hosts, lun, volume, registry)
    if registry is not None:
        existing = [m for m in (registry.mapping(h, lun) for h in hosts) if m is not None]
    else:
        existing = list(
            session.scalars(
                select(LunMapping).where(
                    LunMapping.host_id.in_([h.id for h in hosts]), LunMapping.lun_id == lun.id
                )
            )
        )
    numbers = {m.lun_number for m in existing}
    if len(numbers) > 1 or (lun_number is not None and numbers - {lun_number}):
        raise Conflict(
            f"Volume '{volume.name}' is already mapped to hosts of group '{group.name}' as LUN "
            f"number {', '.join(map(str, sorted(numbers)))}; unmap it first."
        )
    wanted = lun_number if lun_number is not None else next(iter(numbers), None)
    mapped = {m.host_id for m in existing}
    unmapped = [h for h in hosts if h.id not in mapped]
    number = _pick_number(_numbers_in_use(session, unmapped, registry), wanted)
    for host in unmapped:
        mapping = LunMapping(
            host_id=host.id,
            lun=lun,
            lun_number=number,
            host_group_id=group.id,
            created_ms=clock.now(session),
        )
        if registry is not None:
            registry.made_mapping(host, mapping, volume)
        else:
            session.add(mapping)
    if registry is None:
        session.flush()
    return MappingView(
        name=volume.name,
        volume_id=volume.id,
        host_id=None,
        host_group_id=group.id,
        lun_id=lun.id,
        lun_number=number,
    )


def _view(mapping: LunMapping, volume: Volume) -> MappingView:
    return MappingView(
        name=volume.name,
        volume_id=volume.id,
        host_id=mapping.host_id,
        host_group_id=mapping.host_group_id,
        lun_id=mapping.lun_id,
        lun_number=mapping.lun_number,
    )


def bring_online(session: Session, server: Server, lun_id: str) -> None:
    """``?action=online``: the LUN is ready for use (idempotent)."""
    lun = inventory.get_lun(session, server, lun_id)
    lun.online = True
    session.flush()
