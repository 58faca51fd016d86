"""``/server/{sid}/remotearray``: replication partners."""

from __future__ import annotations

from mockarray.array import inventory
from mockarray.plugin.core import current_server
from mockarray.plugin.schemas import RemoteArrayListSchema
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.pagination import PageQuery, listing
from mockarray.web.transaction import db_session

blp = ApiBlueprint("remotearray", __name__, description="Replication partners.")


@blp.route("/server/<sid>/remotearray", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, RemoteArrayListSchema)
def list_remote_arrays(page, sid):
    """The arrays this server replicates to."""
    partners, total = inventory.list_remote_arrays(db_session(), current_server(sid), page)
    return listing("remoteArrays", partners, total)
