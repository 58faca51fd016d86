"""Running ``mockarray`` commands in-process against a given configuration
(tests, or a Python program driving a lab)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from click.testing import CliRunner, Result

from mockarray.cli import main
from mockarray.cli.context import Lab
from mockarray.database import Database


class MockarrayRunner(CliRunner):
    """``runner.invoke(args=["seed", "lab.yaml"])`` runs ``mockarray seed lab.yaml``
    with ``overrides`` over the ``MOCKARRAY_*`` environment, and on ``database``
    when given (it stays open)."""

    def __init__(
        self,
        overrides: Mapping[str, object] | None = None,
        database: Database | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.overrides = dict(overrides or {})
        self.database = database

    def invoke(self, cli=None, args: Sequence[str] | str | None = None, **kwargs) -> Result:
        kwargs.setdefault("obj", Lab(self.overrides, database=self.database))
        return super().invoke(cli or main, args, **kwargs)
