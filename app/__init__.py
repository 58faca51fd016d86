"""mockarray: a simulated storage array behind the IBM Spectrum CDM Storage Plugin REST API."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from mockarray import config as config_module


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """Build the application. ``config`` overrides the ``MOCKARRAY_*`` environment."""
    app = Flask(__name__)
    app.config.update(config_module.from_env(overrides=config))
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_BODY_BYTES"]
    # Answer fields in the guide's order, not alphabetically.
    app.json.sort_keys = False

    _init_extensions(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    return app


def _init_extensions(app: Flask) -> None:
    from mockarray.database import Database
    from mockarray.plugin.calllog import init_call_log

    app.extensions["mockarray.db"] = Database(
        str(app.config["DATABASE_URL"]),
        sqlite_busy_timeout_ms=int(app.config["SQLITE_BUSY_TIMEOUT_MS"]),
    )
    init_call_log(app)


def _register_blueprints(app: Flask) -> None:
    from mockarray.lab.api import init_control
    from mockarray.plugin import init_api, package_version

    init_api(app)
    init_control(app, package_version())


def _register_error_handlers(app: Flask) -> None:
    from mockarray.web.errors import register_error_handlers

    register_error_handlers(app)
