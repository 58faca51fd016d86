"""``/server/{sid}/consistencygroup``: consistency groups and their snapshots."""

from __future__ import annotations

from app.api.core import PageQuery, PluginBlueprint, current_server, db_session, listing
from app.api.schemas import (
    CgSnapshotListSchema,
    ConsistencyGroupListSchema,
    ConsistencyGroupSchema,
)
from app.array import inventory

blp = PluginBlueprint("consistencygroup", __name__, description="Consistency groups.")


@blp.route("/server/<sid>/consistencygroup", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, ConsistencyGroupListSchema)
def list_consistency_groups(page, sid):
    """The server's consistency groups, with their member volumes."""
    groups, total = inventory.list_consistency_groups(db_session(), current_server(sid), page)
    return listing("consistencyGroups", groups, total)


@blp.route("/server/<sid>/consistencygroup/<cgid>", methods=["GET"])
@blp.response(200, ConsistencyGroupSchema)
def get_consistency_group(sid, cgid):
    """One consistency group."""
    return inventory.get_consistency_group(db_session(), current_server(sid), cgid)


@blp.route("/server/<sid>/consistencygroup/<cgid>/snapshot", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, CgSnapshotListSchema)
def list_cg_snapshots(page, sid, cgid):
    """The group's snapshots, oldest first."""
    snapshots, total = inventory.list_cg_snapshots(db_session(), current_server(sid), cgid, page)
    return listing("snapshots", snapshots, total)
