"""Lab control from the command line: checkpoints, faults, the clock, the
journal and host writes. Each command works on the database directly, so it
acts on every worker and host that shares it."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from mockarray.array import clock, inventory, volumes
from mockarray.array.queries import Page
from mockarray.errors import ArrayError
from mockarray.lab import checkpoints, faults, journal
from mockarray.lab import clock as lab_clock
from mockarray.units import format_size, parse_duration_ms, parse_size


def _database():
    return current_app.extensions["mockarray.db"]


def _run(action, *, write: bool = True):
    """Run ``action(session)`` in one transaction; a refusal is a clean CLI error."""
    try:
        with _database().transaction(write=write) as session:
            return action(session)
    except ArrayError as error:
        raise click.ClickException(error.message) from None


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


# -- checkpoints ---------------------------------------------------------------------


@click.group("checkpoint")
def checkpoint_group() -> None:
    """Save the whole simulated state under a name, and put it back.

    \b
    Examples:
      mockarray checkpoint save before-test
      mockarray checkpoint restore before-test
      mockarray checkpoint list
      mockarray checkpoint delete before-test
    """


@checkpoint_group.command("save")
@click.argument("name")
@click.option("--replace", is_flag=True, help="Overwrite a checkpoint of that name.")
@with_appcontext
def checkpoint_save(name: str, replace: bool) -> None:
    """Save the state as NAME."""
    saved = _run(lambda s: _describe(checkpoints.save(s, name, replace=replace)))
    click.echo(f"Saved {saved}.")


@checkpoint_group.command("restore")
@click.argument("name")
@with_appcontext
def checkpoint_restore(name: str) -> None:
    """Put the state back to checkpoint NAME (atomically)."""
    started = time.perf_counter()
    restored = _run(lambda s: _describe(checkpoints.restore(s, name)))
    click.echo(f"Restored {restored} in {(time.perf_counter() - started) * 1000:.0f} ms.")


@checkpoint_group.command("list")
@with_appcontext
def checkpoint_list() -> None:
    """List the checkpoints, oldest first."""
    lines = _run(lambda s: [_describe(c) for c in checkpoints.list_checkpoints(s)], write=False)
    click.echo("\n".join(lines) if lines else "No checkpoints.")


@checkpoint_group.command("delete")
@click.argument("name")
@with_appcontext
def checkpoint_delete(name: str) -> None:
    """Delete checkpoint NAME."""
    _run(lambda s: checkpoints.delete_checkpoint(s, name))
    click.echo(f"Deleted checkpoint '{name}'.")


def _describe(checkpoint) -> str:
    return (
        f"checkpoint '{checkpoint.name}' ({_when(checkpoint.created_ms)}: "
        f"{checkpoint.arrays} arrays, {checkpoint.volumes} volumes, "
        f"{format_size(checkpoint.size_bytes)})"
    )


# -- faults ----------------------------------------------------------------------------


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
@click.option("--path", default="*", show_default=True, help="Glob below /storageplugin/api.")
@click.option("--action", help="Action name (?action=...).")
@click.option("--array", help="Array name.")
@click.option("--status", type=click.IntRange(400, 599), help="HTTP status to answer.")
@click.option("--message", help="Message of the error answer.")
@click.option("--delay", help="Milliseconds to wait first: 500, or a range 200-800.")
@click.option("--times", type=click.IntRange(min=1), help="Only the next N matching calls.")
@click.option("--probability", type=click.FloatRange(0, 1, min_open=True))
@with_appcontext
def fault_add(method, path, action, array, status, message, delay, times, probability) -> None:
    """Add a fault rule."""
    delay_ms = _delay_range(delay)
    rule = _run(
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


def _delay_range(text: str | None) -> tuple[int, int]:
    if not text:
        return (0, 0)
    low, _, high = text.partition("-")
    try:
        values = (int(low), int(high or low))
    except ValueError:
        raise click.BadParameter(
            "milliseconds, or a range like 200-800", param_hint="--delay"
        ) from None
    return values


@fault_group.command("list")
@with_appcontext
def fault_list() -> None:
    """List the fault rules."""
    lines = _run(lambda s: [_describe_rule(r) for r in faults.list_rules(s)], write=False)
    click.echo("\n".join(lines) if lines else "No fault rules.")


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
@with_appcontext
def fault_remove(rule_id: int) -> None:
    """Remove fault rule RULE_ID."""
    _run(lambda s: faults.remove_rule(s, rule_id))
    click.echo(f"Removed fault rule {rule_id}.")


@fault_group.command("clear")
@with_appcontext
def fault_clear() -> None:
    """Remove every fault rule."""
    click.echo(f"Removed {_run(faults.clear)} fault rule(s).")


# -- the clock ---------------------------------------------------------------------------


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
    """


def _show_clock(session) -> str:
    settings = lab_clock.settings(session)
    state = "instant" if settings.instant else f"speed x{settings.speed:g}"
    return (
        f"now {_when(clock.now(session))} (real time + {settings.offset_ms} ms); "
        f"long tasks: {state}"
    )


@clock_group.command("show")
@with_appcontext
def clock_show() -> None:
    """Show simulated now and how long tasks run."""
    click.echo(_run(_show_clock, write=False))


@clock_group.command("advance")
@click.argument("duration")
@with_appcontext
def clock_advance(duration: str) -> None:
    """Move simulated time forward by DURATION (90s, 15m, 2h, 3d)."""
    try:
        milliseconds = parse_duration_ms(duration)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="DURATION") from None
    click.echo(_run(lambda s: (lab_clock.advance(s, milliseconds), _show_clock(s))[1]))


@clock_group.command("speed")
@click.argument("factor", type=click.FloatRange(min=0, min_open=True))
@with_appcontext
def clock_speed(factor: float) -> None:
    """Run long tasks started from now on FACTOR times faster."""
    click.echo(_run(lambda s: (lab_clock.configure(s, speed=factor), _show_clock(s))[1]))


@clock_group.command("instant")
@click.argument("state", type=click.Choice(["on", "off"]))
@with_appcontext
def clock_instant(state: str) -> None:
    """Make long tasks started from now on complete at once (on), or not (off)."""
    on = state == "on"
    click.echo(_run(lambda s: (lab_clock.configure(s, instant=on), _show_clock(s))[1]))


@clock_group.command("finish")
@with_appcontext
def clock_finish() -> None:
    """Complete every running split and replication now."""
    click.echo(f"Completed {_run(lab_clock.finish_running_tasks)} running task(s).")


@clock_group.command("reset")
@with_appcontext
def clock_reset() -> None:
    """Back to real time at normal speed."""
    click.echo(_run(lambda s: (lab_clock.reset(s), _show_clock(s))[1]))


# -- the journal ------------------------------------------------------------------------------


@click.command("journal")
@click.option("--since", help="Only calls of the last DURATION (10m, 2h).")
@click.option("--method", help="GET, POST, DELETE...")
@click.option("--path", help="Glob below /storageplugin/api ('/server/*/volume*').")
@click.option("--action", help="Action name.")
@click.option("--status", type=int, help="HTTP status.")
@click.option("--array", help="Array name.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--count", "count_only", is_flag=True, help="Only say how many calls match.")
@click.option("--clear", is_flag=True, help="Empty the journal.")
@click.option("--follow", is_flag=True, help="Keep printing new calls (Ctrl-C stops).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@with_appcontext
def journal_command(
    since, method, path, action, status, array, limit, count_only, clear, follow, as_json
) -> None:
    """Show the plugin API calls the journal kept (the newest LIMIT, oldest first).

    \b
    Examples:
      mockarray journal --since 10m
      mockarray journal --path '/server/*/volume/*' --action clone --status 409
      mockarray journal --count --array alpha
      mockarray journal --follow
      mockarray journal --clear
    """
    if clear:
        click.echo(f"Removed {_run(journal.clear)} journal entries.")
        return
    since_ms = None
    if since:
        try:
            since_ms = _run(clock.now, write=False) - parse_duration_ms(since)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--since") from None
    query = journal.JournalQuery(
        since_ms=since_ms, method=method, path=path, action=action, status=status, array=array
    )
    if count_only:
        click.echo(_run(lambda s: journal.count(s, query), write=False))
        return

    def newest(session, query):
        total = journal.count(session, query)
        entries, _ = journal.entries(session, query, Page(start=max(total - limit, 0)))
        return [(e.id, _format_entry(e, as_json)) for e in entries]

    rows = _run(lambda s: newest(s, query), write=False)
    for _, line in rows:
        click.echo(line)
    last = rows[-1][0] if rows else 0
    while follow:
        time.sleep(0.5)
        query = journal.JournalQuery(**{**query.__dict__, "after_id": last})
        rows = _run(lambda s, q=query: newest(s, q), write=False)
        for _, line in rows:
            click.echo(line)
        last = rows[-1][0] if rows else last


def _format_entry(entry, as_json: bool) -> str:
    if as_json:
        return json.dumps(
            {
                "id": entry.id,
                "time": entry.at_ms,
                "array": entry.array,
                "session": entry.session,
                "method": entry.method,
                "path": entry.path,
                "action": entry.action,
                "status": entry.status,
                "durationMs": entry.duration_ms,
                "body": entry.body,
                "faultId": entry.fault_id,
            }
        )
    action = f"?action={entry.action}" if entry.action else ""
    fault = f" fault={entry.fault_id}" if entry.fault_id else ""
    return (
        f"{_when(entry.at_ms)} {entry.array or '-':<10} {entry.method:<6} {entry.path}{action} "
        f"{entry.status} {entry.duration_ms:.1f}ms{fault}"
    )


# -- host writes -------------------------------------------------------------------------------


@click.command("write")
@click.argument("array")
@click.argument("volume")
@click.argument("size")
@click.option("--server", "server_key", default=None, help="Server id (default: the only one).")
@click.option("--append", is_flag=True, help="Add new data instead of overwriting.")
@with_appcontext
def write_command(array: str, volume: str, size: str, server_key: str | None, append: bool):
    """A host writes SIZE (64MiB, 2GB) to VOLUME (name or id) of ARRAY.

    Overwriting (the default) makes the newest snapshot hold the old data; the
    volume's content changes, so a later restore can be checked.

    \b
    Examples:
      mockarray write alpha oradb-data 2GiB --server svm-db
      mockarray write bravo backup-repo 500MiB --append
    """
    try:
        size_bytes = parse_size(size)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="SIZE") from None

    def act(session):
        target = inventory.array_by_name(session, array)
        keys = inventory.server_keys(session, target.id)
        if server_key is None and len(keys) != 1:
            raise click.UsageError(f"Array '{array}' has servers {', '.join(keys)}: give --server.")
        server = inventory.get_server(session, target.id, server_key or keys[0])
        volume_id = (
            volume if volume.isdigit() else inventory.volume_id_by_name(session, server, volume)
        )
        written = volumes.host_write(session, server, volume_id, size=size_bytes, append=append)
        used = format_size(written.used_bytes)
        return f"Wrote {format_size(size_bytes)} to '{written.name}': {used} used."

    click.echo(_run(act))


def register_lab_commands(app) -> None:
    for command in (checkpoint_group, fault_group, clock_group, journal_command, write_command):
        app.cli.add_command(command)
