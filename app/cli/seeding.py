"""``mockarray seed``, ``reset`` and ``show``: the lab's fixtures from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
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
from mockarray.lab.seeding.loader import (
    DEMO_FIXTURE,
    FixtureError,
    demo_fixture_text,
    is_empty,
    reset,
    seed,
)
from mockarray.lab.seeding.loader import check as check_fixture
from mockarray.units import format_size


def _database():
    return current_app.extensions["mockarray.db"]


@click.command("seed")
@click.argument("fixture", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--demo", is_flag=True, help="Seed the demo lab that ships with mockarray.")
@click.option("--replace", is_flag=True, help="Empty the lab first (every array goes).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds arrays.")
@click.option("--check", is_flag=True, help="Only validate FIXTURE; load nothing.")
@with_appcontext
def seed_command(
    fixture: str | None, demo: bool, replace: bool, if_empty: bool, check: bool
) -> None:
    """Load the arrays described in the YAML file FIXTURE ('-' reads standard input).

    All or nothing: any problem is reported with its place in the file and
    nothing is loaded. An array whose name, hostname, IP address or serial
    number is already taken is refused unless --replace empties the lab first.

    \b
    Examples:
      mockarray seed lab.yaml
      mockarray seed --replace lab.yaml
      mockarray seed --demo --if-empty
      mockarray seed --check lab.yaml
    """
    if bool(fixture) == demo:
        raise click.UsageError("Name one FIXTURE file, or give --demo.")
    if demo:
        source, text = DEMO_FIXTURE, demo_fixture_text()
    elif fixture == "-":
        source, text = "<stdin>", sys.stdin.read()
    else:
        path = Path(fixture)
        if not path.is_file():
            raise click.BadParameter(f"{fixture} is not a file.", param_hint="FIXTURE")
        source, text = str(path), path.read_text(encoding="utf-8")
    try:
        with _database().transaction() as session:
            if check:
                names = ", ".join(check_fixture(session, text, source, replace=replace))
                click.echo(f"{source} is a good fixture (nothing loaded): {names}.")
                return
            if if_empty and not is_empty(session):
                click.echo("The lab already holds arrays; nothing seeded.")
                return
            arrays = seed(session, text, source, replace=replace)
            names = ", ".join(array.name for array in arrays)
    except FixtureError as error:
        click.echo(str(error), err=True)
        raise click.ClickException(
            f"{source}: {len(error.problems)} problem(s); nothing was loaded."
        ) from None
    click.echo(f"Seeded {len(arrays)} array(s) from {source}: {names}.")


@click.command("reset")
@click.option("--empty", is_flag=True, help="Leave the lab empty instead of seeding it again.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def reset_command(empty: bool, yes: bool) -> None:
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
    with _database().transaction() as session:
        arrays = reset(session, empty=empty)
    if empty:
        click.echo("The lab is empty.")
    else:
        click.echo(f"The lab is back to its fixtures: {len(arrays)} array(s).")


@click.command("show")
@click.argument("array", required=False)
@with_appcontext
def show_command(array: str | None) -> None:
    """Summarise the arrays (or the one named ARRAY) and what they hold.

    \b
    Examples:
      mockarray show
      mockarray show alpha
    """
    with _database().transaction(write=False) as session:
        statement = select(Array).order_by(Array.id)
        if array:
            statement = statement.where(Array.name == array)
        arrays = list(session.scalars(statement))
        if not arrays and array:
            raise click.ClickException(f"No array named '{array}'. 'mockarray show' lists them.")
        if not arrays:
            click.echo("The lab is empty.")
            return
        for each in arrays:
            click.echo(_describe(session, each))


def _count_by_server(session: Session, column, *joins) -> dict[int, int]:
    statement = select(Server.id, func.count(column)).select_from(Server)
    for target, on in joins:
        statement = statement.join(target, on)
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
