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
    """The splits and replications running now.

    Oldest first, each with its progress at the lab clock's now, as the
    dashboard shows them live. ``POST /clock/finish`` completes them all."""
    session = db_session()
    now = clock.now(session)
    return {"now": now, "tasks": overview.running_tasks(session, now)}
