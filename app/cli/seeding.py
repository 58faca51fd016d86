"""``mockarray seed``, ``reset`` and ``show``: the lab's fixtures from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mockarray.array.capacity import pool_free_bytes
from mockarray.array.models import (
    Array,
    ConsistencyGroup,
    Host,
    HostGroup,
    Lun,
    LunMapping,
    Network,
    Pool,
    RemoteArray,
    Server,
    Snapshot,
    Volume,
)
from mockarray.cli.context import Lab, pass_lab
from mockarray.cli.output import progress_bar
from mockarray.lab.seeding.loader import (
    DEMO_FIXTURE,
    demo_fixture_text,
    is_empty,
    reset,
    seed,
)
from mockarray.lab.seeding.loader import check as check_fixture
from mockarray.units import format_size


@click.command("seed")
@click.argument("fixture", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--demo", is_flag=True, help="Seed the demo lab that ships with mockarray.")
@click.option("--replace", is_flag=True, help="Empty the lab first (every array goes).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds arrays.")
@click.option("--check", is_flag=True, help="Only validate FIXTURE; load nothing.")
@pass_lab
def seed_command(
    lab: Lab, fixture: str | None, demo: bool, replace: bool, if_empty: bool, check: bool
) -> None:
    """Load the arrays described in the YAML file FIXTURE ('-' reads standard input).

    All or nothing: any problem is reported with its place in the file and
    nothing is loaded. An array whose name, hostname, IP address or serial
    number is already taken is refused unless --replace empties the lab first.
    A large fixture shows a progress bar on a terminal.

    \b
    Examples:
      mockarray seed lab.yaml
      mockarray seed --replace lab.yaml
      mockarray seed --demo --if-empty
      mockarray seed --check lab.yaml
    """
    if bool(fixture) == demo:
        raise click.UsageError("Name one FIXTURE file, or give --demo.")
    source, text = read_fixture(fixture, demo)
    click.echo(seed_text(lab, text, source, replace=replace, if_empty=if_empty, check=check))


def read_fixture(fixture: str | None, demo: bool) -> tuple[str, str]:
    """``(source, text)`` of the demo lab, of standard input (``-``) or of a file."""
    if demo:
        return DEMO_FIXTURE, demo_fixture_text()
    if fixture == "-":
        return "<stdin>", sys.stdin.read()
    path = Path(str(fixture))
    if not path.is_file():
        raise click.BadParameter(f"{fixture} is not a file.", param_hint="FIXTURE")
    return str(path), path.read_text(encoding="utf-8")


def seed_text(
    lab: Lab, text: str, source: str, *, replace=False, if_empty=False, check=False
) -> str:
    """Seed the fixture ``text`` (named ``source`` in messages), or only ``check``
    it; what was done."""

    def act(session):
        if check:
            names = ", ".join(check_fixture(session, text, source, replace=replace))
            return f"{source} is a good fixture (nothing loaded): {names}."
        if if_empty and not is_empty(session):
            return "The lab already holds arrays; nothing seeded."
        with progress_bar(f"Seeding {source}") as progress:
            arrays = seed(session, text, source, replace=replace, progress=progress)
        names = ", ".join(array.name for array in arrays)
        return f"Seeded {len(arrays)} array(s) from {source}: {names}."

    return lab.run(act)


@click.command("reset")
@click.option("--empty", is_flag=True, help="Leave the lab empty instead of seeding it again.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_lab
def reset_command(lab: Lab, empty: bool, yes: bool) -> None:
    """Put the lab back to the fixtures that were seeded, in one transaction.

    Every array and session goes; the fixtures seeded so far are loaded
    again (new ids, as on a freshly seeded lab). With --empty nothing is
    loaded and the fixtures are forgotten.

    \b
    Examples:
      mockarray reset --yes
      mockarray reset --empty --yes
    """
    what = "empty the lab" if empty else "put the lab back to its seeded fixtures"
    if not yes:
        click.confirm(f"This will {what}; every change and session is lost. Go on?", abort=True)
    with progress_bar("Resetting the lab") as progress:
        arrays = lab.run(lambda session: reset(session, empty=empty, progress=progress))
    if empty:
        click.echo("The lab is empty.")
    else:
        click.echo(f"The lab is back to its fixtures: {len(arrays)} array(s).")


@click.command("show")
@click.argument("array", required=False)
@pass_lab
def show_command(lab: Lab, array: str | None) -> None:
    """Summarise the arrays (or the one named ARRAY) and what they hold.

    \b
    Examples:
      mockarray show
      mockarray show alpha
    """

    def describe(session) -> list[str]:
        statement = select(Array).order_by(Array.id)
        if array:
            statement = statement.where(Array.name == array)
        arrays = list(session.scalars(statement))
        if not arrays and array:
            raise click.ClickException(f"No array named '{array}'. 'mockarray show' lists them.")
        return [_describe(session, each) for each in arrays] or ["The lab is empty."]

    click.echo("\n".join(lab.run(describe, write=False)))


def _count_by_server(session: Session, column, *joins, where=None) -> dict[int, int]:
    statement = select(Server.id, func.count(column)).select_from(Server)
    for target, on in joins:
        statement = statement.join(target, on)
    if where is not None:
        statement = statement.where(where)
    return dict(session.execute(statement.group_by(Server.id)).all())


def _describe(session: Session, array: Array) -> str:
    lines = [
        f"{array.name}  {array.vendor} {array.model} {array.version}, serial {array.serial_number}",
        f"  log in: hostname {array.hostname} or ipAddress {array.ip_address}, port {array.port}, "
        f"user {array.username}",
    ]
    counts = {
        "volumes": _count_by_server(session, Volume.id, (Volume, Volume.server_id == Server.id)),
        "clones": _count_by_server(
            session,
            Volume.parent_snapshot_id,
            (Volume, Volume.server_id == Server.id),
        ),
        "snapshots": _count_by_server(
            session,
            Snapshot.id,
            (Volume, Volume.server_id == Server.id),
            (Snapshot, Snapshot.volume_id == Volume.id),
        ),
        "LUNs": _count_by_server(
            session,
            Lun.id,
            (Volume, Volume.server_id == Server.id),
            (Lun, Lun.volume_id == Volume.id),
        ),
        # A clone's LUN starts offline until ?action=online (the guide's bodies do not say).
        "offline LUNs": _count_by_server(
            session,
            Lun.id,
            (Volume, Volume.server_id == Server.id),
            (Lun, Lun.volume_id == Volume.id),
            where=Lun.online.is_(False),
        ),
        "hosts": _count_by_server(session, Host.id, (Host, Host.server_id == Server.id)),
        "mappings": _count_by_server(
            session,
            LunMapping.id,
            (Host, Host.server_id == Server.id),
            (LunMapping, LunMapping.host_id == Host.id),
        ),
        "host groups": _count_by_server(
            session, HostGroup.id, (HostGroup, HostGroup.server_id == Server.id)
        ),
        "networks": _count_by_server(
            session, Network.id, (Network, Network.server_id == Server.id)
        ),
        "consistency groups": _count_by_server(
            session,
            ConsistencyGroup.id,
            (ConsistencyGroup, ConsistencyGroup.server_id == Server.id),
        ),
    }
    servers = session.scalars(select(Server).where(Server.array_id == array.id).order_by(Server.id))
    for server in servers:
        lines.append(f"  server {server.key!r} ({server.name})")
        pools = session.execute(
            select(Pool.name, Pool.capacity_bytes, pool_free_bytes())
            .where(Pool.server_id == server.id)
            .order_by(Pool.id)
        )
        for name, capacity, free in pools:
            lines.append(f"    pool {name}: {format_size(capacity)}, {format_size(free)} free")
        summary = ", ".join(f"{label}: {counts[label].get(server.id, 0)}" for label in counts)
        lines.append(f"    {summary}")
        partners = session.scalars(
            select(RemoteArray.name).where(RemoteArray.server_id == server.id)
        ).all()
        if partners:
            lines.append(f"    replicates to: {', '.join(partners)}")
    return "\n".join(lines)
