"""``mockarray write``: a host writes to a volume."""

from __future__ import annotations

import click

from mockarray.array import capacity
from mockarray.cli.context import Lab, pass_lab
from mockarray.cli.types import SIZE
from mockarray.lab import host_writes
from mockarray.units import format_size


@click.command("write")
@click.argument("array")
@click.argument("volume")
@click.argument("size", type=SIZE)
@click.option("--server", "server_key", default=None, help="Server id (default: the only one).")
@click.option("--append", is_flag=True, help="Add new data instead of overwriting.")
@pass_lab
def write_command(
    lab: Lab, array: str, volume: str, size: int, server_key: str | None, append: bool
) -> None:
    """A host writes SIZE (64MiB, 2GB) to VOLUME (name, or id) of ARRAY.

    Overwriting (the default) makes the newest snapshot hold the old data; the
    volume's content changes, so a later restore can be checked. VOLUME is a
    volume's name, or its id when no volume has that name.

    \b
    Examples:
      mockarray write alpha oradb-data 2GiB --server svm-db
      mockarray write bravo backup-repo 500MiB --append
    """

    def act(session):
        try:
            written = host_writes.host_write(
                session, array, volume, size=size, server_key=server_key, append=append
            )
        except host_writes.ServerNeeded as error:
            keys = ", ".join(error.keys)
            raise click.UsageError(f"Array '{array}' has servers {keys}: give --server.") from None
        used = format_size(written.used_bytes)
        lines = [f"Wrote {format_size(size)} to '{written.name}': {used} used."]
        lines += [
            f"{entry.sentence()[0].upper()}{entry.sentence()[1:]}."
            for entry in capacity.take_auto_deleted(session)
        ]
        return "\n".join(lines)

    click.echo(lab.run(act))
