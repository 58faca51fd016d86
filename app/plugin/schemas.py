"""The guide's bodies as marshmallow schemas: what the views read and answer.

Output schemas carry the guide's fields and no others (``../shared/spec``
README, item 5). Ids are strings, sizes and times numbers, flags booleans.
The same schemas generate the OpenAPI document.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from mockarray.array import capabilities
from mockarray.array.capabilities import Capability, Group
from mockarray.array.models import SplitSupport
from mockarray.fields import Boolean, IdString, WholeNumber
from mockarray.web.dumping import CompiledDumpSchema, Inline


class Schema(CompiledDumpSchema):
    class Meta:
        ordered = True


# -- plugin info, session, storage ------------------------------------------------


class InfoSchema(Schema):
    name = fields.String(required=True)
    id = fields.String(required=True)
    version = fields.String(required=True)
    imageUrl = fields.String(required=True, metadata={"description": "RFC 2397 data URL, 48x48"})
    iconUrl = fields.String(required=True, metadata={"description": "RFC 2397 data URL, 16x16"})


class SessionRequestSchema(Schema):
    hostname = fields.String(load_default=None, validate=ma.validate.Length(max=255))
    ipAddress = fields.String(load_default=None, validate=ma.validate.Length(max=64))
    port = WholeNumber(bits=32, load_default=None, validate=ma.validate.Range(min=1, max=65535))
    username = fields.String(
        load_default=None, metadata={"description": "Alternative to HTTP Basic authorization."}
    )
    password = fields.String(
        load_default=None, metadata={"description": "Alternative to HTTP Basic authorization."}
    )


class SessionSchema(Schema):
    sessionId = fields.String(required=True)
    storageId = IdString(required=True)


class StorageSchema(Schema):
    name = fields.String()
    id = IdString()
    hostName = fields.String(attribute="hostname")
    ipAddress = fields.String(attribute="ip_address")
    port = fields.Integer()
    pluginId = fields.String(attribute="plugin_id")
    vendor = fields.String()
    version = fields.String()
    serverIds = fields.List(fields.String(), attribute="server_ids")


# -- servers ---------------------------------------------------------------------------


def _flag(capability: Capability) -> Boolean:
    return Boolean(attribute=capability.column, metadata={"description": capability.meaning})


ServerSupportsSchema = Schema.from_dict(
    capabilities.schema_fields(Group.SUPPORTS, _flag), name="ServerSupportsSchema"
)
ServerConfigSchema = Schema.from_dict(
    capabilities.schema_fields(Group.CONFIG, _flag), name="ServerConfigSchema"
)


class ServerSchema(Schema):
    id = fields.String(attribute="key")
    name = fields.String()
    supports = Inline(ServerSupportsSchema)
    config = Inline(ServerConfigSchema)


class ServerListSchema(Schema):
    servers = fields.List(fields.Nested(ServerSchema))


class SystemSchema(Schema):
    capacityInBytes = fields.Integer(attribute="capacity_bytes")
    systemSizeInBytes = fields.Integer(attribute="system_size_bytes")
    snapshotsSizeInBytes = fields.Integer(attribute="snapshots_size_bytes")
    volumesSizeInBytes = fields.Integer(attribute="volumes_size_bytes")
    dataReduction = fields.Float(attribute="data_reduction")
    totalSizeInBytes = fields.Integer(attribute="total_size_bytes")
    sharedSpaceInBytes = fields.Integer(attribute="shared_space_bytes")
    thinProvisioning = fields.Float(attribute="thin_provisioning")
    totalReduction = fields.Float(attribute="total_reduction")
    provisionedSizeInBytes = fields.Integer(attribute="provisioned_size_bytes")
    parity = fields.String()
    serialNumber = fields.String(attribute="serial_number")
    model = fields.String()
    version = fields.String()


# -- volumes and snapshots ---------------------------------------------------------------


class VolumeStatsSchema(Schema):
    size = fields.Integer(attribute="size_bytes")
    usedSize = fields.Integer(attribute="used_bytes")


class VolumeSupportsSchema(Schema):
    revert = Boolean(attribute="supports_revert")
    split = fields.String(
        attribute="split_support",
        metadata={"enum": [str(value) for value in SplitSupport]},
    )
    autoGrowVadpRep = Boolean(attribute="auto_grow_vadp_rep")


class VolumeConfigSchema(Schema):
    thinProvisioned = Boolean(attribute="thin")


class VolumeSchema(Schema):
    id = IdString()
    name = fields.String()
    creationTime = fields.Integer(attribute="created_ms", metadata={"description": "epoch ms"})
    serverGroupKey = fields.String(attribute="server_group_key", allow_none=True)
    poolId = IdString(attribute="pool_id")
    volumeType = fields.String(attribute="volume_type")
    stats = Inline(VolumeStatsSchema)
    supports = Inline(VolumeSupportsSchema)
    config = Inline(VolumeConfigSchema)


class VolumeListSchema(Schema):
    volumes = fields.List(fields.Nested(VolumeSchema))


class SplitStatusSchema(Schema):
    percentageComplete = fields.Integer(attribute="percentage_complete")
    complete = Boolean()


class SnapshotConfigSchema(Schema):
    groundCloneRequired = Boolean(attribute="ground_clone_required")


class SnapshotSchema(Schema):
    id = IdString()
    name = fields.String()
    creationTime = fields.Integer(attribute="created_ms", metadata={"description": "epoch ms"})
    consistencyGroupSnapshotId = IdString(attribute="cg_snapshot_id", allow_none=True)
    config = Inline(SnapshotConfigSchema)


class SnapshotListSchema(Schema):
    snapshots = fields.List(fields.Nested(SnapshotSchema))


# -- LUNs, hosts, host groups --------------------------------------------------------------


class LunSchema(Schema):
    id = IdString()
    name = fields.String()
    serialNumber = fields.String(attribute="serial_number")
    naaId = fields.String(attribute="naa_id")
    volumeId = IdString(attribute="volume_id")
    privateIscsiTarget = fields.String(attribute="private_iscsi_target", allow_none=True)
    volumeType = fields.Function(
        lambda lun: lun.volume.volume_type, dump_only=True, metadata={"type": "string"}
    )


class LunListSchema(Schema):
    luns = fields.List(fields.Nested(LunSchema))


class HostConfigSchema(Schema):
    fc = fields.Function(
        lambda host: any(i.kind == "wwn" for i in host.initiators), metadata={"type": "boolean"}
    )
    iscsi = fields.Function(
        lambda host: any(i.kind == "iqn" for i in host.initiators), metadata={"type": "boolean"}
    )


class HostSchema(Schema):
    id = IdString()
    name = fields.String()
    serverGroupKeys = fields.List(fields.String(), attribute="server_group_keys")
    mappedLunIds = fields.Function(
        lambda host: [str(lun_id) for lun_id in host.mapped_lun_ids],
        metadata={"type": "array", "items": {"type": "string"}},
    )
    iqns = fields.Function(
        lambda host: [i.address for i in host.initiators if i.kind == "iqn"],
        metadata={"type": "array", "items": {"type": "string"}},
    )
    wwns = fields.Function(
        lambda host: [i.address for i in host.initiators if i.kind == "wwn"],
        metadata={"type": "array", "items": {"type": "string"}},
    )
    config = Inline(HostConfigSchema)


class HostListSchema(Schema):
    hosts = fields.List(fields.Nested(HostSchema))


class HostLunSchema(Schema):
    name = fields.String()
    volumeId = IdString(attribute="volume_id")
    hostId = IdString(attribute="host_id")
    hostGroupId = IdString(attribute="host_group_id", allow_none=True)
    lunId = IdString(attribute="lun_id")
    lunNumber = fields.Integer(attribute="lun_number")


class HostLunListSchema(Schema):
    luns = fields.List(fields.Nested(HostLunSchema))


class HostGroupSchema(Schema):
    id = IdString()
    name = fields.String()
    hostIds = fields.Function(
        lambda group: [str(h.id) for h in group.hosts],
        metadata={"type": "array", "items": {"type": "string"}},
    )


class HostGroupListSchema(Schema):
    groups = fields.List(fields.Nested(HostGroupSchema))


# -- networks, pools, remote arrays ------------------------------------------------------------


class NetworkConfigSchema(Schema):
    nfs = Boolean()
    cifs = Boolean()
    iscsi = Boolean()
    fc = Boolean()


class NetworkSchema(Schema):
    id = IdString()
    name = fields.String()
    ipAddress = fields.String(attribute="ip_address", allow_none=True)
    wwpn = fields.String(allow_none=True)
    iqn = fields.String(allow_none=True)
    serverGroupKey = fields.String(attribute="server_group_key", allow_none=True)
    config = Inline(NetworkConfigSchema)


class NetworkListSchema(Schema):
    networks = fields.List(fields.Nested(NetworkSchema))


class PoolSchema(Schema):
    id = IdString()
    name = fields.String()
    freeSpace = fields.Integer(attribute="free_space")


class PoolListSchema(Schema):
    pools = fields.List(fields.Nested(PoolSchema))


class RemoteArraySchema(Schema):
    name = fields.String()
    hostAddress = fields.String(attribute="host_address")


class RemoteArrayListSchema(Schema):
    remoteArrays = fields.List(fields.Nested(RemoteArraySchema))


# -- consistency groups -----------------------------------------------------------------------


class ConsistencyGroupConfigSchema(Schema):
    incremental = Boolean()
    replicationTarget = Boolean(attribute="replication_target")


class ConsistencyGroupSchema(Schema):
    id = IdString()
    name = fields.String()
    creationTime = fields.Integer(attribute="created_ms", metadata={"description": "epoch ms"})
    volumeIds = fields.Function(
        lambda group: [str(v.id) for v in group.volumes],
        metadata={"type": "array", "items": {"type": "string"}},
    )
    config = Inline(ConsistencyGroupConfigSchema)


class ConsistencyGroupListSchema(Schema):
    consistencyGroups = fields.List(fields.Nested(ConsistencyGroupSchema))


class ReplicationPartnerSchema(Schema):
    id = IdString()
    name = fields.String()
    hostAddress = fields.String(attribute="host_address")


class ConsistencyGroupWithTargetsSchema(ConsistencyGroupSchema):
    targets = fields.List(fields.Nested(ReplicationPartnerSchema))


class CgSnapshotSchema(Schema):
    id = IdString()
    name = fields.String()


class CgSnapshotListSchema(Schema):
    snapshots = fields.List(fields.Nested(CgSnapshotSchema))


# -- request bodies of the calls that change the array -------------------------------


def _printable(value: str) -> None:
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ma.ValidationError("Must not contain control characters.")
    if not value.strip():
        raise ma.ValidationError("Must not be blank.")


NAME = [ma.validate.Length(min=1, max=255), _printable]


def _mount_path(value: str) -> None:
    if not value.startswith("/"):
        raise ma.ValidationError("Must be an absolute path (start with '/').")
    if ".." in value.split("/"):
        raise ma.ValidationError("Must not contain '..' segments.")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ma.ValidationError("Must not contain control characters.")


class SnapshotCreateSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    poolId = IdString(load_default=None, allow_none=True)
    replicate = Boolean(load_default=False)
    isAutoDelete = Boolean(load_default=False)


class SnapshotCreatedSchema(Schema):
    id = IdString()
    name = fields.String()
    creationTime = fields.Integer(attribute="created_ms", metadata={"description": "epoch ms"})
    config = Inline(SnapshotConfigSchema)


class SnapshotRefSchema(Schema):
    id = IdString(load_default=None, allow_none=True)
    name = fields.String(load_default=None, allow_none=True)

    @ma.validates_schema
    def id_or_name(self, data, **_kwargs):
        if data.get("id") is None and data.get("name") is None:
            raise ma.ValidationError("Give the snapshot's id or name.", "id")


class CloneRequestSchema(Schema):
    snapshot = fields.Nested(SnapshotRefSchema, required=True)
    name = fields.String(required=True, validate=NAME)
    serverGroupKeys = fields.List(fields.String(), load_default=list)
    instantSplit = Boolean(load_default=False)


class MountSchema(Schema):
    path = fields.String(
        load_default=None,
        allow_none=True,
        validate=[ma.validate.Length(min=1, max=1024), _mount_path],
        metadata={"description": "Absolute path; default /mnt/<volume name>."},
    )


class RestoreRequestSchema(Schema):
    snapshotId = IdString(required=True)


class RestoreToAlternateSchema(Schema):
    sourceSnapshotId = IdString(required=True)
    targetVolumeId = IdString(required=True)


class RestoreToNewSchema(Schema):
    sourceSnapshotId = IdString(required=True)
    targetVolumeName = fields.String(required=True, validate=NAME)
    targetPoolIds = fields.List(
        IdString(),
        load_default=list,
        metadata={"description": "Tried in order; default the source volume's pool."},
    )


class ProgressRequestSchema(Schema):
    destinationSnapshotId = IdString(load_default=None, allow_none=True)
    destinationServerId = IdString(load_default=None, allow_none=True)


class HostCreateSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    iqns = fields.List(fields.String(), load_default=list)
    wwns = fields.List(fields.String(), load_default=list)


class MapRequestSchema(Schema):
    volumeId = IdString(load_default=None, allow_none=True)
    lunId = IdString(load_default=None, allow_none=True)
    lunNumber = WholeNumber(
        bits=32, load_default=None, allow_none=True, validate=ma.validate.Range(min=0, max=16383)
    )


class UnmapRequestSchema(Schema):
    lunId = IdString(load_default=None, allow_none=True)
    volumeId = IdString(load_default=None, allow_none=True)


class GroupMappingSchema(Schema):
    name = fields.String()
    volumeId = IdString(attribute="volume_id")
    lunId = IdString(attribute="lun_id")
    lunNumber = fields.Integer(attribute="lun_number")


class ReplicationStatusSchema(Schema):
    startTime = fields.Integer(attribute="start_time", metadata={"description": "epoch ms"})
    completeTime = fields.Integer(
        attribute="complete_time",
        allow_none=True,
        metadata={"description": "epoch ms; null while in progress"},
    )
    percentComplete = fields.Integer(attribute="percent_complete")
    inProgress = Boolean(attribute="in_progress")
    transferRate = fields.Integer(attribute="transfer_rate", metadata={"description": "bytes/s"})
    transferred = fields.Integer(metadata={"description": "bytes"})
    totalSizeToBeSynchronized = fields.Integer(attribute="total_size_to_be_synchronized")
    estimatedSyncTime = fields.Integer(
        attribute="estimated_sync_time", metadata={"description": "ms still to go"}
    )
    isCompleted = Boolean(attribute="is_completed")


class ProgressSchema(Schema):
    name = fields.String()
    creationTime = fields.Integer(attribute="created_ms", metadata={"description": "epoch ms"})
    snapshotReplicationStatus = fields.Nested(ReplicationStatusSchema, attribute="status")


class AddVolumeSchema(Schema):
    volumeId = IdString(required=True)
    snapshotName = fields.String(load_default=None, allow_none=True)
    poolId = IdString(load_default=None, allow_none=True)
    isIncremental = Boolean(load_default=None, allow_none=True)


class RemoveVolumesSchema(Schema):
    volumeIds = fields.List(IdString(), required=True, validate=ma.validate.Length(min=1))


class CondenseSchema(Schema):
    ageInDays = WholeNumber(required=True, validate=ma.validate.Range(min=0))
    numberOfInstances = WholeNumber(required=True, validate=ma.validate.Range(min=0))
    snapshotPrefixes = fields.List(
        fields.String(validate=ma.validate.Length(min=1)),
        required=True,
        validate=ma.validate.Length(min=1),
    )


class TakeSnapshotSchema(Schema):
    prefix = fields.String(load_default="", validate=[ma.validate.Length(max=200)])
    replicate = Boolean(load_default=False)
    isAutoDelete = Boolean(load_default=False)
    isIncremental = Boolean(load_default=False)


class ReplicationTargetRequestSchema(Schema):
    targetName = fields.String(required=True, validate=NAME)
