"""Alembic, driven from the application: the migrations live in ``migrations/``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from mockarray.database import Database

MIGRATIONS = Path(str(files("mockarray.migrations")))


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = database.engine
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    command.upgrade(alembic_config(database), revision)


def downgrade(database: Database, revision: str) -> None:
    command.downgrade(alembic_config(database), revision)


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@dataclass(frozen=True)
class ShippedRevisions:
    """The revisions of the migrations this code ships: the newest (``head``) and
    every one it knows (a database at another was migrated by a newer mockarray)."""

    head: str
    known: frozenset[str]


@cache
def shipped_revisions() -> ShippedRevisions:
    """Read once per process (the files do not change while it runs; reading them
    takes a good part of a second)."""
    script = ScriptDirectory(str(MIGRATIONS))
    return ShippedRevisions(
        head=script.get_current_head(),
        known=frozenset(revision.revision for revision in script.walk_revisions()),
    )
