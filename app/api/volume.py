"""``/server/{sid}/volume``: volumes."""

from __future__ import annotations

from app.api.core import PageQuery, PluginBlueprint, current_server, db_session, listing
from app.api.schemas import SplitStatusSchema, VolumeListSchema, VolumeSchema
from app.array import inventory, tasks

blp = PluginBlueprint("volume", __name__, description="Volumes of a server.")


@blp.route("/server/<sid>/volume", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, VolumeListSchema)
def list_volumes(page, sid):
    """The server's volumes, oldest first."""
    volumes, total = inventory.list_volumes(db_session(), current_server(sid), page)
    return listing("volumes", volumes, total)


@blp.route("/server/<sid>/volume/<vid>", methods=["GET"])
@blp.response(200, VolumeSchema)
def get_volume(sid, vid):
    """One volume."""
    return inventory.get_volume(db_session(), current_server(sid), vid)


@blp.route("/server/<sid>/volume/<vid>/splitstatus", methods=["GET"])
@blp.response(200, SplitStatusSchema)
def get_split_status(sid, vid):
    """Progress of the clone's split; 0 % for a clone not being split."""
    return tasks.split_status(db_session(), current_server(sid), vid)
