"""``/server/{sid}/pool``: storage pools and their free space."""

from __future__ import annotations

from mockarray.array import inventory
from mockarray.plugin.core import current_server
from mockarray.plugin.schemas import PoolListSchema, PoolSchema
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.pagination import PageQuery, listing
from mockarray.web.transaction import db_session

blp = ApiBlueprint("pool", __name__, description="Storage pools of a server.")


@blp.route("/server/<sid>/pool", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, PoolListSchema)
def list_pools(page, sid):
    """The server's pools with their free space in bytes.

    Free space is computed at the time of the call from what the pool's
    volumes and snapshots use. Paged with ``limit`` and ``start``, the total
    in ``X-Total-Count``.
    """
    pools, total = inventory.list_pools(db_session(), current_server(sid), page)
    return listing("pools", pools, total)


@blp.route("/server/<sid>/pool/<pid>", methods=["GET"])
@blp.response(200, PoolSchema)
def get_pool(sid, pid):
    """One pool.

    The same fields as each item of the server's pool list. ``404`` when the
    server has no such pool (another array's objects are never visible).
    """
    return inventory.get_pool(db_session(), current_server(sid), pid)
