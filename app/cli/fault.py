"""``mockarray fault``: make plugin API calls fail or slow down."""

from __future__ import annotations

import json

import click

from mockarray.cli.context import Lab, pass_lab
from mockarray.cli.types import DURATION_RANGE
from mockarray.lab import faults
from mockarray.lab.answers import FaultListSchema


@click.group("fault")
def fault_group() -> None:
    """Make plugin API calls fail or slow down.

    \b
    Examples:
      mockarray fault add --path '/server/*/volume/*' --action clone --status 503 --times 1
      mockarray fault add --method GET --delay 200-800 --probability 0.1
      mockarray fault list
      mockarray fault remove 3
      mockarray fault clear
    """


@fault_group.command("add")
@click.option("--method", type=click.Choice(["GET", "POST", "PUT", "DELETE"], False))
@click.option(
    "--path",
    default="*",
    show_default=True,
    help="Glob below /storageplugin/api, starting with '/' (/server/*/volume/*).",
)
@click.option("--action", help="Action name (?action=...).")
@click.option("--array", help="Array name.")
@click.option("--status", type=click.IntRange(400, 599), help="HTTP status to answer.")
@click.option("--message", help="Message of the error answer.")
@click.option(
    "--delay",
    type=DURATION_RANGE,
    default=None,
    help="Wait first: a duration (500ms, 2s) or a random one in a range (200ms-800ms, 1s-3s); "
    "a bare number is milliseconds. At most 55s (the worker timeout less 5 s).",
)
@click.option("--times", type=click.IntRange(min=1), help="Only the next N matching calls.")
@click.option("--probability", type=click.FloatRange(0, 1, min_open=True))
@pass_lab
def fault_add(
    lab: Lab, method, path, action, array, status, message, delay, times, probability
) -> None:
    """Add a fault rule."""
    delay_ms = delay or (0, 0)
    rule = lab.run(
        lambda s: (
            faults.add_rule(
                s,
                method=method,
                path=path,
                action=action,
                array=array,
                status=status,
                message=message,
                delay_ms=delay_ms,
                times=times,
                probability=probability,
            ).id
        )
    )
    click.echo(f"Added fault rule {rule}.")


@fault_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="What GET /mockarray/api/faults answers.")
@pass_lab
def fault_list(lab: Lab, as_json: bool) -> None:
    """List the fault rules, first added first.

    With --json: {"faults": [{"id", "method", "path", "action", "array",
    "status", "message", "delayMs", "delayMaxMs", "remaining", "probability",
    "applied", "createdTime"}]}, as the control plane answers.
    """

    def listed(session):
        rules = faults.list_rules(session)
        if as_json:
            return json.dumps(FaultListSchema().dump({"faults": rules}), indent=2)
        return "\n".join(_describe_rule(r) for r in rules) or "No fault rules."

    click.echo(lab.run(listed, write=False))


def _describe_rule(rule) -> str:
    match = " ".join(
        part
        for part in (
            rule.method or "ANY",
            rule.path,
            f"action={rule.action}" if rule.action else "",
            f"array={rule.array}" if rule.array else "",
        )
        if part
    )
    effects = []
    if rule.status:
        effects.append(f"{rule.status} {rule.message or ''}".strip())
    if rule.delay_max_ms:
        span = (
            rule.delay_min_ms
            if rule.delay_min_ms == rule.delay_max_ms
            else (f"{rule.delay_min_ms}-{rule.delay_max_ms}")
        )
        effects.append(f"delay {span} ms")
    scope = "until removed" if rule.remaining is None else f"{rule.remaining} more"
    if rule.probability is not None:
        scope += f", p={rule.probability}"
    return f"{rule.id}: {match} -> {', '.join(effects)} ({scope}; applied {rule.applied})"


@fault_group.command("remove")
@click.argument("rule_id", type=int)
@pass_lab
def fault_remove(lab: Lab, rule_id: int) -> None:
    """Remove fault rule RULE_ID."""
    lab.run(lambda s: faults.remove_rule(s, rule_id))
    click.echo(f"Removed fault rule {rule_id}.")


@fault_group.command("clear")
@pass_lab
def fault_clear(lab: Lab) -> None:
    """Remove every fault rule."""
    click.echo(f"Removed {lab.run(faults.clear)} fault rule(s).")
