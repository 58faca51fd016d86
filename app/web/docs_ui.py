"""Swagger UI for both OpenAPI documents, from files installed with mockarray.

Labs are often offline: the docs pages load Swagger UI's files from
``ASSETS_URL``, served here from the ``flask-swagger-ui`` package (a PyPI
dependency that ships Swagger UI's ``dist`` folder), never from a CDN. Each
API adds its page with ``add_docs_page``: ``<prefix>/docs``, reading the
document the API serves at ``<prefix>/openapi.json``.
"""

from __future__ import annotations

from functools import partial
from importlib.resources import files

from flask import Blueprint, Flask, current_app, render_template, send_file

#: Where Swagger UI's own files are served (shared by both APIs' pages).
ASSETS_URL = "/mockarray/assets/swagger-ui/"
#: The docs page of each API, below the API's prefix.
DOCS_PATH = "docs"
#: The docs pages, in the order the pages' top bar lists them: (path, name).
_PAGES = "mockarray.docs_pages"


def assets_folder() -> str:
    return str(files("flask_swagger_ui") / "dist")


def init_docs_ui(app: Flask) -> None:
    assets = Blueprint(
        "swagger_ui_assets",
        __name__,
        static_folder=assets_folder(),
        static_url_path=ASSETS_URL.rstrip("/"),
        template_folder="templates",
    )
    app.register_blueprint(assets)
    # What browsers ask every page of this server for.
    app.add_url_rule("/favicon.ico", "favicon", _favicon)


def add_docs_page(app: Flask, *, prefix: str, name: str, title: str) -> None:
    """Swagger UI at ``{prefix}/docs`` for the document at ``{prefix}/openapi.json``."""
    path = f"{prefix}/{DOCS_PATH}"
    app.extensions.setdefault(_PAGES, []).append((path, name))
    view = partial(_page, title=title, document=f"{prefix}/openapi.json")
    endpoint = "docs_ui" + prefix.replace("/", "_")
    app.add_url_rule(path, endpoint, view, methods=["GET"])


def _page(*, title: str, document: str):
    return render_template(
        "mockarray_docs_ui.html",
        title=title,
        document=document,
        assets=ASSETS_URL,
        pages=current_app.extensions[_PAGES],
    )


def _favicon():
    return send_file(files("mockarray").joinpath("assets", "icon-16.png"), mimetype="image/png")
