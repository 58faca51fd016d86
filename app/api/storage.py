"""``GET /storage``: the session's array."""

from __future__ import annotations

from app.api.core import PluginBlueprint, current_array_id, db_session
from app.api.schemas import StorageSchema
from app.array import inventory

blp = PluginBlueprint("storage", __name__, description="The session's array.")


@blp.route("/storage", methods=["GET"])
@blp.response(200, StorageSchema)
def get_storage():
    """The array this session was opened to, with its servers' ids."""
    return inventory.storage(db_session(), current_array_id())
