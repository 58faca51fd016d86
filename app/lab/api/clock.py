"""``/mockarray/api/clock``: the simulated clock."""

from __future__ import annotations

from mockarray.lab import clock as lab_clock
from mockarray.lab.answers import ClockSchema
from mockarray.lab.api.schemas import AdvanceSchema, ClockSettingsSchema, FinishedSchema
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.transaction import db_session

blp = ApiBlueprint(
    "control_clock", __name__, description="The simulated clock: time and the speed of long tasks."
)


def _state():
    return lab_clock.state(db_session())


@blp.route("/clock", methods=["GET"])
@blp.response(200, ClockSchema)
def get_clock():
    """Simulated now, its offset from real time, and how long tasks run.

    The simulated clock stamps new objects and drives long tasks (clone
    splits, replications). It runs at real time plus an offset that only
    grows.
    """
    return _state()


@blp.route("/clock", methods=["PUT"])
@blp.arguments(ClockSettingsSchema)
@blp.response(200, ClockSchema)
def configure_clock(body):
    """Set how fast long tasks run.

    Tasks started from now on run ``speed`` times faster than real time, or
    complete at once with ``instant``. Simulated time itself keeps its pace.
    """
    lab_clock.configure(db_session(), speed=body["speed"], instant=body["instant"])
    return _state()


@blp.route("/clock/advance", methods=["POST"])
@blp.arguments(AdvanceSchema)
@blp.response(200, ClockSchema)
def advance_clock(body):
    """Move simulated time forward.

    By a duration (``90s``, ``2h``; a bare number is milliseconds): running
    splits and replications progress by as much, and objects created from now
    on carry the new time. The clock never runs backwards.
    """
    lab_clock.advance(db_session(), body["by"])
    return _state()


@blp.route("/clock/finish", methods=["POST"])
@blp.response(200, FinishedSchema)
def finish_running_tasks():
    """Complete every running split and replication now.

    Each task jumps to its end state (a split clone no longer depends on its
    snapshot, a replica is complete). Simulated time does not move. Answers
    how many tasks were finished.
    """
    return {"finished": lab_clock.finish_running_tasks(db_session())}


@blp.route("/clock/reset", methods=["POST"])
@blp.response(200, ClockSchema)
def reset_clock():
    """Put long tasks back to real-time speed.

    Undoes ``speed`` and ``instant``. Simulated time goes on from where it is:
    the clock never runs backwards.
    """
    lab_clock.reset(db_session())
    return _state()


@blp.route("/clock/real-time", methods=["POST"])
@blp.response(200, ClockSchema)
def set_clock_to_real_time():
    """Simulated time at real time, and long tasks at real-time speed.

    ``409``, saying how far ahead the lab is, unless simulated time already is
    real time (no time was added): the clock never runs backwards.
    """
    lab_clock.to_real_time(db_session())
    return _state()
