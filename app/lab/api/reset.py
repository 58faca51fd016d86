"""``POST /mockarray/api/reset``: back to the seeded fixtures, or empty."""

from __future__ import annotations

from mockarray.lab.api.schemas import ResetRequestSchema, ResetSchema
from mockarray.lab.seeding import loader
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.transaction import db_session

blp = ApiBlueprint(
    "control_reset", __name__, description="Back to the fixtures that were seeded, or empty."
)


@blp.route("/reset", methods=["POST"])
@blp.arguments(ResetRequestSchema)
@blp.response(200, ResetSchema)
def reset_lab(body):
    """Put the lab back to the fixtures that were seeded, or empty it.

    In one transaction, every object comes back as seeded, with the id it had
    then; with ``empty: true`` the lab is emptied and its fixtures forgotten.
    Every plugin session ends. Answers the names of the arrays the lab holds.
    """
    arrays = loader.reset(db_session(), empty=body["empty"])
    return {"arrays": [array.name for array in arrays]}
