"""``POST /mockarray/api/reset``: back to the seeded fixtures, or empty."""

from __future__ import annotations

from mockarray.lab.api.schemas import ResetRequestSchema, ResetSchema
from mockarray.lab.seeding.loader import reset as reset_lab
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.transaction import db_session

blp = ApiBlueprint("control_reset", __name__, description="Reset the lab.")


@blp.route("/reset", methods=["POST"])
@blp.arguments(ResetRequestSchema)
@blp.response(200, ResetSchema)
def reset(body):
    """Back to the fixtures that were seeded (or empty, with ``empty: true``), in one
    transaction. Every plugin session ends."""
    arrays = reset_lab(db_session(), empty=body["empty"])
    return {"arrays": [array.name for array in arrays]}
