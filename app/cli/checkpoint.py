"""``mockarray checkpoint``: save the whole state under a name and put it back."""

from __future__ import annotations

import time

import click

from mockarray.cli.context import Lab, pass_lab
from mockarray.cli.output import progress_bar, when
from mockarray.lab import checkpoints
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
@pass_lab
def checkpoint_list(lab: Lab) -> None:
    """List the checkpoints, oldest first."""
    lines = lab.run(lambda s: [_describe(c) for c in checkpoints.list_checkpoints(s)], write=False)
    click.echo("\n".join(lines) if lines else "No checkpoints.")


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
