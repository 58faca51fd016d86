"""``/server/{sid}/host``: hosts and their LUNs."""

from __future__ import annotations

from mockarray.array import hosts, inventory
from mockarray.plugin.core import API_PREFIX, current_server
from mockarray.plugin.schemas import (
    HostCreateSchema,
    HostListSchema,
    HostLunListSchema,
    HostLunSchema,
    HostSchema,
    MapRequestSchema,
    UnmapRequestSchema,
)
from mockarray.web.actions import Actions
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.pagination import PageQuery, listing
from mockarray.web.transaction import db_session

blp = ApiBlueprint("host", __name__, description="Hosts of a server.")


@blp.route("/server/<sid>/host", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, HostListSchema)
def list_hosts(page, sid):
    """The server's hosts, oldest first.

    Each host with its iSCSI names (IQNs), Fibre Channel WWNs and the LUNs
    mapped to it. Paged with ``limit`` and ``start``, the total in
    ``X-Total-Count``.
    """
    hosts, total = inventory.list_hosts(db_session(), current_server(sid), page)
    return listing("hosts", hosts, total)


@blp.route("/server/<sid>/host/<hid>", methods=["GET"])
@blp.response(200, HostSchema)
def get_host(sid, hid):
    """One host.

    The same fields as each item of the server's host list. ``404`` when the
    server has no such host (another array's objects are never visible).
    """
    return inventory.get_host(db_session(), current_server(sid), hid)


@blp.route("/server/<sid>/host/<hid>/lun", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, HostLunListSchema)
def list_host_luns(page, sid, hid):
    """The LUNs mapped to the host, oldest mapping first.

    Each mapping gives the LUN number the host sees the volume under, and the
    host group it came through when it was mapped to a group. Paged with
    ``limit`` and ``start``, the total in ``X-Total-Count``.
    """
    mappings, total = inventory.list_host_luns(db_session(), current_server(sid), hid, page)
    return listing("luns", mappings, total)


@blp.route("/server/<sid>/host", methods=["POST"])
@blp.arguments(HostCreateSchema)
@blp.response(200, HostSchema)
def create_host(body, sid):
    """Create a host with its iSCSI names and WWNs (``200`` and ``Location``).

    The name is unique per server: a retry with the same initiators answers
    the host created the first time, other initiators are ``409``.
    """
    host = hosts.create_host(
        db_session(), current_server(sid), name=body["name"], iqns=body["iqns"], wwns=body["wwns"]
    )
    return host, {"Location": f"{API_PREFIX}/server/{sid}/host/{host.id}"}


host_actions = Actions(blp, "/server/<sid>/host/<hid>", "host")


@host_actions.action("map", body=MapRequestSchema, response=HostLunSchema)
def map_lun(sid, hid, body):
    """Map a volume's LUN to the host (the lowest free LUN number by default)."""
    return hosts.map_to_host(
        db_session(),
        current_server(sid),
        hid,
        volume_id=body["volumeId"],
        lun_id=body["lunId"],
        lun_number=body["lunNumber"],
    )


@host_actions.action("unmap", body=UnmapRequestSchema)
def unmap_lun(sid, hid, body):
    """Remove a LUN (by lunId or volumeId) from the host."""
    hosts.unmap_from_host(
        db_session(), current_server(sid), hid, volume_id=body["volumeId"], lun_id=body["lunId"]
    )


host_actions.register()
