"""``GET /info``: the plugin itself (no session)."""

from __future__ import annotations

import base64
from functools import cache
from importlib.resources import files

from flask import current_app

from mockarray.identity import PLUGIN_ID, PLUGIN_NAME
from mockarray.plugin.core import public
from mockarray.plugin.schemas import InfoSchema
from mockarray.web.blueprint import ApiBlueprint

blp = ApiBlueprint("info", __name__, description="The plugin itself.")


@cache
def data_url(asset: str) -> str:
    """An RFC 2397 ``data:image/png`` URL of a picture shipped in ``app/assets``."""
    picture = files("mockarray").joinpath("assets", asset).read_bytes()
    return "data:image/png;base64," + base64.b64encode(picture).decode("ascii")


@blp.route("/info", methods=["GET"])
@public
@blp.response(200, InfoSchema)
@blp.doc(security=[])
def get_info():
    """The plugin's name, id, version, logo (48x48) and icon (16x16).

    Needs no session: a client reads it before logging in, to see which
    plugin answers. The pictures are PNGs inlined as ``data:`` URLs, so the
    answer needs no further call.
    """
    return {
        "name": PLUGIN_NAME,
        "id": PLUGIN_ID,
        # Read from the installed package once, when the app was made.
        "version": current_app.config["API_VERSION"],
        "imageUrl": data_url("logo-48.png"),
        "iconUrl": data_url("icon-16.png"),
    }
