"""``/server/{sid}/hostgroup``: host groups."""

from __future__ import annotations

from mockarray.array import hosts, inventory
from mockarray.plugin.core import current_server
from mockarray.plugin.schemas import GroupMappingSchema, HostGroupListSchema, MapRequestSchema
from mockarray.web.actions import Actions
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.pagination import PageQuery, listing
from mockarray.web.transaction import db_session

blp = ApiBlueprint("hostgroup", __name__, description="Host groups of a server.")


@blp.route("/server/<sid>/hostgroup", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, HostGroupListSchema)
def list_host_groups(page, sid):
    """The server's host groups, oldest first.

    Each group with its member hosts' ids; a LUN mapped to a group reaches
    every member under one LUN number. Paged with ``limit`` and ``start``, the
    total in ``X-Total-Count``.
    """
    groups, total = inventory.list_host_groups(db_session(), current_server(sid), page)
    return listing("groups", groups, total)


group_actions = Actions(blp, "/server/<sid>/hostgroup/<gid>", "host group")


@group_actions.action("map", body=MapRequestSchema, response=GroupMappingSchema)
def map_lun(sid, gid, body):
    """Map a volume's LUN to every host of the group under one LUN number."""
    return hosts.map_to_host_group(
        db_session(),
        current_server(sid),
        gid,
        volume_id=body["volumeId"],
        lun_id=body["lunId"],
        lun_number=body["lunNumber"],
    )


group_actions.register()
