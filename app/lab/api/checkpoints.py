"""``/mockarray/api/checkpoints``: save, list, restore and delete the lab's state."""

from __future__ import annotations

from mockarray.lab import checkpoints
from mockarray.lab.answers import CheckpointListSchema, CheckpointSchema
from mockarray.lab.api.core import CONTROL_PREFIX
from mockarray.lab.api.schemas import CheckpointRequestSchema
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.responses import no_content
from mockarray.web.transaction import db_session

blp = ApiBlueprint(
    "control_checkpoints", __name__, description="Save the whole lab under a name, and put it back."
)


@blp.route("/checkpoints", methods=["GET"])
@blp.response(200, CheckpointListSchema)
def list_checkpoints():
    """The saved checkpoints, oldest first.

    Each with its name, when it was saved, and how many arrays and volumes and
    how many bytes it holds.
    """
    return {"checkpoints": checkpoints.list_checkpoints(db_session())}


@blp.route("/checkpoints", methods=["POST"])
@blp.arguments(CheckpointRequestSchema)
@blp.response(201, CheckpointSchema)
def save_checkpoint(body):
    """Save the whole simulated state under a name.

    Every array and its objects, as they are now, to put back later with
    ``POST /checkpoints/{name}/restore``. ``409`` when the name is taken,
    unless ``replace`` is true.
    """
    checkpoint = checkpoints.save(db_session(), body["name"], replace=body["replace"])
    return checkpoint, {"Location": f"{CONTROL_PREFIX}/checkpoints/{checkpoint.name}"}


@blp.route("/checkpoints/<name>/restore", methods=["POST"])
@blp.response(200, CheckpointSchema)
def restore_checkpoint(name):
    """Put the lab back to a checkpoint.

    In one transaction: every object comes back as saved, with its id.
    Plugin sessions of arrays that still exist stay open. ``404`` for an
    unknown name.
    """
    return checkpoints.restore(db_session(), name)


@blp.route("/checkpoints/<name>", methods=["DELETE"])
@blp.response(204, description="The checkpoint was deleted.")
def delete_checkpoint(name):
    """Delete a checkpoint.

    Only the saved state goes; the lab itself is left as it is. ``404`` for
    an unknown name.
    """
    checkpoints.delete_checkpoint(db_session(), name)
    return no_content(204)
