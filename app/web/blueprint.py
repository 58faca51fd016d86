"""The blueprint every resource of both APIs is built on: flask-smorest's, with
``400`` (not webargs' ``422``) for invalid parameters and bodies."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser


class _Parser(FlaskParser):
    """A malformed or invalid request is a ``400``, as the guide says."""

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION = {
        # Be liberal in what we accept: a client may send more than we read.
        "json": ma.EXCLUDE,
        "query": ma.EXCLUDE,
        "form": ma.EXCLUDE,
        "headers": ma.EXCLUDE,
        "cookies": ma.EXCLUDE,
        "files": ma.EXCLUDE,
        "view_args": ma.RAISE,
        "json_or_form": ma.EXCLUDE,
        "querystring": ma.EXCLUDE,
    }


class ApiBlueprint(Blueprint):
    """One resource of an API: its views declare their input and output schemas."""

    ARGUMENTS_PARSER = _Parser()
