"""``/server/{sid}/network``: network interfaces."""

from __future__ import annotations

from mockarray.array import inventory
from mockarray.plugin.core import current_server
from mockarray.plugin.schemas import NetworkListSchema, NetworkSchema
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.pagination import PageQuery, listing
from mockarray.web.transaction import db_session

blp = ApiBlueprint("network", __name__, description="Network interfaces of a server.")


@blp.route("/server/<sid>/network", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, NetworkListSchema)
def list_networks(page, sid):
    """The server's FC, iSCSI, NFS and CIFS interfaces.

    Each with the protocols it serves and its IP address, IQN or WWPN, for a
    client to choose how to reach the data. Paged with ``limit`` and
    ``start``, the total in ``X-Total-Count``.
    """
    networks, total = inventory.list_networks(db_session(), current_server(sid), page)
    return listing("networks", networks, total)


@blp.route("/server/<sid>/network/<nid>", methods=["GET"])
@blp.response(200, NetworkSchema)
def get_network(sid, nid):
    """One network interface.

    The same fields as each item of the server's network list. ``404`` when the
    server has no such network interface (another array's objects are never visible).
    """
    return inventory.get_network(db_session(), current_server(sid), nid)
