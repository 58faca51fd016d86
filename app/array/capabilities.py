"""The server capability flags, once: the guide's ``supports`` and ``config`` booleans.

Each flag has its wire name (the guide's camelCase), the ``Server`` column that
holds it, its group (``supports`` or ``config``), its default and what it means.
The API's server schema, the fixture schema, the fixture loader and the
refusals that name a flag are all derived from ``CAPABILITIES``; the model's
columns are declared in ``models.py`` and a test checks that they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mockarray.errors import Invalid


class Group(StrEnum):
    SUPPORTS = "supports"
    CONFIG = "config"


@dataclass(frozen=True)
class Capability:
    wire: str
    column: str
    group: Group
    default: bool
    meaning: str

    @property
    def path(self) -> str:
        """How the guide names it: ``supports.volumeReplication``."""
        return f"{self.group}.{self.wire}"


S, C = Group.SUPPORTS, Group.CONFIG

CAPABILITIES: tuple[Capability, ...] = (
    Capability("replication", "replication", S, True, "replicates snapshots"),
    Capability("volumeReplication", "volume_replication", S, True, "replicates volume snapshots"),
    Capability(
        "consistencyGroupReplication",
        "consistency_group_replication",
        S,
        True,
        "replicates consistency-group snapshots",
    ),
    Capability(
        "newSnapshotReplication",
        "new_snapshot_replication",
        S,
        True,
        "replicates a snapshot as it is taken",
    ),
    Capability(
        "existingSnapshotReplication",
        "existing_snapshot_replication",
        S,
        True,
        "replicates a snapshot taken earlier",
    ),
    Capability("replicationToItself", "replication_to_itself", S, False, "replicates to itself"),
    Capability(
        "deleteFromSnapshotGroup",
        "delete_from_snapshot_group",
        S,
        True,
        "deletes one volume snapshot of a consistency-group snapshot",
    ),
    Capability(
        "persistentConsistencyGroup",
        "persistent_consistency_group",
        S,
        True,
        "keeps consistency groups whose members can change",
    ),
    Capability(
        "singleConsistencyGroup",
        "single_consistency_group",
        S,
        False,
        "allows a volume in one consistency group only",
    ),
    Capability("isDpDestination", "is_dp_destination", C, False, "is a data-protection target"),
    Capability("isNfsServiceEnabled", "is_nfs_service_enabled", C, False, "serves NFS"),
    Capability("isIscsiServiceEnabled", "is_iscsi_service_enabled", C, True, "serves iSCSI"),
    Capability(
        "isIncrementalConsistencyGroup",
        "is_incremental_consistency_group",
        C,
        False,
        "takes incremental consistency-group snapshots",
    ),
)

BY_WIRE = {capability.wire: capability for capability in CAPABILITIES}
BY_COLUMN = {capability.column: capability for capability in CAPABILITIES}


def of_group(group: Group) -> tuple[Capability, ...]:
    return tuple(c for c in CAPABILITIES if c.group == group)


def columns(flags: dict[str, dict[str, bool]]) -> dict[str, bool]:
    """``Server`` column values from ``{"supports": {wire: bool}, "config": {...}}``;
    a flag not given takes its default."""
    given = {wire: value for group in flags.values() for wire, value in group.items()}
    return {c.column: given.get(c.wire, c.default) for c in CAPABILITIES}


def require(server, *wires: str) -> None:
    """``Invalid`` naming the first of the server's flags (by wire name) that is off."""
    for wire in wires:
        capability = BY_WIRE[wire]
        if not getattr(server, capability.column):
            raise Invalid(
                f"Server '{server.key}' does not support this: its {capability.path} is false."
            )


def schema_fields(group: Group, make_field) -> dict[str, object]:
    """marshmallow fields for the group's flags: ``make_field(capability)`` for each, by
    wire name (see ``Schema.from_dict``)."""
    return {c.wire: make_field(c) for c in of_group(group)}
