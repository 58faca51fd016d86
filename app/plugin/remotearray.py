"""``/server/{sid}/remotearray``: replication partners."""

from __future__ import annotations

from mockarray.array import inventory
from mockarray.plugin.core import current_server
from mockarray.plugin.schemas import RemoteArrayListSchema
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.pagination import PageQuery, listing
from mockarray.web.transaction import db_session

blp = ApiBlueprint("remotearray", __name__, description="A server's replication partners.")


@blp.route("/server/<sid>/remotearray", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, RemoteArrayListSchema)
def list_remote_arrays(page, sid):
    """The arrays this server replicates to.

    The partners a snapshot or a consistency group may replicate to, by name
    and address. Paged with ``limit`` and ``start``, the total in
    ``X-Total-Count``.
    """
    partners, total = inventory.list_remote_arrays(db_session(), current_server(sid), page)
    return listing("remoteArrays", partners, total)
