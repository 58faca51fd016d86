"""``/mockarray/api/metrics``: Prometheus metrics (``mockarray.lab.metrics``), and
the hook that counts every plugin API call for them.

The hook rides on the plugin API's ``answered`` hooks: it runs once the call's
unit of work is finished (a write call no longer holds SQLite's write lock),
costs a few microseconds and no database work. Its ``operation`` label is the
route's template below ``/storageplugin/api`` in the OpenAPI document's
spelling, with the action of an ``?action=`` route by its declared name:
``/server/{sid}/volume/{vid}?action=clone``.
"""

from __future__ import annotations

import logging
import re
from functools import cache

from flask import Flask, Response, current_app, g, request
from sqlalchemy.exc import SQLAlchemyError

from mockarray.lab.metrics import CONTENT_TYPE, Metrics, lab_figures
from mockarray.plugin.core import API_PREFIX, call_hooks
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.media import media_types, view_attribute
from mockarray.web.transaction import db_session

log = logging.getLogger(__name__)

blp = ApiBlueprint("control_metrics", __name__, description="Prometheus metrics.")

_EXTENSION = "mockarray.metrics"
_PATH_ARGUMENT = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")
#: Methods a label may name; anything else a client sends counts as OTHER.
_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})


def attach(app: Flask) -> None:
    app.extensions[_EXTENSION] = Metrics()
    call_hooks(app).answered.append(count_call)


@cache
def _template(rule: str) -> str:
    """``/server/{sid}/volume/{vid}`` of ``/storageplugin/api/server/<sid>/volume/<vid>``."""
    return _PATH_ARGUMENT.sub(r"{\1}", rule.removeprefix(API_PREFIX)) or "/"


def operation() -> str:
    """The operation being answered, bounded: its route, and the action by its
    declared name (``(unknown)`` for one the route does not have)."""
    rule = request.url_rule
    if rule is None:
        return "(no route)"
    template = _template(rule.rule)
    actions = view_attribute("_mockarray_actions")
    if actions is None:
        return template
    named = actions.known_name(request.args.get("action"))
    return f"{template}?action={named or '(unknown)'}"


def count_call(response: Response, duration_ms: float, _at_ms: int) -> None:
    method = request.method if request.method in _METHODS else "OTHER"
    current_app.extensions[_EXTENSION].calls.record(
        operation(),
        method,
        response.status_code,
        duration_ms / 1000,
        g.get("fault_id") is not None,
    )


@blp.route("/metrics", methods=["GET"])
@media_types("text/plain")
@blp.response(
    200,
    # Only documents the answer: a Response passes through unserialized.
    {"type": "string"},
    description="The Prometheus text exposition format (version 0.0.4).",
    content_type="text/plain",
)
def get_metrics():
    """Prometheus metrics of the plugin API's calls and of the lab.

    Plugin API calls by operation, method and status, their latency and the
    faults injected into them are those of every worker of this server (this
    host); the lab's arrays, volumes, snapshots, running long tasks, fault rules
    and journal size come from the shared database. Scrape every host: the
    per-call counters add up across hosts, the lab's gauges are the same on each.
    """
    try:
        figures = lab_figures(db_session())
    except SQLAlchemyError as error:
        # The per-call figures are still worth a scrape when the database is down.
        log.warning("metrics: the lab's figures cannot be read: %s", error)
        figures = None
    return Response(
        current_app.extensions[_EXTENSION].exposition(figures),
        headers={"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"},
    )
