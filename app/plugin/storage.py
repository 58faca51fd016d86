"""``GET /storage``: the session's array."""

from __future__ import annotations

from mockarray.array import inventory
from mockarray.plugin.core import current_array_id
from mockarray.plugin.schemas import StorageSchema
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.transaction import db_session

blp = ApiBlueprint("storage", __name__, description="The session's array.")


@blp.route("/storage", methods=["GET"])
@blp.response(200, StorageSchema)
def get_storage():
    """The array this session was opened to, with its servers' ids.

    Its name, address, vendor and version, and in ``serverIds`` the ids that
    every ``/server/{sid}/…`` call takes.
    """
    return inventory.storage(db_session(), current_array_id())
