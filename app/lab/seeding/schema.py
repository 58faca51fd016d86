"""The fixture format, as marshmallow schemas (see ``docs/fixtures.md``).

Keys follow the guide's camelCase. Unknown keys are errors: a typo in a lab
fixture should stop the seed, not silently drop a setting.
"""

from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import fields, validate

from mockarray.array import capabilities
from mockarray.array.capabilities import Capability, Group
from mockarray.array.models import SplitSupport
from mockarray.fields import Age, Boolean, Size, WholeNumber

NAME = validate.Length(min=1, max=255)
OUI = re.compile(r"^[0-9a-fA-F]{6}$")


class Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


def _flag(capability: Capability) -> Boolean:
    return Boolean(metadata={"description": f"{capability.meaning}; default {capability.default}"})


ServerSupports = Strict.from_dict(
    capabilities.schema_fields(Group.SUPPORTS, _flag), name="ServerSupports"
)
ServerConfig = Strict.from_dict(
    capabilities.schema_fields(Group.CONFIG, _flag), name="ServerConfig"
)


class PoolFixture(Strict):
    name = fields.String(required=True, validate=NAME)
    capacity = Size(required=True)


class SnapshotFixture(Strict):
    name = fields.String(required=True, validate=NAME)
    age = Age(load_default=0)
    used = Size(load_default=0, metadata={"description": "space the snapshot holds on its own"})
    groundCloneRequired = Boolean(load_default=False)
    isAutoDelete = Boolean(load_default=False)


class VolumeSupports(Strict):
    revert = Boolean(load_default=True)
    split = fields.Enum(SplitSupport, load_default=SplitSupport.ANY_TIME)
    autoGrowVadpRep = Boolean(load_default=False)


class LunFixture(Strict):
    name = fields.String(validate=NAME)
    online = Boolean(load_default=True)
    privateIscsiTarget = fields.String()


# One instance each, made once: a schema costs far more to make than to use (once per volume).
_LUN = LunFixture()
_VOLUME_SUPPORTS = VolumeSupports()


class LunOrFlag(fields.Field):
    """``lun: true`` or ``lun: {name: ..., online: ...}``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is True:
            return _LUN.load({})
        if value is False or value is None:
            return None
        if isinstance(value, dict):
            return _LUN.load(value)
        raise ma.ValidationError("Expected true, false or a mapping with name/online.")


class CloneOf(Strict):
    volume = fields.String(required=True, validate=NAME)
    snapshot = fields.String(required=True, validate=NAME)


def _frozen(value):
    """A hashable form of a plain YAML value that tells apart what the fields tell
    apart (``1``, ``1.0`` and ``True`` are three values); None when it has none."""
    kind = type(value)
    if kind is dict:
        items = [(key, _frozen(item)) for key, item in value.items()]
        if any(not isinstance(key, str) or item is None for key, item in items):
            return None
        return (dict, tuple(sorted(items)))
    if kind is list:
        items = [_frozen(item) for item in value]
        return None if any(item is None for item in items) else (list, tuple(items))
    if kind in (str, int, float, bool) or value is None:
        return (kind, value)
    return None


def _copied(value):
    """A copy of a loaded object that shares no dict or list with it."""
    if type(value) is dict:
        return {key: _copied(item) for key, item in value.items()}
    if type(value) is list:
        return [_copied(item) for item in value]
    return value


class NamedLikeBefore(fields.Nested):
    """A nested object of a long list (a server's volumes). One written as an earlier
    one but for its ``name`` is not loaded again: the earlier one's result is copied,
    with this name, checked by the schema's own ``name`` field. A generated lab
    repeats one volume thousands of times, and loading each was most of a large
    seed's validation. The result, and every problem (an object with one is
    loaded in full, and never remembered), are as the schema's own."""

    #: Objects remembered per field (a fixture lists few kinds of volume).
    REMEMBERED = 64

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        if type(value) is not dict or type(value.get("name")) is not str or partial:
            return super()._deserialize(value, attr, data, partial=partial, **kwargs)
        key = _frozen({k: v for k, v in value.items() if k != "name"})
        memo = self.__dict__.setdefault("_loaded", {})
        loaded = memo.get(key) if key is not None else None
        if loaded is not None:
            try:
                name = self.schema.fields["name"].deserialize(value["name"])
            except ma.ValidationError:
                loaded = None
            else:
                return {**_copied(loaded), "name": name}
        result = super()._deserialize(value, attr, data, partial=partial, **kwargs)
        if key is not None and len(memo) < self.REMEMBERED:
            memo[key] = _copied(result)
        return result


class VolumeFixture(Strict):
    name = fields.String(required=True, validate=NAME)
    pool = fields.String(validate=NAME, metadata={"description": "default: the first pool"})
    size = Size()
    used = Size()
    thin = Boolean(load_default=True)
    type = fields.String(load_default="block", validate=validate.Length(min=1, max=64))
    serverGroupKey = fields.String(load_default=None)
    supports = fields.Nested(VolumeSupports, load_default=lambda: _VOLUME_SUPPORTS.load({}))
    age = Age(load_default=0)
    mountPath = fields.String(load_default=None)
    lun = LunOrFlag(
        load_default=None,
        metadata={
            # What the OpenAPI documents say of it (the control plane's POST /seed).
            "oneOf": [
                {"type": "boolean"},
                {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "minLength": 1, "maxLength": 255},
                        "online": {"type": "boolean", "default": True},
                        "privateIscsiTarget": {"type": "string"},
                    },
                    "additionalProperties": False,
                },
            ],
            "description": "true for a LUN with the defaults, or its name, online and "
            "privateIscsiTarget",
        },
    )
    cloneOf = fields.Nested(CloneOf, load_default=None)
    split = Boolean(load_default=False, metadata={"description": "clone already split"})
    snapshots = fields.List(fields.Nested(SnapshotFixture), load_default=list)


class LunRef(Strict):
    volume = fields.String(required=True, validate=NAME)
    lunNumber = WholeNumber(bits=32, required=True, validate=validate.Range(min=0, max=16383))


class HostFixture(Strict):
    name = fields.String(required=True, validate=NAME)
    iqns = fields.List(fields.String(), load_default=list)
    wwns = fields.List(fields.String(), load_default=list)
    serverGroupKeys = fields.List(fields.String(), load_default=list)
    luns = fields.List(fields.Nested(LunRef), load_default=list)


class HostGroupFixture(Strict):
    name = fields.String(required=True, validate=NAME)
    hosts = fields.List(fields.String(validate=NAME), load_default=list)
    luns = fields.List(fields.Nested(LunRef), load_default=list)


class NetworkConfig(Strict):
    nfs = Boolean(load_default=False)
    cifs = Boolean(load_default=False)
    iscsi = Boolean(load_default=False)
    fc = Boolean(load_default=False)


class NetworkFixture(Strict):
    name = fields.String(required=True, validate=NAME)
    ipAddress = fields.String(load_default=None)
    wwpn = fields.String(load_default=None)
    iqn = fields.String(load_default=None)
    serverGroupKey = fields.String(load_default=None)
    config = fields.Nested(NetworkConfig, required=True)


class CgSnapshotFixture(Strict):
    name = fields.String(required=True, validate=NAME)
    age = Age(load_default=0)


class ConsistencyGroupFixture(Strict):
    name = fields.String(required=True, validate=NAME)
    volumes = fields.List(fields.String(validate=NAME), load_default=list)
    incremental = Boolean(load_default=False)
    replicationTarget = Boolean(load_default=False)
    targets = fields.List(fields.String(validate=NAME), load_default=list)
    age = Age(load_default=0)
    snapshots = fields.List(fields.Nested(CgSnapshotFixture), load_default=list)


class RemoteArrayFixture(Strict):
    name = fields.String(required=True, validate=NAME)
    hostAddress = fields.String(required=True, validate=NAME)
    array = fields.String(
        load_default=None, metadata={"description": "name of a partner array simulated here"}
    )


class ServerFixture(Strict):
    id = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9._-]{1,64}$"))
    name = fields.String(validate=NAME)
    supports = fields.Nested(ServerSupports, load_default=dict)
    config = fields.Nested(ServerConfig, load_default=dict)
    parity = fields.String(load_default="RAID6")
    systemSize = Size(load_default=0)
    dataReduction = fields.Float(load_default=1.0, validate=validate.Range(min=1.0))
    pools = fields.List(fields.Nested(PoolFixture), load_default=list)
    volumes = fields.List(NamedLikeBefore(VolumeFixture), load_default=list)
    hosts = fields.List(fields.Nested(HostFixture), load_default=list)
    hostGroups = fields.List(fields.Nested(HostGroupFixture), load_default=list)
    networks = fields.List(fields.Nested(NetworkFixture), load_default=list)
    consistencyGroups = fields.List(fields.Nested(ConsistencyGroupFixture), load_default=list)
    remoteArrays = fields.List(fields.Nested(RemoteArrayFixture), load_default=list)


class ArrayFixture(Strict):
    name = fields.String(required=True, validate=NAME)
    hostname = fields.String(required=True, validate=NAME)
    ipAddress = fields.String(required=True, validate=validate.Length(min=1, max=64))
    port = WholeNumber(bits=32, load_default=443, validate=validate.Range(min=1, max=65535))
    vendor = fields.String(load_default="Mockarray")
    model = fields.String(load_default="MA-9000")
    version = fields.String(load_default="1.0.0")
    serialNumber = fields.String(validate=validate.Length(min=1, max=64))
    naaOui = fields.String(load_default="0a0b0c", validate=validate.Regexp(OUI))
    username = fields.String(required=True, validate=NAME)
    password = fields.String(required=True, validate=validate.Length(min=1, max=255))
    servers = fields.List(fields.Nested(ServerFixture), load_default=lambda: [{}])


class LabFixtureSchema(Strict):
    arrays = fields.List(fields.Nested(ArrayFixture), required=True)


class StoredArrayFixture(ArrayFixture):
    """An array as the lab keeps its fixture for a reset (``lab_fixture``): the
    salted hash of its password, never the password. Only a reset reads this form;
    a user's fixture gives ``password``."""

    passwordHash = fields.String(required=True, validate=validate.Length(min=1, max=255))


class StoredLabFixtureSchema(Strict):
    arrays = fields.List(fields.Nested(StoredArrayFixture, exclude=("password",)), required=True)
