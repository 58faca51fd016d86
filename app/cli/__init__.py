"""The ``mockarray`` command: the database, fixtures, lab control and the server.

One Click group; each command group is a module of its own. Every command but
``serve`` and ``conformance`` (a client of any plugin's server) works on the
database directly (no server needs to run), with the configuration from
``MOCKARRAY_*`` variables; see ``context.Lab``.

May import: any room (it is a front end, like the two HTTP APIs).
"""

from __future__ import annotations

import click

from mockarray.cli.checkpoint import checkpoint_group
from mockarray.cli.clock import clock_group
from mockarray.cli.conformance import conformance_command
from mockarray.cli.context import Lab
from mockarray.cli.db import db_group
from mockarray.cli.fault import fault_group
from mockarray.cli.journal import journal_command
from mockarray.cli.openapi import openapi_group
from mockarray.cli.seeding import reset_command, seed_command, show_command
from mockarray.cli.serve import serve_command
from mockarray.cli.write import write_command


@click.group(
    "mockarray",
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="mockarray", prog_name="mockarray")
@click.pass_context
def main(ctx: click.Context) -> None:
    """mockarray: a simulated storage array for IBM Spectrum CDM.

    The settings come from MOCKARRAY_* environment variables (the README lists
    them); the database is var/mockarray.db below the working directory unless
    MOCKARRAY_DATA_DIR or MOCKARRAY_DATABASE_URL say otherwise.
    """
    lab = ctx.ensure_object(Lab)
    ctx.call_on_close(lab.close)


for command in (
    db_group,
    seed_command,
    reset_command,
    show_command,
    checkpoint_group,
    fault_group,
    clock_group,
    journal_command,
    write_command,
    serve_command,
    openapi_group,
    conformance_command,
):
    main.add_command(command)

__all__ = ["Lab", "main"]
