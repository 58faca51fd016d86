"""``POST /mockarray/api/reset``: back to the seeded fixtures, or empty."""

from __future__ import annotations

from app.api.core import db_session
from app.control.core import ControlBlueprint
from app.control.schemas import ResetRequestSchema, ResetSchema
from app.fixtures.loader import reset as reset_lab

blp = ControlBlueprint("control_reset", __name__, description="Reset the lab.")


@blp.route("/reset", methods=["POST"])
@blp.arguments(ResetRequestSchema)
@blp.response(200, ResetSchema)
def reset(body):
    """Back to the fixtures that were seeded (or empty, with ``empty: true``), in one
    transaction. Every plugin session ends."""
    arrays = reset_lab(db_session(), empty=body["empty"])
    return {"arrays": [array.name for array in arrays]}
