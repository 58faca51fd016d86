"""``mockarray seed``, ``reset`` and ``show``: the lab's fixtures from the command line."""

from __future__ import annotations

import json
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
from mockarray.lab.seeding.loader import DEMO_FIXTURE, demo_fixture_text, is_empty, reset
from mockarray.lab.seeding.outcome import seed_fixture
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
        if check or (if_empty and not is_empty(session)):
            return seed_fixture(session, text, source, check=check, if_empty=if_empty).message
        with progress_bar(f"Seeding {source}") as progress:
            outcome = seed_fixture(session, text, source, replace=replace, progress=progress)
        return outcome.message

    return lab.run(act)


@click.command("reset")
@click.option("--empty", is_flag=True, help="Leave the lab empty instead of seeding it again.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_lab
def reset_command(lab: Lab, empty: bool, yes: bool) -> None:
    """Put the lab back to the fixtures that were seeded, in one transaction.

    Every change and session goes; the arrays come back as seeded, every
    object with the id it had (from the checkpoint seeding saved: as fast as a
    checkpoint restore). With --empty nothing comes back and the fixtures are
    forgotten.

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
@click.option("--json", "as_json", is_flag=True, help="One JSON document (sizes in bytes).")
@pass_lab
def show_command(lab: Lab, array: str | None, as_json: bool) -> None:
    """Summarise the arrays (or the one named ARRAY) and what they hold.

    With --json: {"arrays": [...]}, each array with name, vendor, model,
    version, serialNumber, hostname, ipAddress, port, username and servers;
    each server with id, name, pools (name, capacity, free: bytes), counts
    (volumes, clones, snapshots, luns, offlineLuns, hosts, mappings,
    hostGroups, networks, consistencyGroups) and replicatesTo.

    \b
    Examples:
      mockarray show
      mockarray show alpha
      mockarray show --json
    """

    def summarise(session) -> list[dict]:
        statement = select(Array).order_by(Array.id)
        if array:
            statement = statement.where(Array.name == array)
        arrays = list(session.scalars(statement))
        if not arrays and array:
            raise click.ClickException(f"No array named '{array}'. 'mockarray show' lists them.")
        return _summaries(session, arrays)

    summaries = lab.run(summarise, write=False)
    if as_json:
        click.echo(json.dumps({"arrays": summaries}, indent=2))
    else:
        click.echo("\n".join(_describe(each) for each in summaries) or "The lab is empty.")


def _count_by_server(session: Session, column, *joins, where=None) -> dict[int, int]:
    statement = select(Server.id, func.count(column)).select_from(Server)
    for target, on in joins:
        statement = statement.join(target, on)
    if where is not None:
        statement = statement.where(where)
    return dict(session.execute(statement.group_by(Server.id)).all())


#: What ``show`` counts on each server: its key in ``--json``, and its label.
COUNTS = {
    "volumes": "volumes",
    "clones": "clones",
    "snapshots": "snapshots",
    "luns": "LUNs",
    "offlineLuns": "offline LUNs",
    "hosts": "hosts",
    "mappings": "mappings",
    "hostGroups": "host groups",
    "networks": "networks",
    "consistencyGroups": "consistency groups",
}


def _counts(session: Session) -> dict[str, dict[int, int]]:
    """Each of ``COUNTS`` by server id, for every server at once."""
    return {
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
        "luns": _count_by_server(
            session,
            Lun.id,
            (Volume, Volume.server_id == Server.id),
            (Lun, Lun.volume_id == Volume.id),
        ),
        # A clone's LUN starts offline until ?action=online (the guide's bodies do not say).
        "offlineLuns": _count_by_server(
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
        "hostGroups": _count_by_server(
            session, HostGroup.id, (HostGroup, HostGroup.server_id == Server.id)
        ),
        "networks": _count_by_server(
            session, Network.id, (Network, Network.server_id == Server.id)
        ),
        "consistencyGroups": _count_by_server(
            session,
            ConsistencyGroup.id,
            (ConsistencyGroup, ConsistencyGroup.server_id == Server.id),
        ),
    }


def _summaries(session: Session, arrays: list[Array]) -> list[dict]:
    """What ``show`` says of each array, as data (``--json`` prints it as it is)."""
    if not arrays:
        return []
    counts = _counts(session)
    array_ids = [array.id for array in arrays]
    servers: dict[int, list[Server]] = {}
    for server in session.scalars(
        select(Server).where(Server.array_id.in_(array_ids)).order_by(Server.id)
    ):
        servers.setdefault(server.array_id, []).append(server)
    server_ids = [server.id for each in servers.values() for server in each]
    pools: dict[int, list[dict]] = {}
    for server_id, name, capacity, free in session.execute(
        select(Pool.server_id, Pool.name, Pool.capacity_bytes, pool_free_bytes())
        .where(Pool.server_id.in_(server_ids))
        .order_by(Pool.id)
    ):
        pools.setdefault(server_id, []).append({"name": name, "capacity": capacity, "free": free})
    partners: dict[int, list[str]] = {}
    for server_id, name in session.execute(
        select(RemoteArray.server_id, RemoteArray.name)
        .where(RemoteArray.server_id.in_(server_ids))
        .order_by(RemoteArray.id)
    ):
        partners.setdefault(server_id, []).append(name)
    return [
        {
            "name": array.name,
            "vendor": array.vendor,
            "model": array.model,
            "version": array.version,
            "serialNumber": array.serial_number,
            "hostname": array.hostname,
            "ipAddress": array.ip_address,
            "port": array.port,
            "username": array.username,
            "servers": [
                {
                    "id": server.key,
                    "name": server.name,
                    "pools": pools.get(server.id, []),
                    "counts": {key: counts[key].get(server.id, 0) for key in COUNTS},
                    "replicatesTo": partners.get(server.id, []),
                }
                for server in servers.get(array.id, [])
            ],
        }
        for array in arrays
    ]


def _describe(array: dict) -> str:
    lines = [
        f"{array['name']}  {array['vendor']} {array['model']} {array['version']}, "
        f"serial {array['serialNumber']}",
        f"  log in: hostname {array['hostname']} or ipAddress {array['ipAddress']}, "
        f"port {array['port']}, user {array['username']}",
    ]
    for server in array["servers"]:
        lines.append(f"  server {server['id']!r} ({server['name']})")
        for pool in server["pools"]:
            lines.append(
                f"    pool {pool['name']}: {format_size(pool['capacity'])}, "
                f"{format_size(pool['free'])} free"
            )
        summary = ", ".join(f"{label}: {server['counts'][key]}" for key, label in COUNTS.items())
        lines.append(f"    {summary}")
        if server["replicatesTo"]:
            lines.append(f"    replicates to: {', '.join(server['replicatesTo'])}")
    return "\n".join(lines)
