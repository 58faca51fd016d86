"""The ``mockarray`` command: database, fixtures and lab commands.

Every command works on the database directly (no server needs to run), with
the configuration from ``MOCKARRAY_*`` variables.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from mockarray.database import Database


def _database() -> Database:
    return current_app.extensions["mockarray.db"]


# -- db -------------------------------------------------------------------------------


@click.group("db", help="Create and upgrade the database schema (Alembic migrations).")
def db_group() -> None:
    pass


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: the newest)."""
    from mockarray.migrate import upgrade

    upgrade(_database(), revision)
    click.echo(f"Database at {_database().url.render_as_string()} is at revision {revision}.")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (``base`` empties the database)."""
    from mockarray.migrate import downgrade

    downgrade(_database(), revision)
    click.echo(f"Database downgraded to {revision}.")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the schema's current revision."""
    from mockarray.migrate import current_revision

    click.echo(current_revision(_database()) or "(empty: run 'mockarray db upgrade')")


def register_commands(app: Flask) -> None:
    app.cli.add_command(db_group)
    from mockarray.cli.seeding import reset_command, seed_command, show_command

    app.cli.add_command(seed_command)
    app.cli.add_command(reset_command)
    app.cli.add_command(show_command)
    from mockarray.cli.lab import register_lab_commands

    register_lab_commands(app)


def _create_app():
    from mockarray import create_app

    return create_app()


main = FlaskGroup(
    create_app=_create_app,
    add_default_commands=True,
    add_version_option=False,
    help="mockarray: a simulated storage array for IBM Spectrum CDM.",
)
