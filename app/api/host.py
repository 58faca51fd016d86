"""``/server/{sid}/host``: hosts and their LUNs."""

from __future__ import annotations

from app.api.core import PageQuery, PluginBlueprint, current_server, db_session, listing
from app.api.schemas import HostListSchema, HostLunListSchema, HostSchema
from app.array import inventory

blp = PluginBlueprint("host", __name__, description="Hosts of a server.")


@blp.route("/server/<sid>/host", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, HostListSchema)
def list_hosts(page, sid):
    """The server's hosts, oldest first."""
    hosts, total = inventory.list_hosts(db_session(), current_server(sid), page)
    return listing("hosts", hosts, total)


@blp.route("/server/<sid>/host/<hid>", methods=["GET"])
@blp.response(200, HostSchema)
def get_host(sid, hid):
    """One host."""
    return inventory.get_host(db_session(), current_server(sid), hid)


@blp.route("/server/<sid>/host/<hid>/lun", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, HostLunListSchema)
def list_host_luns(page, sid, hid):
    """The LUNs mapped to the host, oldest mapping first."""
    mappings, total = inventory.list_host_luns(db_session(), current_server(sid), hid, page)
    return listing("luns", mappings, total)
