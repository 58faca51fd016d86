"""``mockarray conformance``: check a Storage Plugin REST API server against the guide."""

from __future__ import annotations

import http.client
import re
from pathlib import Path

import click

from mockarray.client import HttpTransport, Transport
from mockarray.conformance import Login, run, select
from mockarray.conformance import report as reports


def transport_for(url: str, *, timeout_s: float, verify: bool) -> Transport:
    """The connection to the server under test (tests put an in-process one here)."""
    return HttpTransport(url, timeout=timeout_s, verify=verify)


@click.command("conformance")
@click.option("--url", help="The server's root URL, http(s)://HOST:PORT (the API below it).")
@click.option("--hostname", help="The array to log in to: POST /session's hostname.")
@click.option("--ip", "ip_address", help="POST /session's ipAddress.")
@click.option("--port", type=click.IntRange(1, 65535), help="POST /session's port.")
@click.option("--username", help="The array's user.")
@click.option(
    "--password",
    envvar="MOCKARRAY_CONFORMANCE_PASSWORD",
    help="Its password (or set MOCKARRAY_CONFORMANCE_PASSWORD).",
)
@click.option(
    "--write",
    is_flag=True,
    help="Also run the checks that change the array (each cleans up after itself).",
)
@click.option("--only", metavar="REGEX", help="Only the checks whose name REGEX finds.")
@click.option("--list", "list_only", is_flag=True, help="List the checks and stop.")
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the results as JUnit XML to this file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON document.")
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=1),
    default=120,
    show_default=True,
    help="Seconds a call, a split or a replication may take.",
)
@click.option("--insecure", is_flag=True, help="Accept any TLS certificate (self-signed).")
def conformance_command(
    url,
    hostname,
    ip_address,
    port,
    username,
    password,
    write,
    only,
    list_only,
    junit,
    as_json,
    timeout_s,
    insecure,
) -> None:
    """Check that a server answers the Storage Plugin REST API as the guide says.

    A black box: it works against any plugin (a vendor's in front of a real
    array, or mockarray). Read-only unless --write. Exit status 0 when no
    check failed, 1 otherwise. docs/conformance.md explains every check.

    \b
    Examples:
      mockarray conformance --list
      mockarray conformance --url http://127.0.0.1:8080 --hostname alpha.lab.example \\
          --username admin --password passw0rd
      mockarray conformance --url https://plugin:8443 --insecure --hostname array1 \\
          --port 443 --username cdm --password secret --write --junit conformance.xml
      mockarray conformance ... --only '^snapshot\\.'
    """
    try:
        checks = select(only, write=write)
    except re.error as error:
        raise click.BadParameter(
            f"not a regular expression: {error}", param_hint="--only"
        ) from None
    if list_only:
        click.echo(reports.listing(checks), nl=False)
        return
    missing = [
        option
        for option, value in (("--url", url), ("--username", username), ("--password", password))
        if not value
    ]
    if not (hostname or ip_address):
        missing.append("--hostname (or --ip)")
    if missing:
        raise click.UsageError(f"Missing {', '.join(missing)}.")
    if not checks:
        raise click.BadParameter(f"no check's name matches {only!r}", param_hint="--only")
    try:
        transport = transport_for(url, timeout_s=timeout_s, verify=not insecure)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--url") from None
    login = Login(hostname, ip_address, port, username, password)
    show = None if as_json else (lambda result: click.echo(reports.line(result)))
    if not as_json:
        click.echo(f"Conformance of {url} ({hostname or ip_address}), {len(checks)} checks")
    try:
        outcome = run(transport, login, checks, target=url, timeout_s=timeout_s, progress=show)
    except (OSError, http.client.HTTPException) as error:
        raise click.ClickException(f"Cannot reach {url}: {error}") from None
    if junit:
        junit.write_bytes(reports.junit(outcome))
    click.echo(reports.as_json(outcome) if as_json else reports.summary(outcome), nl=not as_json)
    if not outcome.passed:
        raise SystemExit(1)
