"""What every command shares: the configuration, the database, and one way to
run an action in a transaction with clean error messages.

The configuration comes from ``MOCKARRAY_*`` variables
(``mockarray.config.from_env``); ``overrides`` (tests, ``serve --data-dir``)
win over them. The database is built on first use, so ``mockarray --help``
needs none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from mockarray import config as config_module
from mockarray import open_database
from mockarray.database import Database, is_missing_schema, private_dir
from mockarray.errors import ArrayError
from mockarray.lab.seeding.loader import FixtureError

T = TypeVar("T")

UPGRADE_HINT = "run 'mockarray db upgrade'"


class Lab:
    """The context object of every command (``click.Context.obj``)."""

    def __init__(
        self, overrides: Mapping[str, object] | None = None, database: Database | None = None
    ):
        self.overrides = dict(overrides or {})
        self._given_database = database
        self._built_database: Database | None = None

    def override(self, values: Mapping[str, object]) -> None:
        """Settings given on the command line (``serve --data-dir``), over the environment."""
        self.overrides.update(values)
        self.__dict__.pop("config", None)

    @cached_property
    def config(self) -> dict[str, object]:
        try:
            return config_module.from_env(overrides=self.overrides)
        except config_module.ConfigError as error:
            raise click.ClickException(str(error)) from None

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file of the database, or None (PostgreSQL, in memory)."""
        database = self._given_database or self._built_database
        url = database.url if database else make_url(str(self.config["DATABASE_URL"]))
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database).resolve()

    def database(self, *, create: bool = False) -> Database:
        """The database. A missing SQLite file is an error telling where it was
        looked for, unless ``create`` (``db upgrade``, ``serve``): then it is
        created, and the command says where."""
        if self._given_database is not None:
            return self._given_database
        if self._built_database is None:
            path = self.sqlite_path
            if path is not None and not path.exists():
                if not create:
                    raise click.ClickException(
                        f"There is no database at {path}; {UPGRADE_HINT} to create it, "
                        "or point MOCKARRAY_DATA_DIR (or MOCKARRAY_DATABASE_URL) at the "
                        "one you use."
                    )
                private_dir(path.parent)
                click.echo(f"Created the database at {path}.", err=True)
            self._built_database = open_database(self.config)
        return self._built_database

    def run(self, action: Callable[[Session], T], *, write: bool = True) -> T:
        """``action(session)`` in one transaction. What the lab refuses (a domain
        error, a bad fixture, a database without its tables) becomes a clean
        error message, never a traceback."""
        with cli_errors(self), self.database().transaction(write=write) as session:
            return action(session)

    def describe_database(self) -> str:
        path = self.sqlite_path
        if path is not None:
            return str(path)
        return self.database().url.render_as_string(hide_password=True)

    def close(self) -> None:
        if self._built_database is not None:
            self._built_database.dispose()
            self._built_database = None


@contextmanager
def cli_errors(lab: Lab) -> Iterator[None]:
    """Turn the errors a command can meet into ``click.ClickException``."""
    try:
        yield
    except FixtureError as error:
        click.echo(str(error), err=True)
        raise click.ClickException(error.summary) from None
    except ArrayError as error:
        raise click.ClickException(error.message) from None
    except config_module.ConfigError as error:
        raise click.ClickException(str(error)) from None
    except (OperationalError, ProgrammingError) as error:
        if not is_missing_schema(error):
            raise
        raise click.ClickException(
            f"The database at {lab.describe_database()} has no mockarray tables yet "
            f"(or older ones); {UPGRADE_HINT}."
        ) from None


#: Passes the command's ``Lab`` (made by the ``mockarray`` group) as first argument.
pass_lab = click.make_pass_decorator(Lab, ensure=True)
