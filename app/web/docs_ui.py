"""Swagger UI for both OpenAPI documents, from assets installed with mockarray.

Labs are often offline: the page flask-smorest renders loads Swagger UI's
files from ``ASSETS_URL``, served here from the ``flask-swagger-ui`` package
(a PyPI dependency that ships Swagger UI's ``dist`` folder), never a CDN.
Each API asks for it with ``config(prefix)``.
"""

from __future__ import annotations

from importlib.resources import files

from flask import Blueprint, Flask, send_file

#: Where Swagger UI's own files are served (shared by both APIs' pages).
ASSETS_URL = "/mockarray/assets/swagger-ui/"
#: The docs page of each API, below the API's OpenAPI prefix.
DOCS_PATH = "docs"


def assets_folder() -> str:
    return str(files("flask_swagger_ui") / "dist")


def config(prefix: str = "") -> dict[str, object]:
    """flask-smorest settings that serve the docs page of the API whose settings
    start with ``prefix`` (``""`` or ``"CONTROL_"``) from the shipped assets."""
    return {
        f"{prefix}OPENAPI_SWAGGER_UI_PATH": DOCS_PATH,
        f"{prefix}OPENAPI_SWAGGER_UI_URL": ASSETS_URL,
        # Every operation listed, each folded until clicked; deep links work.
        f"{prefix}OPENAPI_SWAGGER_UI_CONFIG": {"docExpansion": "list", "deepLinking": True},
    }


def init_docs_ui(app: Flask) -> None:
    assets = Blueprint(
        "swagger_ui_assets",
        __name__,
        static_folder=assets_folder(),
        static_url_path=ASSETS_URL.rstrip("/"),
    )
    app.register_blueprint(assets)
    # What browsers ask every page of this server for (the docs pages name none).
    app.add_url_rule("/favicon.ico", "favicon", _favicon)


def _favicon():
    return send_file(files("mockarray").joinpath("assets", "icon-16.png"), mimetype="image/png")
