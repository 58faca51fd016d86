"""``mockarray journal``: the plugin API calls made, with filters."""

from __future__ import annotations

import json
import time

import click

from mockarray.array import clock
from mockarray.cli.context import Lab, pass_lab
from mockarray.cli.output import when
from mockarray.cli.types import DURATION
from mockarray.lab import journal
from mockarray.queries import Page


@click.command("journal")
@click.option(
    "--since",
    type=DURATION,
    help="Only calls of the last DURATION (10m, 2h; a bare number is milliseconds).",
)
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
@pass_lab
def journal_command(
    lab: Lab, since, method, path, action, status, array, limit, count_only, clear, follow, as_json
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
        click.echo(f"Removed {lab.run(journal.clear)} journal entries.")
        return
    since_ms = None
    if since is not None:
        since_ms = lab.run(clock.now, write=False) - since
    query = journal.JournalQuery(
        since_ms=since_ms, method=method, path=path, action=action, status=status, array=array
    )
    if count_only:
        click.echo(lab.run(lambda s: journal.count(s, query), write=False))
        return

    def newest(session, query):
        total = journal.count(session, query)
        entries, _ = journal.entries(session, query, Page(start=max(total - limit, 0)))
        return [(e.id, _format_entry(e, as_json)) for e in entries]

    rows = lab.run(lambda s: newest(s, query), write=False)
    for _, line in rows:
        click.echo(line)
    last = rows[-1][0] if rows else 0
    while follow:
        time.sleep(0.5)
        query = journal.JournalQuery(**{**query.__dict__, "after_id": last})
        rows = lab.run(lambda s, q=query: newest(s, q), write=False)
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
                "notes": entry.notes,
            }
        )
    action = f"?action={entry.action}" if entry.action else ""
    fault = f" fault={entry.fault_id}" if entry.fault_id else ""
    line = (
        f"{when(entry.at_ms)} {entry.array or '-':<10} {entry.method:<6} {entry.path}{action} "
        f"{entry.status} {entry.duration_ms:.1f}ms{fault}"
    )
    return "\n".join([line, *(f"    {note}" for note in entry.notes or ())])
