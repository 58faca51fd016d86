"""The blueprint every resource of both APIs is built on: flask-smorest's, with
``400`` (not webargs' ``422``) for invalid parameters and bodies, and the
kit's documentation (``mockarray.web.openapi``): registered with an API (the
parent of its resources), it lists each operation's error statuses and, on
lists, ``X-Total-Count``."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint
from webargs.core import is_json, missing
from webargs.flaskparser import FlaskParser, abort

from mockarray.web.errors import ErrorSchema
from mockarray.web.jsonbody import JsonBodyError, loads
from mockarray.web.openapi import Api, documented, response_name


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

    def load_json(self, req, schema):
        """The body, parsed strictly (``mockarray.web.jsonbody``); none: ``missing``."""
        if not is_json(req.mimetype):
            return missing
        data = req.get_data(cache=True)
        if not data:
            return missing
        try:
            return loads(data)
        except JsonBodyError as error:
            where = {error.field: [error.reason]} if error.field else [error.reason]
            abort(400, exc=error, messages={"json": where})


class ApiBlueprint(Blueprint):
    """One resource of an API (or the API's root): its views declare their input
    and output schemas."""

    ARGUMENTS_PARSER = _Parser()

    def arguments(self, schema, *args, **kwargs):
        """flask-smorest's, with a schema class made an instance once, here: webargs
        would make one (deep-copying every field) on every request."""
        if isinstance(schema, type):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)

    def refuses(self, *statuses: int, description: str | None = None):
        """Document error statuses a view answers beyond its API's usual ones
        (``@blp.refuses(507)``), with the API's description of each or with
        ``description``."""

        def decorate(view):
            for status in statuses:
                if description is None:
                    documented = self.alt_response(status, response=response_name(status))
                else:
                    documented = self.alt_response(
                        status, schema=ErrorSchema, description=description
                    )
                view = documented(view)
            return view

        return decorate

    def resource_tags(self, api: Api) -> dict[str, str]:
        """Each nested blueprint (one per resource) as a tag of the document, with its
        description; the tag of each by its name. The tag is the name without the
        API's own as a prefix (``checkpoints`` of ``control_checkpoints``)."""
        tags = {}
        for child, _options in self._blueprints:
            tag = child.name.removeprefix(f"{self.name}_")
            api.spec.tag({"name": tag, "description": child.description or ""})
            tags[child.name] = tag
        return tags

    def register_views_in_doc(self, api, app, spec, *, name, parameters):
        if not isinstance(api, Api):
            return super().register_views_in_doc(api, app, spec, name=name, parameters=parameters)
        original = self._docs
        self._docs = documented(original, api, app, name, tags=self.resource_tags(api))
        try:
            return super().register_views_in_doc(api, app, spec, name=name, parameters=parameters)
        finally:
            self._docs = original
