"""``mockarray clock``: the simulated clock of long tasks and new objects."""

from __future__ import annotations

import json

import click

from mockarray.array import clock
from mockarray.cli.context import Lab, pass_lab
from mockarray.cli.output import when
from mockarray.cli.types import DURATION
from mockarray.lab import clock as lab_clock
from mockarray.lab.answers import ClockSchema
from mockarray.units import SPEED_MAX, SPEED_MIN


@click.group("clock")
def clock_group() -> None:
    """The simulated clock: advance it, speed long tasks up, or finish them.

    \b
    Examples:
      mockarray clock show
      mockarray clock advance 2h
      mockarray clock speed 60
      mockarray clock instant on
      mockarray clock finish
      mockarray clock reset
      mockarray clock real-time

    The clock never runs backwards: reset only puts the pace of long tasks back.
    """


def _show_clock(session) -> str:
    settings = lab_clock.settings(session)
    state = "instant" if settings.instant else f"speed x{settings.speed:g}"
    return (
        f"now {when(clock.now(session))} (real time + {settings.offset_ms} ms); long tasks: {state}"
    )


def _clock_json(session) -> str:
    return json.dumps(ClockSchema().dump(lab_clock.state(session)), indent=2)


@clock_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="What GET /mockarray/api/clock answers.")
@pass_lab
def clock_show(lab: Lab, as_json: bool) -> None:
    """Show simulated now and how long tasks run.

    With --json: {"now" (epoch ms), "offsetMs", "speed", "instant"}, as the
    control plane answers.
    """
    click.echo(lab.run(_clock_json if as_json else _show_clock, write=False))


@clock_group.command("advance")
@click.argument("duration", type=DURATION)
@pass_lab
def clock_advance(lab: Lab, duration: int) -> None:
    """Move simulated time forward by DURATION (90s, 15m, 2h, 3d; a bare number is
    milliseconds)."""
    milliseconds = duration
    click.echo(lab.run(lambda s: (lab_clock.advance(s, milliseconds), _show_clock(s))[1]))


@clock_group.command("speed")
@click.argument("factor", type=click.FloatRange(min=SPEED_MIN, max=SPEED_MAX))
@pass_lab
def clock_speed(lab: Lab, factor: float) -> None:
    """Run long tasks started from now on FACTOR times faster (0.001 to 1000000)."""
    click.echo(lab.run(lambda s: (lab_clock.configure(s, speed=factor), _show_clock(s))[1]))


@clock_group.command("instant")
@click.argument("state", type=click.Choice(["on", "off"]))
@pass_lab
def clock_instant(lab: Lab, state: str) -> None:
    """Make long tasks started from now on complete at once (on), or not (off)."""
    on = state == "on"
    click.echo(lab.run(lambda s: (lab_clock.configure(s, instant=on), _show_clock(s))[1]))


@clock_group.command("finish")
@pass_lab
def clock_finish(lab: Lab) -> None:
    """Complete every running split and replication now."""
    click.echo(f"Completed {lab.run(lab_clock.finish_running_tasks)} running task(s).")


@clock_group.command("reset")
@pass_lab
def clock_reset(lab: Lab) -> None:
    """Long tasks back to real-time speed, not instant; time goes on from where it is."""
    click.echo(lab.run(lambda s: (lab_clock.reset(s), _show_clock(s))[1]))


@clock_group.command("real-time")
@pass_lab
def clock_real_time(lab: Lab) -> None:
    """Check that simulated time is real time (and run at real-time speed); refused while
    the lab is ahead of real time, since the clock never runs backwards."""
    click.echo(lab.run(lambda s: (lab_clock.to_real_time(s), _show_clock(s))[1]))
