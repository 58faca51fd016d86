"""The plugin API: the guide's resources under ``/storageplugin/api`` and nothing else.

One module per resource: views parse (marshmallow, ``schemas``), call the
array's behaviour and serialize; they hold no rules of their own. The
plugin API's conventions (the session header, the call log behind
``GET /log``, the hooks others attach to every call) are in ``core``.

May import: ``mockarray.web``, ``mockarray.array`` and the ground floor.
Nothing of the lab: the lab attaches itself through ``core.CallHooks``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from flask import Flask

from mockarray.plugin import (
    consistencygroup,
    host,
    hostgroup,
    info,
    log,
    lun,
    network,
    pool,
    remotearray,
    server,
    session,
    snapshot,
    storage,
    volume,
)
from mockarray.plugin.core import API_PREFIX, ERRORS, SESSION_HEADER, init_conventions
from mockarray.web import docs_ui
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.openapi import Api, load_examples

RESOURCES = (
    info,
    session,
    log,
    storage,
    server,
    volume,
    snapshot,
    lun,
    host,
    hostgroup,
    network,
    pool,
    consistencygroup,
    remotearray,
)


def package_version() -> str:
    try:
        return version("mockarray")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "0.0.0"


def init_api(app: Flask) -> None:
    app.config.update(
        API_TITLE="mockarray — IBM Spectrum CDM Storage Plugin API",
        API_VERSION=package_version(),
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {
                "description": "A simulated storage array. Every call but GET /info and "
                "POST /session needs the x-storageplugin-sessionid header.\n\n"
                "Operations are grouped by resource; each has an operationId and examples "
                "recorded on the demo lab (`mockarray seed --demo`: log in to "
                "alpha.lab.example as admin, password passw0rd). An object's ?action= "
                "route reads the body of the action its `action` parameter names "
                "(`<Resource><Action>Body`). Every error has one shape (`Error`)."
            },
            "security": [{"session": []}],
        },
    )
    api = Api(app, errors=ERRORS, examples=load_examples(__name__))
    api.spec.components.security_scheme(
        "session", {"type": "apiKey", "in": "header", "name": SESSION_HEADER}
    )
    # One parent blueprint carries the conventions; each resource nests in it.
    plugin = ApiBlueprint("plugin", __name__, url_prefix=API_PREFIX)
    init_conventions(plugin)
    for resource in RESOURCES:
        plugin.register_blueprint(resource.blp)
    api.register_blueprint(plugin)
    docs_ui.add_docs_page(
        app, prefix=API_PREFIX, name="Plugin API docs", title=str(app.config["API_TITLE"])
    )
