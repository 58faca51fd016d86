"""``mockarray checkpoint``: save the whole state under a name and put it back."""

from __future__ import annotations

import json
import time

import click

from mockarray.cli.context import Lab, pass_lab
from mockarray.cli.output import progress_bar, when
from mockarray.lab import checkpoints
from mockarray.lab.answers import CheckpointListSchema
from mockarray.units import format_size


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
@pass_lab
def checkpoint_save(lab: Lab, name: str, replace: bool) -> None:
    """Save the state as NAME."""
    saved = lab.run(lambda s: _describe(checkpoints.save(s, name, replace=replace)))
    click.echo(f"Saved {saved}.")


@checkpoint_group.command("restore")
@click.argument("name")
@pass_lab
def checkpoint_restore(lab: Lab, name: str) -> None:
    """Put the state back to checkpoint NAME (atomically); a large one shows a
    progress bar on a terminal."""
    started = time.perf_counter()
    with progress_bar(f"Restoring '{name}'") as progress:
        restored = lab.run(lambda s: _describe(checkpoints.restore(s, name, progress=progress)))
    click.echo(f"Restored {restored} in {(time.perf_counter() - started) * 1000:.0f} ms.")


@checkpoint_group.command("list")
@click.option(
    "--json", "as_json", is_flag=True, help="What GET /mockarray/api/checkpoints answers."
)
@pass_lab
def checkpoint_list(lab: Lab, as_json: bool) -> None:
    """List the checkpoints, oldest first.

    The seeded state that a reset puts back is a checkpoint of the lab's own,
    not listed. With --json: {"checkpoints": [{"name", "createdTime" (epoch
    ms), "arrays", "volumes", "sizeBytes"}]}, as the control plane answers.
    """

    def listed(session):
        found = checkpoints.list_checkpoints(session)
        if as_json:
            return json.dumps(CheckpointListSchema().dump({"checkpoints": found}), indent=2)
        return "\n".join(_describe(c) for c in found) or "No checkpoints."

    click.echo(lab.run(listed, write=False))


@checkpoint_group.command("delete")
@click.argument("name")
@pass_lab
def checkpoint_delete(lab: Lab, name: str) -> None:
    """Delete checkpoint NAME."""
    lab.run(lambda s: checkpoints.delete_checkpoint(s, name))
    click.echo(f"Deleted checkpoint '{name}'.")


def _describe(checkpoint) -> str:
    return (
        f"checkpoint '{checkpoint.name}' ({when(checkpoint.created_ms)}: "
        f"{checkpoint.arrays} arrays, {checkpoint.volumes} volumes, "
        f"{format_size(checkpoint.size_bytes)})"
    )
