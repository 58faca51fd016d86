"""``/server/{sid}/hostgroup``: host groups."""

from __future__ import annotations

from app.api.core import PageQuery, PluginBlueprint, current_server, db_session, listing
from app.api.schemas import HostGroupListSchema
from app.array import inventory

blp = PluginBlueprint("hostgroup", __name__, description="Host groups of a server.")


@blp.route("/server/<sid>/hostgroup", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, HostGroupListSchema)
def list_host_groups(page, sid):
    """The server's host groups, oldest first."""
    groups, total = inventory.list_host_groups(db_session(), current_server(sid), page)
    return listing("groups", groups, total)
