"""``mockarray db``: create and upgrade the schema (Alembic migrations)."""

from __future__ import annotations

import click

from mockarray.cli.context import UPGRADE_HINT, Lab, cli_errors, pass_lab


@click.group("db", help="Create and upgrade the database schema (Alembic migrations).")
def db_group() -> None:
    pass


@db_group.command("upgrade")
@click.argument("revision", default="head")
@pass_lab
def db_upgrade(lab: Lab, revision: str) -> None:
    """Upgrade the schema to REVISION (default: the newest).

    A new SQLite database is created (the command says where).
    """
    upgrade(lab, revision)
    click.echo(f"Database at {lab.describe_database()} is at revision {revision}.")


def upgrade(lab: Lab, revision: str = "head") -> None:
    """Create the database if need be and migrate it (``db upgrade``, ``serve``)."""
    from mockarray.migrate import upgrade as migrate_upgrade

    with cli_errors(lab):
        migrate_upgrade(lab.database(create=True), revision)


@db_group.command("downgrade")
@click.argument("revision")
@pass_lab
def db_downgrade(lab: Lab, revision: str) -> None:
    """Downgrade the schema to REVISION (``base`` empties the database)."""
    from mockarray.migrate import downgrade

    with cli_errors(lab):
        downgrade(lab.database(), revision)
    click.echo(f"Database downgraded to {revision}.")


@db_group.command("current")
@pass_lab
def db_current(lab: Lab) -> None:
    """Show the schema's current revision."""
    from mockarray.migrate import current_revision

    with cli_errors(lab):
        click.echo(current_revision(lab.database()) or f"(empty: {UPGRADE_HINT})")
