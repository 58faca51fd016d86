"""``/server/{sid}/volume/{vid}/snapshot``: a volume's snapshots."""

from __future__ import annotations

from app.api.core import PageQuery, PluginBlueprint, current_server, db_session, listing
from app.api.schemas import SnapshotListSchema, SnapshotSchema
from app.array import inventory

blp = PluginBlueprint("snapshot", __name__, description="Snapshots of a volume.")


@blp.route("/server/<sid>/volume/<vid>/snapshot", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, SnapshotListSchema)
def list_snapshots(page, sid, vid):
    """The volume's snapshots, oldest first."""
    snapshots, total = inventory.list_snapshots(db_session(), current_server(sid), vid, page)
    return listing("snapshots", snapshots, total)


@blp.route("/server/<sid>/volume/<vid>/snapshot/<snid>", methods=["GET"])
@blp.response(200, SnapshotSchema)
def get_snapshot(sid, vid, snid):
    """One snapshot."""
    return inventory.get_snapshot(db_session(), current_server(sid), vid, snid)
