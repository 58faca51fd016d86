"""``/server``: the array's (virtual) servers and their system figures."""

from __future__ import annotations

from mockarray.array import capacity, inventory
from mockarray.plugin.core import current_array_id, current_server
from mockarray.plugin.schemas import ServerListSchema, ServerSchema, SystemSchema
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.pagination import PageQuery, listing
from mockarray.web.transaction import db_session

blp = ApiBlueprint("server", __name__, description="The array's (virtual) servers.")


@blp.route("/server", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, ServerListSchema)
def list_servers(page):
    """Every server of the session's array; one with id "0" if it has no virtual servers.

    An array with virtual servers (SVMs) lists each under the id its fixture
    gave it; an array without any answers one server, ``0``, standing for the
    array itself. Paged with ``limit`` and ``start``, the total in
    ``X-Total-Count``.
    """
    servers, total = inventory.list_servers(db_session(), current_array_id(), page)
    return listing("servers", servers, total)


@blp.route("/server/<sid>", methods=["GET"])
@blp.response(200, ServerSchema)
def get_server(sid):
    """One server, with what it supports and how it is configured.

    ``supports`` says which features a client may use on it (clones,
    replication, consistency groups...), ``config`` which storage services it
    runs (iSCSI, NFS...).
    """
    return current_server(sid)


@blp.route("/server/<sid>/system", methods=["GET"])
@blp.response(200, SystemSchema)
def get_system(sid):
    """Capacity and space figures of the server, added up from its pools and volumes.

    Nothing here is stored: every figure (capacity, space used by volumes and
    snapshots, data reduction, thin provisioning) is computed from the objects
    at the time of the call. Model, version and serial number are the array's.
    """
    return capacity.system_report(db_session(), current_server(sid))
