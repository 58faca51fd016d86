"""``/server/{sid}/remotearray``: replication partners."""

from __future__ import annotations

from mockarray.array import inventory
from mockarray.plugin.core import PageQuery, PluginBlueprint, current_server, db_session, listing
from mockarray.plugin.schemas import RemoteArrayListSchema

blp = PluginBlueprint("remotearray", __name__, description="Replication partners.")


@blp.route("/server/<sid>/remotearray", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, RemoteArrayListSchema)
def list_remote_arrays(page, sid):
    """The arrays this server replicates to."""
    partners, total = inventory.list_remote_arrays(db_session(), current_server(sid), page)
    return listing("remoteArrays", partners, total)
