"""``/server/{sid}/lun``: LUNs."""

from __future__ import annotations

from mockarray.array import hosts, inventory
from mockarray.plugin.core import current_server
from mockarray.plugin.schemas import LunListSchema, LunSchema
from mockarray.web.actions import Actions
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.pagination import PageQuery, listing
from mockarray.web.transaction import db_session

blp = ApiBlueprint("lun", __name__, description="LUNs of a server.")


@blp.route("/server/<sid>/lun", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, LunListSchema)
def list_luns(page, sid):
    """The server's LUNs, oldest first.

    A LUN makes a block volume visible to hosts; each carries its NAA id and
    serial number and the volume behind it. Paged with ``limit`` and
    ``start``, the total in ``X-Total-Count``.
    """
    luns, total = inventory.list_luns(db_session(), current_server(sid), page)
    return listing("luns", luns, total)


@blp.route("/server/<sid>/lun/<lid>", methods=["GET"])
@blp.response(200, LunSchema)
def get_lun(sid, lid):
    """One LUN.

    The same fields as each item of the server's LUN list. ``404`` when the
    server has no such LUN (another array's objects are never visible).
    """
    return inventory.get_lun(db_session(), current_server(sid), lid)


lun_actions = Actions(blp, "/server/<sid>/lun/<lid>", "LUN")


@lun_actions.action("online")
def online(sid, lid):
    """Bring the LUN online (ready for use)."""
    hosts.bring_online(db_session(), current_server(sid), lid)


lun_actions.register()
