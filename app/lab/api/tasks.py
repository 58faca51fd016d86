"""``/mockarray/api/tasks``: the splits and replications running now (the dashboard
polls it for live progress)."""

from __future__ import annotations

from mockarray.array import clock
from mockarray.lab import overview
from mockarray.lab.api.schemas import TaskListSchema
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.transaction import db_session

blp = ApiBlueprint("control_tasks", __name__, description="Long tasks.")


@blp.route("/tasks", methods=["GET"])
@blp.response(200, TaskListSchema)
def list_tasks():
    """Running splits and replications, oldest first, with their progress at the lab
    clock's now (``POST /clock/finish`` completes them)."""
    session = db_session()
    now = clock.now(session)
    return {"now": now, "tasks": overview.running_tasks(session, now)}
