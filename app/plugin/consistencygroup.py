"""``/server/{sid}/consistencygroup``: consistency groups and their snapshots."""

from __future__ import annotations

from flask import current_app

from mockarray.array import groups, inventory
from mockarray.plugin import calllog
from mockarray.plugin.core import call_moment, caller, current_server
from mockarray.plugin.schemas import (
    AddVolumeSchema,
    CgSnapshotListSchema,
    CgSnapshotSchema,
    CondenseSchema,
    ConsistencyGroupListSchema,
    ConsistencyGroupSchema,
    ConsistencyGroupWithTargetsSchema,
    RemoveVolumesSchema,
    ReplicationPartnerSchema,
    ReplicationTargetRequestSchema,
    TakeSnapshotSchema,
)
from mockarray.web.actions import Actions
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.pagination import PageQuery, listing
from mockarray.web.transaction import db_session

blp = ApiBlueprint(
    "consistencygroup", __name__, description="Consistency groups of a server and their snapshots."
)


@blp.route("/server/<sid>/consistencygroup", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, ConsistencyGroupListSchema)
def list_consistency_groups(page, sid):
    """The server's consistency groups, with their member volumes.

    A consistency group snapshots its volumes at one moment, and may
    replicate to partner arrays. Paged with ``limit`` and ``start``, the total
    in ``X-Total-Count``.
    """
    groups, total = inventory.list_consistency_groups(db_session(), current_server(sid), page)
    return listing("consistencyGroups", groups, total)


@blp.route("/server/<sid>/consistencygroup/<cgid>", methods=["GET"])
@blp.response(200, ConsistencyGroupSchema)
def get_consistency_group(sid, cgid):
    """One consistency group.

    The same fields as each item of the server's group list. ``404`` when the
    server has no such group (another array's objects are never visible).
    """
    return inventory.get_consistency_group(db_session(), current_server(sid), cgid)


@blp.route("/server/<sid>/consistencygroup/<cgid>/snapshot", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, CgSnapshotListSchema)
def list_consistency_group_snapshots(page, sid, cgid):
    """The group's snapshots, oldest first.

    Each group snapshot stands for one snapshot of every member volume, taken
    at the same moment (those are listed on each volume too). Paged with
    ``limit`` and ``start``, the total in ``X-Total-Count``.
    """
    snapshots, total = inventory.list_cg_snapshots(db_session(), current_server(sid), cgid, page)
    return listing("snapshots", snapshots, total)


group_actions = Actions(blp, "/server/<sid>/consistencygroup/<cgid>", "consistency group")


@group_actions.action(
    "add-volume", body=AddVolumeSchema, response=ConsistencyGroupWithTargetsSchema
)
def add_volume(sid, cgid, body):
    """Add a volume of the same server to the group."""
    return groups.add_volume(
        db_session(),
        current_server(sid),
        cgid,
        volume_id=body["volumeId"],
        pool_id=body["poolId"],
        is_incremental=body["isIncremental"],
    )


@group_actions.action(
    "remove-volume", body=RemoveVolumesSchema, response=ConsistencyGroupWithTargetsSchema
)
def remove_volume(sid, cgid, body):
    """Take volumes out of the group."""
    return groups.remove_volumes(db_session(), current_server(sid), cgid, body["volumeIds"])


@group_actions.action("condense", body=CondenseSchema)
def condense(sid, cgid, body):
    """Delete the group's old snapshots, keeping the newest ones."""
    decisions = groups.condense(
        db_session(),
        current_server(sid),
        cgid,
        age_in_days=body["ageInDays"],
        number_of_instances=body["numberOfInstances"],
        snapshot_prefixes=body["snapshotPrefixes"],
    )
    array_name, at_ms = caller().array_name, call_moment()
    for decision in decisions:
        calllog.log_note(
            at_ms,
            array_name,
            "condense group=%s snapshot=%s: %s",
            cgid,
            decision.name,
            decision.reason,
        )


@group_actions.action(
    "take-snapshot", body=TakeSnapshotSchema, response=CgSnapshotSchema, refuses=(507,)
)
def take_snapshot(sid, cgid, body):
    """Snapshot every volume of the group at once."""
    return groups.take_snapshot(
        db_session(),
        current_server(sid),
        cgid,
        prefix=body["prefix"],
        replicate=body["replicate"],
        is_auto_delete=body["isAutoDelete"],
        is_incremental=body["isIncremental"],
        rate=current_app.config["REPLICATION_RATE"],
    )


@group_actions.action(
    "add-replication-target",
    body=ReplicationTargetRequestSchema,
    response=ReplicationPartnerSchema,
)
def add_replication_target(sid, cgid, body):
    """Replicate the group to one of the server's remote arrays."""
    return groups.add_replication_target(
        db_session(), current_server(sid), cgid, target_name=body["targetName"]
    )


group_actions.register()
