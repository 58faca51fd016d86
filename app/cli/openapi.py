"""``mockarray openapi``: the OpenAPI documents of the plugin API and the control plane."""

from __future__ import annotations

import json
import tempfile

import click
import yaml

from mockarray.cli.context import Lab, pass_lab

#: flask-smorest's config prefix of each document.
DOCUMENTS = {"": "the plugin API (/storageplugin/api)", "CONTROL": "the control plane"}


@click.group("openapi")
def openapi_group() -> None:
    """The OpenAPI 3 documents (also served at .../openapi.json)."""


@openapi_group.command("print")
@click.option("-f", "--format", "form", type=click.Choice(["json", "yaml"]), default="json")
@click.option(
    "--config-prefix",
    type=click.Choice(["", "CONTROL"], case_sensitive=False),
    default="",
    help="CONTROL: the control plane's document; default: the plugin API's.",
)
@pass_lab
def openapi_print(lab: Lab, form: str, config_prefix: str) -> None:
    """Print an OpenAPI document."""
    document = spec(lab, config_prefix.upper())
    if form == "yaml":
        click.echo(yaml.safe_dump(document, sort_keys=False), nl=False)
    else:
        click.echo(json.dumps(document, indent=2))


def spec(lab: Lab, config_prefix: str) -> dict:
    """The document, from an application built without a database or log files."""
    from mockarray import create_app

    prefix = f"{config_prefix}_" if config_prefix else ""
    with tempfile.TemporaryDirectory() as scratch:
        app = create_app({**lab.overrides, "LOG_DIR": scratch})
        with app.app_context():
            api = app.extensions["flask-smorest"]["apis"][prefix]["ext_obj"]
            document = api.spec.to_dict()
        app.extensions["mockarray.db"].dispose()
    return document
