"""Seeding arrays from fixture documents, all or nothing.

``seed()`` validates the whole document (shape first, then every reference
and rule of the array) and reports every problem with its place in the
document (``arrays[0].servers[1].volumes[3].size``). It loads nothing unless
the whole document is good: the caller's transaction is rolled back on error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources import files

import marshmallow as ma
import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mockarray.array import capabilities, clock
from mockarray.array.capabilities import Group
from mockarray.array.initiators import normalize_iscsi_name, normalize_wwn
from mockarray.array.luns import new_lun
from mockarray.array.models import (
    Array,
    CgReplicationTarget,
    CgSnapshot,
    ConsistencyGroup,
    Host,
    HostGroup,
    HostInitiator,
    LongTask,
    Lun,
    LunMapping,
    Network,
    Origin,
    PluginSession,
    Pool,
    RemoteArray,
    Server,
    Snapshot,
    TaskKind,
    Volume,
    new_fingerprint,
    now_ms,
)
from mockarray.array.sessions import hash_password
from mockarray.errors import flatten
from mockarray.lab.models import LabFixture
from mockarray.lab.seeding.schema import LabFixtureSchema, ServerFixture
from mockarray.units import format_size

DEMO_FIXTURE = "demo.yaml"


class FixtureError(Exception):
    """A fixture that cannot be loaded; ``problems`` are ``(path, message)`` pairs."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [f"{self.source}: {path}: {message}" for path, message in self.problems]
        return "\n".join(lines)


def demo_fixture_text() -> str:
    return files("mockarray.lab.seeding").joinpath(DEMO_FIXTURE).read_text(encoding="utf-8")


def parse(text: str, source: str) -> dict:
    """The fixture's YAML, validated for shape; ``FixtureError`` otherwise."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(document)"
        problem = getattr(error, "problem", None) or str(error)
        raise FixtureError(source, [(where, f"Not valid YAML: {problem}.")]) from None
    if not isinstance(document, dict):
        raise FixtureError(source, [("(document)", "Expected a mapping with an 'arrays' list.")])
    try:
        return LabFixtureSchema().load(document)
    except ma.ValidationError as error:
        problems = [
            (path, " ".join(messages)) for path, messages in flatten(error.messages).items()
        ]
        raise FixtureError(source, sorted(problems)) from None


@dataclass
class _Loader:
    """Builds the objects of one document, collecting every problem on the way."""

    session: Session
    source: str
    problems: list[tuple[str, str]] = field(default_factory=list)
    now: int = field(default_factory=now_ms)
    #: Volumes whose definition was refused: references to them are not reported again.
    broken_volumes: set[tuple[int, str]] = field(default_factory=set)
    #: (array name, remote array object, path) to link once every array exists.
    partner_links: list[tuple[str, RemoteArray, str]] = field(default_factory=list)

    def problem(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    # -- arrays -------------------------------------------------------------------

    def load(self, document: dict) -> list[Array]:
        # Ages count back from the simulated clock, like every new object's time.
        self.now = clock.now(self.session)
        for spec in document["arrays"]:
            # Hostnames compare case-insensitively, as DNS (and login) does.
            spec["hostname"] = spec["hostname"].strip().lower()
            spec.setdefault("serialNumber", f"MA-{spec['name'].upper()}")
        self._check_array_identities(document["arrays"])
        if self.problems:
            return []
        arrays = [self._array(spec, f"arrays[{i}]") for i, spec in enumerate(document["arrays"])]
        self._link_partners()
        return arrays

    def _check_array_identities(self, specs: list[dict]) -> None:
        clashing: set[int] = set()  # arrays already reported: one problem each is enough
        for key, column in (
            ("name", Array.name),
            ("hostname", Array.hostname),
            ("ipAddress", Array.ip_address),
            ("serialNumber", Array.serial_number),
        ):
            values = [spec.get(key) for spec in specs]
            taken = set(
                self.session.scalars(select(column).where(column.in_([v for v in values if v])))
            )
            seen: set[str] = set()
            for i, value in enumerate(values):
                if value is None or i in clashing:
                    continue
                path = f"arrays[{i}].{key}"
                if value in taken:
                    self.problem(
                        path,
                        f"An array with {key} '{value}' already exists in the database; "
                        "use 'mockarray seed --replace' to start from an empty lab.",
                    )
                    clashing.add(i)
                elif value in seen:
                    self.problem(path, f"'{value}' is used by another array of this fixture.")
                    clashing.add(i)
                seen.add(value)

    def _array(self, spec: dict, path: str) -> Array:
        array = Array(
            name=spec["name"],
            hostname=spec["hostname"],
            ip_address=spec["ipAddress"],
            port=spec["port"],
            vendor=spec["vendor"],
            model=spec["model"],
            version=spec["version"],
            serial_number=spec["serialNumber"],
            naa_oui=spec["naaOui"].lower(),
            username=spec["username"],
            password_hash=hash_password(spec["password"]),
            created_ms=self.now,
        )
        self.session.add(array)
        self.session.flush()
        servers = spec["servers"] or [ServerFixture().load({})]
        keys: set[str] = set()
        names: set[str] = set()
        for i, server_spec in enumerate(servers):
            server_path = f"{path}.servers[{i}]"
            key = server_spec.get("id") or ("0" if len(servers) == 1 else str(i + 1))
            name = server_spec.get("name") or (
                array.name if len(servers) == 1 else f"{array.name}-vs{key}"
            )
            if key in keys:
                self.problem(f"{server_path}.id", f"Server id '{key}' is used twice.")
                continue
            if name in names:
                self.problem(f"{server_path}.name", f"Server name '{name}' is used twice.")
                continue
            keys.add(key)
            names.add(name)
            self._server(array, server_spec, key, name, server_path)
        return array

    # -- servers and what they hold ---------------------------------------------------

    def _server(self, array: Array, spec: dict, key: str, name: str, path: str) -> None:
        flags = capabilities.columns({group: spec[group] for group in Group})
        server = Server(
            array_id=array.id,
            key=key,
            name=name,
            parity=spec["parity"],
            system_size_bytes=spec["systemSize"],
            data_reduction=spec["dataReduction"],
            **flags,
        )
        self.session.add(server)
        self.session.flush()
        pools = self._pools(server, spec["pools"], path)
        remote_arrays = self._remote_arrays(server, spec["remoteArrays"], path)
        volumes = self._volumes(array, server, pools, spec["volumes"], path)
        hosts = self._hosts(array, server, volumes, spec["hosts"], path)
        self._host_groups(array, server, hosts, volumes, spec["hostGroups"], path)
        self._networks(server, spec["networks"], path)
        self._consistency_groups(server, volumes, remote_arrays, spec["consistencyGroups"], path)
        self.session.flush()
        self._check_capacity(server, pools, spec["pools"], path)

    def _pools(self, server: Server, specs: list[dict], path: str) -> dict[str, Pool]:
        pools: dict[str, Pool] = {}
        for i, spec in enumerate(specs):
            if spec["name"] in pools:
                self.problem(f"{path}.pools[{i}].name", f"Pool '{spec['name']}' is defined twice.")
                continue
            pool = Pool(
                server_id=server.id,
                name=spec["name"],
                capacity_bytes=spec["capacity"],
                created_ms=self.now,
            )
            self.session.add(pool)
            pools[spec["name"]] = pool
        self.session.flush()
        return pools

    def _volumes(
        self, array: Array, server: Server, pools: dict[str, Pool], specs: list[dict], path: str
    ) -> dict[str, Volume]:
        volumes: dict[str, Volume] = {}
        snapshots: dict[tuple[str, str], Snapshot] = {}
        for i, spec in enumerate(specs):
            volume_path = f"{path}.volumes[{i}]"
            if spec["name"] in volumes:
                self.problem(f"{volume_path}.name", f"Volume '{spec['name']}' is defined twice.")
                continue
            volume = self._volume(array, server, pools, volumes, snapshots, spec, volume_path)
            if volume is None:
                self.broken_volumes.add((server.id, spec["name"]))
                continue
            volumes[spec["name"]] = volume
            for j, snap_spec in enumerate(spec["snapshots"]):
                snap_path = f"{volume_path}.snapshots[{j}]"
                if (spec["name"], snap_spec["name"]) in snapshots:
                    self.problem(
                        f"{snap_path}.name",
                        f"Snapshot '{snap_spec['name']}' is defined twice on this volume.",
                    )
                    continue
                snapshot = Snapshot(
                    volume_id=volume.id,
                    name=snap_spec["name"],
                    created_ms=self.now - snap_spec["age"],
                    is_auto_delete=snap_spec["isAutoDelete"],
                    ground_clone_required=snap_spec["groundCloneRequired"],
                    volume_used_bytes=volume.used_bytes,
                    used_bytes=snap_spec["used"],
                    # A snapshot that holds nothing of its own has the volume's content.
                    content_fingerprint=(
                        volume.content_fingerprint if snap_spec["used"] == 0 else new_fingerprint()
                    ),
                )
                self.session.add(snapshot)
                snapshots[(spec["name"], snap_spec["name"])] = snapshot
            self.session.flush()
        return volumes

    def _volume(self, array, server, pools, volumes, snapshots, spec, path) -> Volume | None:
        parent: Snapshot | None = None
        source: Volume | None = None
        if spec["cloneOf"]:
            source = volumes.get(spec["cloneOf"]["volume"])
            parent = snapshots.get((spec["cloneOf"]["volume"], spec["cloneOf"]["snapshot"]))
            if source is None and (server.id, spec["cloneOf"]["volume"]) in self.broken_volumes:
                return None
            if source is None:
                self.problem(
                    f"{path}.cloneOf.volume",
                    f"No volume '{spec['cloneOf']['volume']}' is defined before this clone "
                    "on this server (list a clone after its source).",
                )
                return None
            if parent is None:
                self.problem(
                    f"{path}.cloneOf.snapshot",
                    f"Volume '{source.name}' has no snapshot '{spec['cloneOf']['snapshot']}'.",
                )
                return None
        pool = self._pool_for(pools, spec, source, path)
        if pool is None:
            return None
        size = spec.get("size", source.size_bytes if source else None)
        if size is None:
            self.problem(f"{path}.size", "Missing: every volume but a clone needs a size.")
            return None
        if source is not None and size < source.size_bytes:
            self.problem(
                f"{path}.size",
                f"A clone cannot be smaller than its source ({format_size(source.size_bytes)}).",
            )
            return None
        shared = parent.volume_used_bytes if parent and not spec["split"] else 0
        used = spec.get("used", parent.volume_used_bytes if parent else 0)
        if used > size:
            self.problem(f"{path}.used", f"Used ({used} B) cannot exceed the size ({size} B).")
            return None
        if parent is not None and used < parent.volume_used_bytes:
            self.problem(
                f"{path}.used",
                f"A clone holds at least its snapshot's data ({parent.volume_used_bytes} B).",
            )
            return None
        if parent is not None and not spec["thin"] and not spec["split"]:
            self.problem(f"{path}.thin", "An unsplit clone is thin; set thin: true or split: true.")
            return None
        created = self.now - spec["age"]
        volume = Volume(
            server_id=server.id,
            pool_id=pool.id,
            name=spec["name"],
            created_ms=created,
            size_bytes=size,
            used_bytes=used,
            shared_bytes=shared,
            thin=spec["thin"],
            volume_type=spec["type"],
            server_group_key=spec["serverGroupKey"],
            supports_revert=spec["supports"]["revert"],
            split_support=spec["supports"]["split"],
            auto_grow_vadp_rep=spec["supports"]["autoGrowVadpRep"],
            parent_snapshot_id=parent.id if parent is not None and not spec["split"] else None,
            origin_snapshot_id=parent.id if parent is not None else None,
            origin_kind=Origin.CLONE if parent is not None else None,
            mount_path=spec["mountPath"],
            content_fingerprint=(
                parent.content_fingerprint
                if parent is not None and used == parent.volume_used_bytes
                else new_fingerprint()
            ),
        )
        self.session.add(volume)
        self.session.flush()
        if parent is not None and spec["split"]:
            # A clone that was split before the fixture's moment: a finished task.
            self.session.add(
                LongTask(
                    array_id=array.id,
                    kind=TaskKind.SPLIT,
                    volume_id=volume.id,
                    started_ms=created,
                    completes_ms=created,
                    total_bytes=parent.volume_used_bytes,
                    rate_bytes_per_s=max(parent.volume_used_bytes, 1),
                )
            )
        if spec["lun"] is not None:
            lun = new_lun(array, volume, name=spec["lun"].get("name"), online=spec["lun"]["online"])
            lun.private_iscsi_target = spec["lun"].get("privateIscsiTarget")
            self.session.add(lun)
        return volume

    def _pool_for(self, pools, spec, source, path) -> Pool | None:
        if spec.get("pool"):
            pool = pools.get(spec["pool"])
            if pool is None:
                known = ", ".join(pools) or "none"
                self.problem(f"{path}.pool", f"No pool '{spec['pool']}' here (pools: {known}).")
            return pool
        if source is not None:
            return self.session.get(Pool, source.pool_id)
        if not pools:
            self.problem(f"{path}.pool", "This server has no pools: define one under 'pools'.")
            return None
        return next(iter(pools.values()))

    def _check_capacity(self, server: Server, pools: dict[str, Pool], specs, path) -> None:
        from mockarray.array.capacity import pool_free_bytes

        rows = self.session.execute(
            select(Pool.name, pool_free_bytes()).where(Pool.server_id == server.id)
        )
        for name, free in rows:
            if free < 0:
                index = next(i for i, spec in enumerate(specs) if spec["name"] == name)
                self.problem(
                    f"{path}.pools[{index}].capacity",
                    f"Pool '{name}' is {format_size(-free)} short: its volumes and snapshots "
                    f"take more than its capacity ({format_size(pools[name].capacity_bytes)}).",
                )

    # -- hosts, groups, mappings --------------------------------------------------------

    def _lun_of(self, array: Array, volume: Volume) -> Lun:
        lun = self.session.scalar(select(Lun).where(Lun.volume_id == volume.id))
        if lun is None:
            lun = new_lun(array, volume, online=True)
            self.session.add(lun)
            self.session.flush()
        return lun

    def _hosts(self, array, server, volumes, specs, path) -> dict[str, Host]:
        hosts: dict[str, Host] = {}
        addresses: set[str] = set()
        for i, spec in enumerate(specs):
            host_path = f"{path}.hosts[{i}]"
            if spec["name"] in hosts:
                self.problem(f"{host_path}.name", f"Host '{spec['name']}' is defined twice.")
                continue
            host = Host(
                server_id=server.id,
                name=spec["name"],
                server_group_keys=spec["serverGroupKeys"],
                created_ms=self.now,
            )
            self.session.add(host)
            self.session.flush()
            for kind, key, normalize in (
                ("iqn", "iqns", normalize_iscsi_name),
                ("wwn", "wwns", normalize_wwn),
            ):
                for j, raw in enumerate(spec[key]):
                    try:
                        address = normalize(raw)
                    except ValueError as error:
                        self.problem(f"{host_path}.{key}[{j}]", str(error))
                        continue
                    if address in addresses:
                        self.problem(
                            f"{host_path}.{key}[{j}]",
                            f"{address} already belongs to another host of this server.",
                        )
                        continue
                    addresses.add(address)
                    self.session.add(
                        HostInitiator(
                            host_id=host.id, server_id=server.id, kind=kind, address=address
                        )
                    )
            hosts[spec["name"]] = host
            self._map(array, [host], volumes, spec["luns"], f"{host_path}.luns", None)
        return hosts

    def _map(self, array, hosts, volumes, refs, path, group: HostGroup | None) -> None:
        for i, ref in enumerate(refs):
            volume = volumes.get(ref["volume"])
            if volume is None and self._is_broken(ref["volume"], hosts):
                continue
            if volume is None:
                self.problem(f"{path}[{i}].volume", f"No volume '{ref['volume']}' on this server.")
                continue
            lun = self._lun_of(array, volume)
            for host in hosts:
                taken = self.session.scalar(
                    select(LunMapping).where(
                        LunMapping.host_id == host.id,
                        (LunMapping.lun_number == ref["lunNumber"]) | (LunMapping.lun_id == lun.id),
                    )
                )
                if taken is not None:
                    self.problem(
                        f"{path}[{i}]",
                        f"Host '{host.name}' already has LUN number {taken.lun_number} "
                        f"or volume '{volume.name}' mapped.",
                    )
                    continue
                self.session.add(
                    LunMapping(
                        host_id=host.id,
                        lun_id=lun.id,
                        lun_number=ref["lunNumber"],
                        host_group_id=group.id if group else None,
                        created_ms=self.now,
                    )
                )
                self.session.flush()

    def _is_broken(self, volume_name: str, hosts: list[Host]) -> bool:
        return any((host.server_id, volume_name) in self.broken_volumes for host in hosts)

    def _host_groups(self, array, server, hosts, volumes, specs, path) -> None:
        names: set[str] = set()
        for i, spec in enumerate(specs):
            group_path = f"{path}.hostGroups[{i}]"
            if spec["name"] in names:
                self.problem(f"{group_path}.name", f"Host group '{spec['name']}' is defined twice.")
                continue
            names.add(spec["name"])
            group = HostGroup(server_id=server.id, name=spec["name"], created_ms=self.now)
            self.session.add(group)
            self.session.flush()
            members = []
            for j, host_name in enumerate(spec["hosts"]):
                host = hosts.get(host_name)
                if host is None:
                    self.problem(f"{group_path}.hosts[{j}]", f"No host '{host_name}' here.")
                elif host.host_group_id is not None:
                    self.problem(
                        f"{group_path}.hosts[{j}]",
                        f"Host '{host_name}' is already in another host group.",
                    )
                else:
                    host.host_group_id = group.id
                    members.append(host)
            self._map(array, members, volumes, spec["luns"], f"{group_path}.luns", group)

    def _networks(self, server: Server, specs: list[dict], path: str) -> None:
        names: set[str] = set()
        for i, spec in enumerate(specs):
            if spec["name"] in names:
                self.problem(f"{path}.networks[{i}].name", f"Network '{spec['name']}' twice.")
                continue
            names.add(spec["name"])
            wwpn = spec["wwpn"]
            if wwpn is not None:
                try:
                    wwpn = normalize_wwn(wwpn)
                except ValueError as error:
                    self.problem(f"{path}.networks[{i}].wwpn", str(error))
            iqn = spec["iqn"]
            if iqn is not None:
                try:
                    iqn = normalize_iscsi_name(iqn)
                except ValueError as error:
                    self.problem(f"{path}.networks[{i}].iqn", str(error))
            self.session.add(
                Network(
                    server_id=server.id,
                    name=spec["name"],
                    ip_address=spec["ipAddress"],
                    wwpn=wwpn,
                    iqn=iqn,
                    server_group_key=spec["serverGroupKey"],
                    created_ms=self.now,
                    **spec["config"],
                )
            )

    # -- consistency groups and partners ----------------------------------------------------

    def _remote_arrays(
        self, server: Server, specs: list[dict], path: str
    ) -> dict[str, RemoteArray]:
        partners: dict[str, RemoteArray] = {}
        for i, spec in enumerate(specs):
            if spec["name"] in partners:
                self.problem(f"{path}.remoteArrays[{i}].name", f"'{spec['name']}' twice.")
                continue
            partner = RemoteArray(
                server_id=server.id,
                name=spec["name"],
                host_address=spec["hostAddress"],
                created_ms=self.now,
            )
            self.session.add(partner)
            partners[spec["name"]] = partner
            if spec["array"]:
                self.partner_links.append(
                    (spec["array"], partner, f"{path}.remoteArrays[{i}].array")
                )
        self.session.flush()
        return partners

    def _consistency_groups(self, server, volumes, partners, specs, path) -> None:
        names: set[str] = set()
        for i, spec in enumerate(specs):
            group_path = f"{path}.consistencyGroups[{i}]"
            if spec["name"] in names:
                self.problem(f"{group_path}.name", f"Group '{spec['name']}' is defined twice.")
                continue
            names.add(spec["name"])
            group = ConsistencyGroup(
                server_id=server.id,
                name=spec["name"],
                created_ms=self.now - spec["age"],
                incremental=spec["incremental"],
                replication_target=spec["replicationTarget"],
            )
            self.session.add(group)
            self.session.flush()
            members: list[Volume] = []
            for j, volume_name in enumerate(spec["volumes"]):
                volume = volumes.get(volume_name)
                if volume is None and (server.id, volume_name) in self.broken_volumes:
                    continue
                if volume is None:
                    self.problem(f"{group_path}.volumes[{j}]", f"No volume '{volume_name}' here.")
                elif volume.consistency_group_id is not None:
                    self.problem(
                        f"{group_path}.volumes[{j}]",
                        f"Volume '{volume_name}' is already in another consistency group.",
                    )
                else:
                    volume.consistency_group_id = group.id
                    members.append(volume)
            for j, target in enumerate(spec["targets"]):
                partner = partners.get(target)
                if partner is None:
                    self.problem(
                        f"{group_path}.targets[{j}]",
                        f"No remote array '{target}' on this server (see remoteArrays).",
                    )
                    continue
                self.session.add(
                    CgReplicationTarget(consistency_group_id=group.id, remote_array_id=partner.id)
                )
            for j, snap_spec in enumerate(spec["snapshots"]):
                self._cg_snapshot(group, members, snap_spec, f"{group_path}.snapshots[{j}]")

    def _cg_snapshot(self, group, members, spec, path) -> None:
        created = self.now - spec["age"]
        cg_snapshot = CgSnapshot(
            consistency_group_id=group.id, name=spec["name"], created_ms=created
        )
        self.session.add(cg_snapshot)
        self.session.flush()
        for volume in members:
            clash = self.session.scalar(
                select(Snapshot.id).where(
                    Snapshot.volume_id == volume.id, Snapshot.name == spec["name"]
                )
            )
            if clash is not None:
                self.problem(
                    f"{path}.name",
                    f"Volume '{volume.name}' already has a snapshot named '{spec['name']}'.",
                )
                continue
            self.session.add(
                Snapshot.of(
                    volume, name=spec["name"], created_ms=created, cg_snapshot_id=cg_snapshot.id
                )
            )
        self.session.flush()

    def _link_partners(self) -> None:
        for array_name, partner, path in self.partner_links:
            array_id = self.session.scalar(select(Array.id).where(Array.name == array_name))
            if array_id is None:
                self.problem(path, f"No array named '{array_name}' in this fixture or database.")
            else:
                partner.partner_array_id = array_id


def seed(
    session: Session, text: str, source: str, *, replace: bool = False, record: bool = True
) -> list[Array]:
    """Load a fixture document; ``FixtureError`` lists every problem (nothing is loaded).

    ``replace`` empties the lab first. ``record`` keeps the document, so that
    ``mockarray reset`` can load it again.
    """
    document = parse(text, source)
    if replace:
        wipe(session)
    loader = _Loader(session, source)
    arrays = loader.load(document)
    if loader.problems:
        # The caller's transaction is rolled back: nothing of the document stays.
        raise FixtureError(source, loader.problems)
    if record:
        session.add(LabFixture(source=source, document=text))
    session.flush()
    return arrays


def wipe(session: Session, *, forget_fixtures: bool = True) -> None:
    """Remove every array (and so everything on them) and every session."""
    # Arrays take their servers, and those everything on them, by ON DELETE CASCADE.
    session.execute(delete(PluginSession))
    session.execute(delete(Array))
    if forget_fixtures:
        session.execute(delete(LabFixture))
    session.flush()


def reset(session: Session, *, empty: bool = False) -> list[Array]:
    """Back to the fixtures that were seeded (or to an empty lab)."""
    fixtures = list(session.scalars(select(LabFixture).order_by(LabFixture.id)))
    wipe(session, forget_fixtures=empty)
    arrays: list[Array] = []
    if not empty:
        for fixture in fixtures:
            arrays += seed(session, fixture.document, fixture.source, record=False)
    return arrays


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Array))
