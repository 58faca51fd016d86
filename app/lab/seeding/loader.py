"""Seeding arrays from fixture documents, all or nothing.

The loader builds what a document describes through the array's own functions
(``mockarray.array``), under the seeding clock (an ``age`` sets a creation time
in the past), so every rule of the array is checked once, where the API checks
it, and a refusal has the API's wording. ``seed()`` reports every problem of the
document in one run (shape, references and the array's rules), each with its
place in the document (``arrays[0].servers[1].volumes[3].size``). It loads
nothing unless the whole document is good: the caller's transaction is rolled
back on error. ``check()`` does the same and loads nothing either way.

The document is kept for ``reset()`` without its secrets: each array's
``password`` is replaced by the salted hash the array stores
(``passwordHash``, ``stored_document``), a form only ``reset()`` accepts.
The state a seed leaves is kept too, as a checkpoint (``baseline``): ``reset()``
puts it back with the same ids.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from importlib.resources import files

import marshmallow as ma
import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

from mockarray.array import arrays as builder
from mockarray.array import capacity, clock, groups, hosts, snapshots, tasks, volumes
from mockarray.array.capabilities import Group
from mockarray.array.models import Array, Host, PluginSession, Server, Snapshot, Volume
from mockarray.array.registry import Registry
from mockarray.errors import ArrayError, flatten
from mockarray.lab.bulk import Progress, Tally, collector_paused, statistics_refreshed
from mockarray.lab.models import LabFixture
from mockarray.lab.seeding import baseline
from mockarray.lab.seeding.schema import (
    LabFixtureSchema,
    ServerFixture,
    StoredLabFixtureSchema,
)
from mockarray.units import format_sizes

DEMO_FIXTURE = "demo.yaml"

#: The C YAML parser when PyYAML was built with it (much faster on big fixtures).
YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YamlDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

#: Lists of objects in the document: a shape problem drops the object it is in.
OBJECT_LISTS = {
    "arrays",
    "servers",
    "pools",
    "volumes",
    "snapshots",
    "hosts",
    "luns",
    "hostGroups",
    "networks",
    "consistencyGroups",
    "remoteArrays",
}
#: Lists of names (not objects): a problem there drops the object that holds the list.
NAME_LISTS = {("consistencyGroups", "volumes"), ("hostGroups", "hosts")}
#: How problems name the kinds of objects that are not one word.
LABELS = {
    "hostGroup": "Host group",
    "consistencyGroup": "Consistency group",
    "remote": "Remote array",
    "cgSnapshot": "Group snapshot",
}
_SEGMENT = re.compile(r"([A-Za-z_]+)((?:\[\d+\])*)")
#: What an array's entry holds that a seeded document is never shown with.
SECRETS = ("password", "passwordHash")
#: Problems a refusal's message spells out (all are in its ``fields``).
PROBLEMS_IN_MESSAGE = 20
#: How a clash with an array of the lab says how to start afresh.
REPLACE_HINT = (
    " Seed with replace to start from an empty lab ('mockarray seed --replace', "
    "'POST /mockarray/api/seed?replace=true')."
)


class FixtureError(ArrayError):
    """A fixture that cannot be loaded; ``problems`` are ``(path, message)`` pairs.

    Over HTTP (``POST /mockarray/api/seed``) it is answered as any refusal: each
    problem under its path in ``fields``; ``409`` when every problem is an
    array the lab already has (``conflicts``: their paths), else ``400``.
    """

    def __init__(
        self, source: str, problems: list[tuple[str, str]], conflicts: set[str] | None = None
    ):
        self.source = source
        self.problems = problems
        clashes = conflicts or set()
        self.status = 409 if problems and all(path in clashes for path, _ in problems) else 400
        fields: dict[str, list[str]] = {}
        for path, message in problems:
            fields.setdefault(path, []).append(message)
        listed = " ".join(
            f"{path}: {message}" + ("" if message.endswith(".") else ".")
            for path, message in problems[:PROBLEMS_IN_MESSAGE]
        )
        more = len(problems) - PROBLEMS_IN_MESSAGE
        if more > 0:
            listed += f" And {more} more (see 'errors')."
        super().__init__(f"{self.summary} {listed}", fields=fields)

    @property
    def summary(self) -> str:
        return f"{self.source}: {len(self.problems)} problem(s); nothing was loaded."

    def __str__(self) -> str:
        lines = [f"{self.source}: {path}: {message}" for path, message in self.problems]
        return "\n".join(lines)


def demo_fixture_text() -> str:
    return files("mockarray.lab.seeding").joinpath(DEMO_FIXTURE).read_text(encoding="utf-8")


def _broken_object(path: str) -> str | None:
    """The place of the object a shape problem at ``path`` is in (``None``: the document)."""
    place, parent, found = "", None, None
    for name, indexes in _SEGMENT.findall(path):
        place = f"{place}.{name}{indexes}" if place else f"{name}{indexes}"
        if indexes and name in OBJECT_LISTS and (parent, name) not in NAME_LISTS:
            found = place
        parent = name
    return found


@dataclass
class Parsed:
    """A fixture's text read and validated for shape."""

    #: The document as written (plain YAML values), None when it is not a mapping.
    raw: dict | None
    #: Its good parts as the schema loads them, None when nothing can be built.
    document: dict | None
    problems: list[tuple[str, str]]
    #: Places of the objects that shape problems drop.
    dropped: set[str]


def read_document(text: str, *, stored: bool = False):
    """The text's document. A kept fixture (``stored``) written as JSON, as
    ``stored_document`` writes it, is read as such: JSON is YAML, but a JSON
    parser reads it many times faster. ``yaml.YAMLError`` when it is not YAML."""
    if stored and text.startswith("{"):
        with contextlib.suppress(ValueError):
            return json.loads(text)
    try:
        return _plain_yaml(text)
    except _NotPlain:
        return yaml.load(text, Loader=YamlLoader)


_STR = "tag:yaml.org,2002:str"
#: Resolved tags that are not values of their own (merge keys, ``=``).
_NOT_VALUES = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")


class _NotPlain(Exception):
    """The document has what ``_plain_yaml`` leaves to PyYAML's own loader."""


def _plain_yaml(text: str):
    """The single document of ``text``, as ``yaml.load`` reads it, built straight
    from the parser's events: PyYAML first builds a node for every value of the
    whole document, then the values, which for a large fixture took twice the
    time and most of a seed's memory. A document with anchors, aliases, explicit
    tags (but ``!!str``), merge keys or keys that are lists or mappings is
    ``_NotPlain``: PyYAML's loader reads it, with its own errors. A document
    that is not YAML raises the parser's error, as ``yaml.load`` does."""
    loader = YamlLoader(text)
    try:
        next_event = loader.get_event
        next_event()  # the stream's start
        if not isinstance(next_event(), DocumentStartEvent):
            raise _NotPlain
        constructors, resolve = loader.yaml_constructors, loader.resolve
        # The open collections: (collection, its pending key as a 1-tuple, is a mapping).
        open_collections: list[tuple] = []
        document = collection = key = None
        is_mapping = False
        while True:
            event = next_event()
            kind = type(event)
            if kind is ScalarEvent:
                tag = event.tag
                if event.anchor is not None or tag not in (None, "!", _STR):
                    raise _NotPlain
                if tag != _STR:
                    tag = resolve(ScalarNode, event.value, event.implicit)
                if tag == _STR:
                    value = event.value
                elif tag in _NOT_VALUES or tag not in constructors:
                    raise _NotPlain
                else:
                    node = ScalarNode(tag, event.value, event.start_mark, event.end_mark)
                    value = constructors[tag](loader, node)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.anchor is not None or event.tag not in (None, "!"):
                    raise _NotPlain
                open_collections.append((collection, key, is_mapping))
                is_mapping = kind is MappingStartEvent
                collection, key = ({} if is_mapping else []), None
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                value = collection
                collection, key, is_mapping = open_collections.pop()
            elif kind is DocumentEndEvent:
                break
            else:
                raise _NotPlain
            if collection is None:
                document = value
            elif not is_mapping:
                collection.append(value)
            elif key is None:
                if type(value) in (dict, list):
                    raise _NotPlain
                key = (value,)
            else:
                collection[key[0]] = value
                key = None
        if not isinstance(next_event(), StreamEndEvent):
            raise _NotPlain
        return document
    finally:
        loader.dispose()


def parse(text: str, source: str, *, stored: bool = False) -> Parsed:
    """The fixture's YAML validated for shape: the document (its good parts, or None),
    the shape problems and the places of the objects they drop. ``stored``: the
    form the lab keeps for a reset (``passwordHash`` instead of ``password``)."""
    try:
        raw = read_document(text, stored=stored)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(document)"
        problem = getattr(error, "problem", None) or str(error)
        return Parsed(None, None, [(where, f"Not valid YAML: {problem}.")], set())
    if not isinstance(raw, dict):
        problem = ("(document)", "Expected a mapping with an 'arrays' list.")
        return Parsed(None, None, [problem], set())
    try:
        schema = StoredLabFixtureSchema() if stored else LabFixtureSchema()
        return Parsed(raw, schema.load(raw), [], set())
    except ma.ValidationError as error:
        problems = sorted(
            (path, " ".join(messages)) for path, messages in flatten(error.messages).items()
        )
        dropped = {_broken_object(path) for path, _ in problems}
        valid = error.valid_data if isinstance(error.valid_data, dict) else {}
        if None in dropped or not isinstance(valid.get("arrays"), list):
            return Parsed(raw, None, problems, set())
        return Parsed(raw, valid, problems, dropped)


def count_objects(document: dict) -> int:
    """How many objects the document lists (in its ``OBJECT_LISTS``): the units
    of a seed's progress."""
    count = 0
    pending = [document]
    while pending:
        spec = pending.pop()
        for key, value in spec.items():
            if key in OBJECT_LISTS and isinstance(value, list):
                objects = [item for item in value if isinstance(item, dict)]
                count += len(objects)
                pending += objects
    return count


class _Refused(Exception):
    """An object of the document was not built (its problem is already reported)."""


@dataclass
class _Loader:
    """Builds the objects of one document through the array's functions, collecting
    every problem on the way (a refused object is skipped, and so are the references
    to it: one problem is reported once)."""

    session: Session
    problems: list[tuple[str, str]] = field(default_factory=list)
    #: Places of the objects dropped for a shape problem.
    dropped: set[str] = field(default_factory=set)
    #: (kind, scope, name) of objects that were refused: references to them are quiet.
    #: The scope is a server's id, or the volume (object) of a snapshot.
    refused: set[tuple[str, object, str]] = field(default_factory=set)
    #: (remote array object, array name, path) to link once every array exists.
    partner_links: list = field(default_factory=list)
    #: Names of the arrays this document made (a clash with them needs no --replace).
    made: dict[str, set[str]] = field(default_factory=dict)
    #: Places of the problems that are an array the lab already has.
    clashes: set[str] = field(default_factory=set)
    now: int = 0
    room: capacity.Room | None = None
    #: Names and LUN numbers taken, in memory: no query per object, flushes in batches.
    registry: Registry | None = None
    #: Objects of the document gone through (built or not), for progress.
    tally: Tally = field(default_factory=Tally)

    def problem(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def refusal(self, path: str, error: ArrayError) -> None:
        """The array's refusal, at the place of the field it names (if it names one)."""
        if error.fields and len(error.fields) == 1:
            (name,) = error.fields
            self.problem(f"{path}.{name}", error.message)
        else:
            self.problem(path, error.message)

    def build(self, path: str, age: int, make, *args, **kwargs):
        """``make(...)`` at the time ``age`` ago; ``_Refused`` (reported) when the array refuses."""
        try:
            with clock.pinned(self.session, self.now - age):
                return make(*args, **kwargs)
        except ArrayError as error:
            self.refusal(path, error)
            raise _Refused from None

    def items(self, specs: list, path: str, kind: str, scope: object):
        """``(index, spec, place)`` of the list's objects that are not dropped, each name once."""
        names: set[str] = set()
        for i, spec in enumerate(specs):
            self.tally.add()
            place = f"{path}[{i}]"
            name = spec.get("name") if isinstance(spec, dict) else None
            if place in self.dropped or not isinstance(spec, dict):
                if name:
                    self.refused.add((kind, scope, name))
                continue
            if name in names:
                label = LABELS.get(kind, kind.capitalize())
                self.problem(f"{place}.name", f"{label} '{name}' is defined twice.")
                continue
            names.add(name)
            yield i, spec, place

    def missing(self, kind: str, scope: object, name: str, path: str, message: str) -> None:
        if (kind, scope, name) not in self.refused:
            self.problem(path, message)

    # -- arrays -------------------------------------------------------------------

    def load(self, document: dict) -> list[Array]:
        # Ages count back from the simulated clock, like every new object's time.
        self.now = clock.now(self.session)
        self.room = capacity.Room(self.session)
        self.registry = Registry(self.session)
        arrays = []
        for _i, spec, place in self.items(document["arrays"], "arrays", "array", 0):
            try:
                arrays.append(self._array(spec, place))
            except _Refused:
                continue
        for partner, array_name, path in self.partner_links:
            with contextlib.suppress(_Refused):
                self.build(path, 0, builder.link_partner, self.session, partner, array_name)
        self.registry.flush()
        return arrays

    def _array(self, spec: dict, path: str) -> Array:
        values = {
            "name": spec["name"],
            "hostname": spec["hostname"],
            "ip_address": spec["ipAddress"],
            "port": spec["port"],
            "vendor": spec["vendor"],
            "model": spec["model"],
            "version": spec["version"],
            "serial_number": spec.get("serialNumber"),
            "naa_oui": spec["naaOui"],
            "username": spec["username"],
            "password": spec.get("password"),
            "password_hash": spec.get("passwordHash"),
        }
        try:
            with clock.pinned(self.session, self.now):
                array = builder.create_array(self.session, **values)
        except ArrayError as error:
            (key,) = error.fields
            value = {
                "name": spec["name"],
                "hostname": spec["hostname"].strip().lower(),
                "ipAddress": spec["ipAddress"],
                "serialNumber": spec.get("serialNumber") or f"MA-{spec['name'].upper()}",
            }[key]
            mine = value in self.made.get(key, set())
            if not mine:
                self.clashes.add(f"{path}.{key}")
            self.problem(f"{path}.{key}", error.message + ("" if mine else REPLACE_HINT))
            raise _Refused from None
        for key, column in builder.IDENTITIES.items():
            self.made.setdefault(key, set()).add(getattr(array, column.key))
        servers = spec["servers"] or [ServerFixture().load({})]
        for i, server_spec in enumerate(servers):
            self.tally.add()
            server_path = f"{path}.servers[{i}]"
            if server_path in self.dropped:
                continue
            key = server_spec.get("id") or ("0" if len(servers) == 1 else str(i + 1))
            name = server_spec.get("name") or (
                array.name if len(servers) == 1 else f"{array.name}-vs{key}"
            )
            try:
                server = self.build(
                    server_path,
                    0,
                    builder.create_server,
                    self.session,
                    array,
                    key=key,
                    name=name,
                    flags={group: server_spec[group] for group in Group},
                    parity=server_spec["parity"],
                    system_size_bytes=server_spec["systemSize"],
                    data_reduction=server_spec["dataReduction"],
                )
            except _Refused:
                continue
            self._server(array, server, server_spec, server_path)
        # Splits made before the fixture's moment are complete: the clones are independent.
        tasks.settle(self.session, array.id, self.now)
        return array

    # -- servers and what they hold ---------------------------------------------------

    def _server(self, array: Array, server: Server, spec: dict, path: str) -> None:
        pools = {}
        for _, pool_spec, place in self.items(spec["pools"], f"{path}.pools", "pool", server.id):
            try:
                pools[pool_spec["name"]] = self.build(
                    place,
                    0,
                    builder.create_pool,
                    self.session,
                    server,
                    name=pool_spec["name"],
                    capacity=pool_spec["capacity"],
                )
            except _Refused:
                self.refused.add(("pool", server.id, pool_spec["name"]))
        partners = {}
        for _, partner_spec, place in self.items(
            spec["remoteArrays"], f"{path}.remoteArrays", "remote", server.id
        ):
            try:
                partner = self.build(
                    place,
                    0,
                    builder.create_remote_array,
                    self.session,
                    server,
                    name=partner_spec["name"],
                    host_address=partner_spec["hostAddress"],
                )
            except _Refused:
                self.refused.add(("remote", server.id, partner_spec["name"]))
                continue
            partners[partner_spec["name"]] = partner
            if partner_spec["array"]:
                self.partner_links.append((partner, partner_spec["array"], f"{place}.array"))
        # Networks first: which protocols the server serves decides its mappings.
        for _, network_spec, place in self.items(
            spec["networks"], f"{path}.networks", "network", server.id
        ):
            try:
                self.build(
                    place,
                    0,
                    builder.create_network,
                    self.session,
                    server,
                    name=network_spec["name"],
                    ip_address=network_spec["ipAddress"],
                    wwpn=network_spec["wwpn"],
                    iqn=network_spec["iqn"],
                    server_group_key=network_spec["serverGroupKey"],
                    **network_spec["config"],
                )
            except _Refused:
                continue
        made = self._volumes(server, pools, spec["volumes"], path)
        host_objects = self._hosts(server, made, spec["hosts"], path)
        self._host_groups(server, host_objects, made, spec["hostGroups"], path)
        self._consistency_groups(server, made, spec["consistencyGroups"], path)
        self.session.flush()

    def _volumes(self, server, pools, specs, path) -> dict[str, Volume]:
        made: dict[str, Volume] = {}
        snaps: dict[tuple[str, str], Snapshot] = {}
        for _, spec, place in self.items(specs, f"{path}.volumes", "volume", server.id):
            try:
                volume = self._volume(server, pools, made, snaps, spec, place)
            except _Refused:
                self.refused.add(("volume", server.id, spec["name"]))
                continue
            made[spec["name"]] = volume
            if spec["lun"] is not None:
                # Every block volume has its LUN (made with it); the fixture describes it.
                lun = self.registry.lun(volume)
                if lun is None:
                    self.problem(
                        f"{place}.lun",
                        f"Volume '{volume.name}' is a file (NAS) volume (type "
                        f"'{volume.volume_type}'): it has no LUN.",
                    )
                else:
                    lun.name = spec["lun"].get("name") or lun.name
                    lun.online = spec["lun"]["online"]
                    lun.private_iscsi_target = spec["lun"].get("privateIscsiTarget")
            for _, snap_spec, snap_place in self.items(
                spec["snapshots"], f"{place}.snapshots", "snapshot", volume
            ):
                try:
                    snaps[(spec["name"], snap_spec["name"])] = self.build(
                        snap_place,
                        snap_spec["age"],
                        snapshots.take_snapshot,
                        self.session,
                        server,
                        volume,
                        name=snap_spec["name"],
                        is_auto_delete=snap_spec["isAutoDelete"],
                        ground_clone_required=snap_spec["groundCloneRequired"],
                        own_bytes=snap_spec["used"],
                        room=self.room,
                        registry=self.registry,
                    )
                except _Refused:
                    self.refused.add(("snapshot", volume, snap_spec["name"]))
        return made

    def _pool_for(self, server, pools, spec, path):
        if spec.get("pool"):
            pool = pools.get(spec["pool"])
            if pool is None:
                known = ", ".join(pools) or "none"
                self.missing(
                    "pool",
                    server.id,
                    spec["pool"],
                    f"{path}.pool",
                    f"Server '{server.key}' has no pool '{spec['pool']}' (pools: {known}).",
                )
                raise _Refused
            return pool
        if not pools:
            self.problem(
                f"{path}.pool", f"Server '{server.key}' has no pools: define one under 'pools'."
            )
            raise _Refused
        return next(iter(pools.values()))

    def _characteristics(self, spec: dict) -> dict:
        return {
            "volume_type": spec["type"],
            "server_group_key": spec["serverGroupKey"],
            "supports_revert": spec["supports"]["revert"],
            "split_support": spec["supports"]["split"],
            "auto_grow_vadp_rep": spec["supports"]["autoGrowVadpRep"],
            "mount_path": spec["mountPath"],
        }

    def _volume(self, server, pools, made, snaps, spec, path) -> Volume:
        if not spec["cloneOf"]:
            pool = self._pool_for(server, pools, spec, path)
            if spec.get("size") is None:
                self.problem(f"{path}.size", "Missing: every volume but a clone needs a size.")
                raise _Refused
            return self.build(
                path,
                spec["age"],
                volumes.create_volume,
                self.session,
                server,
                pool,
                name=spec["name"],
                size=spec["size"],
                used=spec.get("used", 0),
                thin=spec["thin"],
                room=self.room,
                registry=self.registry,
                **self._characteristics(spec),
            )
        source_name, snapshot_name = spec["cloneOf"]["volume"], spec["cloneOf"]["snapshot"]
        source = made.get(source_name)
        if source is None:
            self.missing(
                "volume",
                server.id,
                source_name,
                f"{path}.cloneOf.volume",
                f"No volume '{source_name}' is defined before this clone on server "
                f"'{server.key}' (list a clone after its source).",
            )
            raise _Refused
        parent = snaps.get((source_name, snapshot_name))
        if parent is None:
            self.missing(
                "snapshot",
                source,
                snapshot_name,
                f"{path}.cloneOf.snapshot",
                f"Volume '{source_name}' has no snapshot '{snapshot_name}'.",
            )
            raise _Refused
        characteristics = self._characteristics(spec)
        if spec.get("pool"):
            characteristics["pool_id"] = self._pool_for(server, pools, spec, path).id
        clone = self.build(
            path,
            spec["age"],
            volumes.clone_snapshot,
            self.session,
            server,
            source,
            parent,
            name=spec["name"],
            instant_split=spec["split"],
            size=spec.get("size"),
            thin=spec["thin"],
            room=self.room,
            registry=self.registry,
            **characteristics,
        )
        used = spec.get("used", parent.volume_used_bytes)
        if used < parent.volume_used_bytes:
            self.problem(
                f"{path}.used",
                f"Clone '{spec['name']}' holds at least its snapshot's data "
                f"({format_sizes(used, parent.volume_used_bytes)[1]}).",
            )
            raise _Refused
        if used > clone.used_bytes:
            # Written to since it was made.
            self.build(
                path,
                spec["age"],
                volumes.write,
                self.session,
                clone,
                size=used - clone.used_bytes,
                append=True,
                room=self.room,
            )
        return clone

    # -- hosts, groups, mappings --------------------------------------------------------

    def _hosts(self, server, made, specs, path) -> dict[str, Host]:
        found: dict[str, Host] = {}
        for _, spec, place in self.items(specs, f"{path}.hosts", "host", server.id):
            try:
                host = self.build(
                    place,
                    0,
                    hosts.create_host,
                    self.session,
                    server,
                    name=spec["name"],
                    iqns=spec["iqns"],
                    wwns=spec["wwns"],
                    server_group_keys=spec["serverGroupKeys"],
                    registry=self.registry,
                )
            except _Refused:
                self.refused.add(("host", server.id, spec["name"]))
                continue
            found[spec["name"]] = host
            self._map(server, made, spec["luns"], f"{place}.luns", host=host)
        return found

    def _map(self, server, made, refs, path, *, host=None, group=None, members=()):
        for i, ref in enumerate(refs):
            self.tally.add()
            place = f"{path}[{i}]"
            if place in self.dropped:
                continue
            volume = made.get(ref["volume"])
            if volume is None:
                self.missing(
                    "volume",
                    server.id,
                    ref["volume"],
                    f"{place}.volume",
                    f"Server '{server.key}' has no volume '{ref['volume']}'.",
                )
                continue
            # The volume's LUN (none for a file volume: the mapping is refused).
            lun = self.registry.lun(volume)
            try:
                if group is None:
                    self.build(
                        place,
                        0,
                        hosts.map_lun,
                        self.session,
                        host,
                        lun,
                        volume,
                        ref["lunNumber"],
                        registry=self.registry,
                    )
                else:
                    self.build(
                        place,
                        0,
                        hosts.map_lun_to_group,
                        self.session,
                        group,
                        members,
                        lun,
                        volume,
                        ref["lunNumber"],
                        registry=self.registry,
                    )
            except _Refused:
                continue

    def _host_groups(self, server, found, made, specs, path) -> None:
        for _, spec, place in self.items(specs, f"{path}.hostGroups", "hostGroup", server.id):
            try:
                group = self.build(
                    place, 0, hosts.create_host_group, self.session, server, name=spec["name"]
                )
            except _Refused:
                continue
            members = []
            for j, host_name in enumerate(spec["hosts"]):
                host = found.get(host_name)
                if host is None:
                    self.missing(
                        "host",
                        server.id,
                        host_name,
                        f"{place}.hosts[{j}]",
                        f"Server '{server.key}' has no host '{host_name}'.",
                    )
                    continue
                try:
                    self.build(
                        f"{place}.hosts[{j}]", 0, hosts.add_to_group, self.session, group, host
                    )
                except _Refused:
                    continue
                members.append(host)
            if members:
                self._map(server, made, spec["luns"], f"{place}.luns", group=group, members=members)

    # -- consistency groups --------------------------------------------------------------

    def _consistency_groups(self, server, made, specs, path) -> None:
        for _, spec, place in self.items(
            specs, f"{path}.consistencyGroups", "consistencyGroup", server.id
        ):
            try:
                group = self.build(
                    place,
                    spec["age"],
                    groups.create_group,
                    self.session,
                    server,
                    name=spec["name"],
                    incremental=spec["incremental"],
                    replication_target=spec["replicationTarget"],
                )
            except _Refused:
                continue
            for j, volume_name in enumerate(spec["volumes"]):
                volume = made.get(volume_name)
                if volume is None:
                    self.missing(
                        "volume",
                        server.id,
                        volume_name,
                        f"{place}.volumes[{j}]",
                        f"Server '{server.key}' has no volume '{volume_name}'.",
                    )
                    continue
                try:
                    self.build(f"{place}.volumes[{j}]", 0, groups.join, self.session, group, volume)
                except _Refused:
                    continue
            for j, target in enumerate(spec["targets"]):
                if ("remote", server.id, target) in self.refused:
                    continue
                try:
                    self.build(
                        f"{place}.targets[{j}]",
                        0,
                        groups.add_target,
                        self.session,
                        server,
                        group,
                        target,
                    )
                except _Refused:
                    continue
            self.session.flush()
            for _, snap_spec, snap_place in self.items(
                spec["snapshots"], f"{place}.snapshots", "cgSnapshot", group.id
            ):
                try:
                    self.build(
                        snap_place,
                        snap_spec["age"],
                        groups.snapshot_group,
                        self.session,
                        server,
                        group,
                        name=snap_spec["name"],
                    )
                except _Refused:
                    continue


def _problems(
    session: Session, parsed: Parsed, tally: Tally | None = None
) -> tuple[list[Array], list[tuple[str, str]], set[str]]:
    """Build the parsed document in ``session``; the arrays, every problem found,
    and the places of those that are an array the lab already has."""
    if parsed.document is None:
        return [], parsed.problems, set()
    loader = _Loader(session, dropped=parsed.dropped, tally=tally or Tally())
    arrays = loader.load(parsed.document)
    return arrays, parsed.problems + loader.problems, loader.clashes


def seed(
    session: Session,
    text: str,
    source: str,
    *,
    replace: bool = False,
    record: bool = True,
    stored: bool = False,
    progress: Progress | None = None,
) -> list[Array]:
    """Load a fixture document; ``FixtureError`` lists every problem (nothing is loaded).

    ``replace`` empties the lab first. ``record`` keeps the document (without its
    passwords: ``stored_document``), so that ``mockarray reset`` can load it
    again, and the state it leaves, for ``reset`` to put back (``baseline``);
    ``stored`` reads a document kept so (``reset`` only). ``progress(done,
    total)`` is told how many of the document's objects were gone through.
    """
    with collector_paused():
        if replace:
            wipe(session)
        as_seeded = record and baseline.untouched(session)
        parsed = parse(text, source, stored=stored)
        tally = Tally(count_objects(parsed.document) if parsed.document else 0, progress)
        arrays = _build(session, parsed, source, tally)
        if record:
            record_fixture(session, text, source, arrays, document=parsed.raw)
            if as_seeded:
                baseline.save(session)
        session.flush()
        statistics_refreshed(session)
    tally.finish()
    return arrays


def _build(session: Session, parsed: Parsed, source: str, tally: Tally) -> list[Array]:
    """The arrays of the parsed document, built; ``FixtureError`` lists every problem."""
    tally.add(0)
    arrays, problems, clashes = _problems(session, parsed, tally)
    if problems:
        # The caller's transaction is rolled back: nothing of the document stays.
        raise FixtureError(source, problems, clashes)
    return arrays


def stored_document(text: str, arrays: list[Array], *, document: dict | None = None) -> str:
    """A good fixture document as the lab keeps it for a reset: each array's
    ``password`` replaced by the salted hash its array stores (``passwordHash``),
    so the database never holds a password in clear. ``document`` is the text
    already read (``read_document``), so as not to read it again.

    It is kept as JSON (which is YAML, and a reset reads it many times faster),
    or as YAML when JSON cannot say it (a value JSON has no form for)."""
    if document is None:
        document = yaml.load(text, Loader=YamlLoader)
    hashes = {array.name: array.password_hash for array in arrays}
    document = {
        **document,
        "arrays": [
            {
                **{key: value for key, value in spec.items() if key != "password"},
                "passwordHash": hashes[spec["name"]],
            }
            for spec in document["arrays"]
        ],
    }
    try:
        return json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return yaml.dump(document, Dumper=YamlDumper, sort_keys=False, allow_unicode=True)


def record_fixture(
    session: Session, text: str, source: str, arrays: list[Array], *, document: dict | None = None
) -> None:
    """Keep a seeded document, without its passwords, for ``reset`` (``document``:
    the text already read)."""
    stored = stored_document(text, arrays, document=document)
    session.add(LabFixture(source=source, document=stored))


def check(session: Session, text: str, source: str, *, replace: bool = False) -> list[str]:
    """Validate a fixture document exactly as ``seed`` would, and load nothing: the
    names of the arrays it would make; ``FixtureError`` lists every problem."""
    savepoint = session.begin_nested()
    try:
        with collector_paused():
            if replace:
                wipe(session)
            arrays, problems, clashes = _problems(session, parse(text, source))
            names = [array.name for array in arrays]
    finally:
        savepoint.rollback()
        session.expire_all()
    if problems:
        raise FixtureError(source, problems, clashes)
    return names


def wipe(session: Session, *, forget_fixtures: bool = True) -> None:
    """Remove every array (and so everything on them), every session and the
    seeded state (``baseline``); the seeded fixtures too, unless told not to."""
    # Arrays take their servers, and those everything on them, by ON DELETE CASCADE.
    session.execute(delete(PluginSession))
    session.execute(delete(Array))
    baseline.forget(session)
    if forget_fixtures:
        session.execute(delete(LabFixture))
    session.flush()


def reset(
    session: Session, *, empty: bool = False, progress: Progress | None = None
) -> list[Array]:
    """Back to the fixtures that were seeded, every object with the id it had
    (or to an empty lab, the fixtures forgotten). Every plugin session ends.
    ``progress(done, total)`` is told how far the restore (or the seeding) is.

    The seeded state comes back from its checkpoint (``baseline``); fixtures
    seeded after it was saved (all of them, when there is none) are seeded on
    top, and the checkpoint saved again.
    """
    if empty:
        wipe(session)
        return []
    fixtures = list(session.scalars(select(LabFixture).order_by(LabFixture.id)))
    held = baseline.put_back(session, progress=progress)
    if held is None:
        wipe(session, forget_fixtures=False)
        held = set()
    later = [fixture for fixture in fixtures if fixture.id not in held]
    if later:
        with collector_paused():
            # Every fixture read first: one progress count for them all.
            documents = [
                (fixture.source, parse(fixture.document, fixture.source, stored=True))
                for fixture in later
            ]
            tally = Tally(
                sum(count_objects(parsed.document) for _, parsed in documents if parsed.document),
                None if held else progress,
            )
            for source, parsed in documents:
                _build(session, parsed, source, tally)
            session.flush()
        tally.finish()
        baseline.save(session)
    return list(session.scalars(select(Array).order_by(Array.id)))


def seeded_document(session: Session) -> dict | None:
    """The fixtures seeded so far as one document (their arrays in the order
    seeded), without secrets: no ``password``, no ``passwordHash``. ``None`` when
    nothing was seeded."""
    documents = session.scalars(select(LabFixture.document).order_by(LabFixture.id)).all()
    if not documents:
        return None
    arrays = []
    for text in documents:
        for spec in read_document(text, stored=True)["arrays"]:
            arrays.append({key: value for key, value in spec.items() if key not in SECRETS})
    return {"arrays": arrays}


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Array))
