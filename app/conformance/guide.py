"""What the guide documents of each answer: fields and their JSON types, as data.

Every shape below is copied from a "Response Body" of the guide
(``cdm-storage-plugin-api.txt``; the section is named beside it), never from
a server's own schemas. Where the guide's example quotes a value that its
text (or the binding readings, ``shared/spec/README.md`` item 3) says is a
number or a flag, the field is ``quoted``: a JSON number or boolean is the
reading we recommend, the quoted string is accepted and reported as the
reading the server took. Fields the guide says apply only "if applicable"
are ``optional``: ``null`` or absent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

#: The values the guide allows for a volume's ``supports.split`` (Volume).
SPLIT_VALUES = ("NONE", "ANY_TIME", "NOT_NEEDED", "FROM_SNAPSHOT")


@dataclass(frozen=True)
class Kind:
    """A field's JSON type: ``string``, ``number``, ``integer``, ``boolean``,
    ``strings`` (an array of strings) or ``ids`` (an array of ids, which the guide
    writes unquoted for consistency groups)."""

    type: str
    #: The guide's example writes this number or flag in quotes.
    quoted: bool = False
    #: "if applicable": may be null or absent.
    optional: bool = False
    #: The only values allowed (``supports.split``).
    choices: tuple[str, ...] = ()
    #: The guide writes this id unquoted (``<replication_partner_id>``): a number is a reading.
    unquoted_id: bool = False

    def as_quoted(self) -> Kind:
        return replace(self, quoted=True)

    def as_optional(self) -> Kind:
        return replace(self, optional=True)


STRING = Kind("string")
NUMBER = Kind("number")
INTEGER = Kind("integer")
BOOLEAN = Kind("boolean")
STRINGS = Kind("strings")

#: A shape: field name -> ``Kind``, or a nested shape for an object field.
Shape = dict[str, "Kind | Shape"]

# -- Plugin Information: GET /info -------------------------------------------------------
INFO: Shape = {
    "name": STRING,
    "id": STRING,
    "version": STRING,
    "imageUrl": STRING,
    "iconUrl": STRING,
}

# -- Session: POST /session ----------------------------------------------------------------
SESSION: Shape = {"sessionId": STRING, "storageId": STRING}

# -- Storage: GET /storage -----------------------------------------------------------------
STORAGE: Shape = {
    "name": STRING,
    "id": STRING,
    "hostName": STRING,
    "ipAddress": STRING,
    "port": INTEGER,
    "pluginId": STRING,
    "vendor": STRING,
    "version": STRING,
    "serverIds": STRINGS,
}

# -- Server: GET /server, GET /server/<server_id> --------------------------------------------
# GET /server writes the flags bare, GET /server/<server_id> quotes them: both are accepted.
_FLAG = BOOLEAN.as_quoted()
SERVER: Shape = {
    "id": STRING,
    "name": STRING,
    "supports": {
        "replication": _FLAG,
        "volumeReplication": _FLAG,
        "consistencyGroupReplication": _FLAG,
        "newSnapshotReplication": _FLAG,
        "existingSnapshotReplication": _FLAG,
        "replicationToItself": _FLAG,
        "deleteFromSnapshotGroup": _FLAG,
        "persistentConsistencyGroup": _FLAG,
        "singleConsistencyGroup": _FLAG,
    },
    "config": {
        "isDpDestination": _FLAG,
        "isNfsServiceEnabled": _FLAG,
        "isIscsiServiceEnabled": _FLAG,
        "isIncrementalConsistencyGroup": _FLAG,
    },
}

# -- Server: GET /server/<server_id>/system ----------------------------------------------------
SYSTEM: Shape = {
    "capacityInBytes": NUMBER,
    "systemSizeInBytes": NUMBER,
    "snapshotsSizeInBytes": NUMBER,
    "volumesSizeInBytes": NUMBER,
    "dataReduction": NUMBER,
    "totalSizeInBytes": NUMBER,
    "sharedSpaceInBytes": NUMBER,
    "thinProvisioning": NUMBER,
    "totalReduction": NUMBER,
    "provisionedSizeInBytes": NUMBER,
    "parity": STRING,
    "serialNumber": STRING,
    "model": STRING,
    "version": STRING,
}

# -- Volume: GET /server/<server_id>/volume[/<volume_id>], clone, restore… ------------------
VOLUME: Shape = {
    "id": STRING,
    "name": STRING,
    "creationTime": NUMBER.as_quoted(),
    "serverGroupKey": STRING.as_optional(),
    "poolId": STRING,
    "volumeType": STRING,
    "stats": {"size": NUMBER.as_quoted(), "usedSize": NUMBER.as_quoted()},
    "supports": {
        "revert": _FLAG,
        "split": Kind("string", choices=SPLIT_VALUES),
        "autoGrowVadpRep": _FLAG,
    },
    "config": {"thinProvisioned": _FLAG},
}

# -- Volume: GET …/splitstatus, POST …?action=split ------------------------------------------
SPLIT_STATUS: Shape = {"percentageComplete": NUMBER, "complete": BOOLEAN}

# -- LUN: GET /server/<server_id>/lun[/<lun_id>] ---------------------------------------------
LUN: Shape = {
    "id": STRING,
    "name": STRING,
    "serialNumber": STRING,
    "naaId": STRING,
    "volumeId": STRING,
    "privateIscsiTarget": STRING.as_optional(),
    "volumeType": STRING.as_optional(),
}

# -- Snapshot: GET …/volume/<volume_id>/snapshot[/<snapshot_id>] -----------------------------
SNAPSHOT: Shape = {
    "id": STRING,
    "name": STRING,
    "creationTime": NUMBER,
    "consistencyGroupSnapshotId": STRING.as_optional(),
    "config": {"groundCloneRequired": BOOLEAN},
}

# -- Snapshot: POST …/volume/<volume_id>/snapshot (the answer has no consistencyGroupSnapshotId)
NEW_SNAPSHOT: Shape = {
    "id": STRING,
    "name": STRING,
    "creationTime": NUMBER,
    "config": {"groundCloneRequired": BOOLEAN},
}

# -- Snapshot: POST …/snapshot/<snapshot_id>?action=get-Progress ------------------------------
PROGRESS: Shape = {
    "name": STRING,
    "creationTime": NUMBER,
    "snapshotReplicationStatus": {
        "startTime": NUMBER,
        "completeTime": NUMBER.as_optional(),
        "percentComplete": NUMBER,
        "inProgress": BOOLEAN,
        "transferRate": NUMBER,
        "transferred": NUMBER,
        "totalSizeToBeSynchronized": NUMBER,
        "estimatedSyncTime": NUMBER,
        "isCompleted": BOOLEAN,
    },
}

# -- Host: GET /server/<server_id>/host[/<host_id>], POST /server/<server_id>/host ------------
HOST: Shape = {
    "id": STRING,
    "name": STRING,
    "serverGroupKeys": STRINGS,
    "mappedLunIds": STRINGS,
    "iqns": STRINGS,
    "wwns": STRINGS,
    "config": {"fc": BOOLEAN, "iscsi": BOOLEAN},
}

# -- Host: GET …/host/<host_id>/lun, POST …/host/<host_id>?action=map -------------------------
MAPPING: Shape = {
    "name": STRING,
    "volumeId": STRING,
    "hostId": STRING,
    "hostGroupId": STRING.as_optional(),
    "lunId": STRING,
    "lunNumber": INTEGER,
}

# -- Host Group: GET /server/<server_id>/hostgroup --------------------------------------------
HOST_GROUP: Shape = {"id": STRING, "name": STRING, "hostIds": STRINGS}

# -- Host Group: POST …/hostgroup/<host_group_id>?action=map ----------------------------------
GROUP_MAPPING: Shape = {"name": STRING, "volumeId": STRING, "lunId": STRING, "lunNumber": INTEGER}

# -- Network: GET /server/<server_id>/network[/<network_id>] ----------------------------------
NETWORK: Shape = {
    "id": STRING,
    "name": STRING,
    "ipAddress": STRING.as_optional(),
    "wwpn": STRING.as_optional(),
    "iqn": STRING.as_optional(),
    "serverGroupKey": STRING.as_optional(),
    "config": {"nfs": BOOLEAN, "cifs": BOOLEAN, "iscsi": BOOLEAN, "fc": BOOLEAN},
}

# -- Pool: GET /server/<server_id>/pool[/<pool_id>] -------------------------------------------
POOL: Shape = {"id": STRING, "name": STRING, "freeSpace": NUMBER}

# -- Consistency Group: GET /server/<server_id>/consistencygroup[/<id>] ------------------------
CONSISTENCY_GROUP: Shape = {
    "id": STRING,
    "name": STRING,
    "creationTime": NUMBER,
    "volumeIds": Kind("strings", unquoted_id=True),
    "config": {"incremental": BOOLEAN, "replicationTarget": BOOLEAN},
}

# -- Consistency Group: add-replication-target, and each of a group's "targets" ---------------
PARTNER: Shape = {
    "id": Kind("string", unquoted_id=True),
    "name": STRING,
    "hostAddress": STRING,
}

# -- Consistency Group: add-volume, remove-volume (the group with its targets) ---------------
GROUP_WITH_TARGETS: Shape = {**CONSISTENCY_GROUP, "targets": [PARTNER]}

# -- Consistency Group: take-snapshot; Consistency Group Snapshots: GET …/snapshot ------------
GROUP_SNAPSHOT: Shape = {"id": STRING, "name": STRING}

# -- Remote Array: GET /server/<server_id>/remotearray ------------------------------------------
REMOTE_ARRAY: Shape = {"name": STRING, "hostAddress": STRING}
