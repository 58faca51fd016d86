"""``/mockarray/api/faults``: make plugin API calls fail or slow down."""

from __future__ import annotations

from mockarray.array.inventory import parse_id
from mockarray.lab import faults
from mockarray.lab.answers import FaultListSchema, FaultSchema
from mockarray.lab.api.core import CONTROL_PREFIX
from mockarray.lab.api.schemas import FaultRequestSchema, RemovedSchema
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.responses import no_content
from mockarray.web.transaction import db_session

blp = ApiBlueprint(
    "control_faults", __name__, description="Make plugin API calls fail or slow down."
)


@blp.route("/faults", methods=["GET"])
@blp.response(200, FaultListSchema)
def list_faults():
    """The fault rules, first added first.

    Each rule with the calls it matches, what it does to them, and how many
    more calls it applies to.
    """
    return {"faults": faults.list_rules(db_session())}


@blp.route("/faults", methods=["POST"])
@blp.arguments(FaultRequestSchema)
@blp.response(201, FaultSchema)
def add_fault(body):
    """Add a fault rule for plugin API calls.

    Which calls it matches (method, path glob, action, array), what happens to
    them (an error status with a message, a delay, or both) and for how long
    (a number of calls, a probability, or until removed). Rules apply to the
    plugin API only, never to the control plane.
    """
    low = body["delayMs"]
    high = body["delayMaxMs"] if body["delayMaxMs"] is not None else low
    rule = faults.add_rule(
        db_session(),
        method=body["method"],
        path=body["path"],
        action=body["action"],
        array=body["array"],
        status=body["status"],
        message=body["message"],
        delay_ms=(low, high),
        times=body["times"],
        probability=body["probability"],
    )
    return rule, {"Location": f"{CONTROL_PREFIX}/faults/{rule.id}"}


@blp.route("/faults/<fid>", methods=["DELETE"])
@blp.response(204, description="The rule was removed.")
def remove_fault(fid):
    """Remove one fault rule.

    Calls it matched behave normally again from the next call on; the other
    rules stay. ``404`` for an unknown id.
    """
    faults.remove_rule(db_session(), parse_id(fid, "Fault rule"))
    return no_content(204)


@blp.route("/faults", methods=["DELETE"])
@blp.response(200, RemovedSchema)
def clear_faults():
    """Remove every fault rule.

    Plugin API calls behave normally again from the next call on. Answers
    how many rules were removed.
    """
    return {"removed": faults.clear(db_session())}
