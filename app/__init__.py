"""mockarray: a simulated storage array behind the IBM Spectrum CDM Storage Plugin REST API.

The rooms (README's "Layout" draws them): ``web`` (the shared HTTP kit),
``plugin`` (the guide's API), ``array`` (the array: tables and rules), ``lab``
(everything that drives the arrays from outside: control plane, clock,
checkpoints, faults, journal, seeding) and ``cli`` (the ``mockarray``
command), on a ground floor of ``config``, ``database``, ``errors``,
``fields``, ``naming``, ``queries`` and ``units``. This module wires them: ``create_app`` and
``open_database``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from mockarray import config as config_module

if TYPE_CHECKING:
    from flask import Flask

    from mockarray.database import Database

# Flask is imported when an app is built, not with the package: ``mockarray.client``
# and the pytest plugin (loaded by every pytest run) stay light.


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """Build the application. ``config`` overrides the ``MOCKARRAY_*`` environment."""
    from flask import Flask

    from mockarray.web.jsonbody import StrictJSONProvider

    app = Flask(__name__)
    app.config.update(config_module.from_env(overrides=config))
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_BODY_BYTES"]
    # Request bodies parsed strictly (repeated keys, lone surrogates, depth: 400).
    app.json = StrictJSONProvider(app)
    # Answer fields in the guide's order, not alphabetically.
    app.json.sort_keys = False

    _init_extensions(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    _remember_sync_functions(app)
    _take_turns(app)
    return app


def _remember_sync_functions(app: Flask) -> None:
    """Flask asks of every hook and view, on every request, whether it is a
    coroutine function (``ensure_sync``: an ``inspect`` call each, nine a call);
    the answer for a function never changes, so it is asked once."""
    from functools import lru_cache

    app.ensure_sync = lru_cache(maxsize=1024)(app.ensure_sync)  # type: ignore[method-assign]


def _take_turns(app: Flask) -> None:
    """One request at a time runs in a worker (``mockarray.turns``)."""
    from mockarray.turns import OneAtATime

    app.wsgi_app = OneAtATime(app.wsgi_app)


def open_database(config: Mapping[str, object]) -> Database:
    """The database a configuration names, with the lab's simulated clock in it
    (the server and the command line open it alike)."""
    from mockarray.database import Database
    from mockarray.lab.clock import SimulatedClock

    return Database(
        str(config["DATABASE_URL"]),
        sqlite_busy_timeout_ms=int(config["SQLITE_BUSY_TIMEOUT_MS"]),
        clock=SimulatedClock(),
    )


def _init_extensions(app: Flask) -> None:
    from mockarray.plugin.calllog import init_call_log

    app.extensions["mockarray.db"] = open_database(app.config)
    init_call_log(app)


def _register_blueprints(app: Flask) -> None:
    from mockarray.lab.api import init_control, metrics
    from mockarray.lab.api.plugin_hooks import attach
    from mockarray.lab.dashboard import init_dashboard
    from mockarray.plugin import init_api, package_version
    from mockarray.web.docs_ui import init_docs_ui

    init_api(app)
    init_control(app, package_version())
    init_docs_ui(app)
    init_dashboard(app)
    # The lab's fault gate and journal ride on the plugin API's hooks, as do its metrics.
    attach(app)
    metrics.attach(app)


def _register_error_handlers(app: Flask) -> None:
    from mockarray.web.errors import register_error_handlers
    from mockarray.web.limits import check_request_size

    register_error_handlers(app)
    # Before every other check: a URL or header too long is a JSON 414 or 431.
    app.before_request(check_request_size)
