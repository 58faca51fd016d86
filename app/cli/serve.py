"""``mockarray serve``: the plugin API and the control plane, under gunicorn."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import click
from gunicorn.app.base import BaseApplication

from mockarray.cli.context import Lab, pass_lab
from mockarray.cli.db import upgrade
from mockarray.cli.seeding import read_fixture, seed_text
from mockarray.config.serving import gunicorn_settings
from mockarray.database import private_dir


class Server(BaseApplication):
    """gunicorn, run from Python with mockarray's settings; each worker builds
    the application (``mockarray.create_app``, as ``mockarray.wsgi:app`` does)
    with the command's configuration."""

    def __init__(self, settings: Mapping[str, object], overrides: Mapping[str, object]):
        self.settings = dict(settings)
        self.overrides = dict(overrides)
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.settings.items():
            self.cfg.set(name, value)

    def load(self):
        from mockarray import create_app

        return create_app(self.overrides)


@click.command("serve")
@click.option("--bind", help="Address to listen on (default MOCKARRAY_BIND, 127.0.0.1:8080).")
@click.option(
    "--workers", type=click.IntRange(min=1), help="Worker processes (default MOCKARRAY_WORKERS, 2)."
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="Directory of the SQLite database, the logs and the control socket "
    "(default MOCKARRAY_DATA_DIR, ./var).",
)
@click.option("--demo", is_flag=True, help="Seed the demo lab when the database is empty.")
@click.option(
    "--seed",
    "fixture",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Seed this YAML fixture when the database is empty.",
)
@click.option("--certfile", type=click.Path(dir_okay=False, exists=True), help="TLS certificate.")
@click.option("--keyfile", type=click.Path(dir_okay=False, exists=True), help="TLS private key.")
@pass_lab
def serve_command(
    lab: Lab,
    bind: str | None,
    workers: int | None,
    data_dir: str | None,
    demo: bool,
    fixture: str | None,
    certfile: str | None,
    keyfile: str | None,
) -> None:
    """Serve the plugin API (/storageplugin/api) and the control plane
    (/mockarray/api) with gunicorn, until Ctrl-C.

    The database is created or upgraded first. With --demo or --seed FILE, an
    empty database is seeded; one that holds arrays is served as it is.
    gunicorn's control socket is gunicorn.ctl in the data directory. With
    --certfile and --keyfile it speaks HTTPS.

    \b
    Examples:
      mockarray serve --demo
      mockarray serve --bind 0.0.0.0:8443 --certfile cert.pem --keyfile key.pem
      mockarray serve --data-dir /srv/lab --seed lab.yaml --workers 4
    """
    if demo and fixture:
        raise click.UsageError("Give --demo or --seed FILE, not both.")
    if bool(certfile) != bool(keyfile):
        raise click.UsageError("TLS needs both --certfile and --keyfile.")
    given = {
        "BIND": bind,
        "WORKERS": workers,
        "DATA_DIR": data_dir,
        "TLS_CERTFILE": certfile and str(Path(certfile).resolve()),
        "TLS_KEYFILE": keyfile and str(Path(keyfile).resolve()),
    }
    lab.override({name: value for name, value in given.items() if value is not None})
    source, text = read_fixture(fixture, demo) if (demo or fixture) else (None, None)

    # The database, the logs and the control socket: the owner's only.
    private_dir(Path(str(lab.config["DATA_DIR"])))
    upgrade(lab)
    if text is not None:
        click.echo(seed_text(lab, text, source, if_empty=True), err=True)
    config, database = lab.config, lab.describe_database()
    lab.close()  # the workers open their own connections
    scheme = "https" if config.get("TLS_CERTFILE") else "http"
    click.echo(
        f"Serving {database} on {scheme}://{config['BIND']} ({config['WORKERS']} workers); "
        "Ctrl-C stops.",
        err=True,
    )
    Server(gunicorn_settings(config), lab.overrides).run()
