"""The dashboard's pages: ``/mockarray/`` and its login form."""

from __future__ import annotations

from importlib.resources import files

import marshmallow as ma
from flask import (
    Blueprint,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from mockarray.errors import Forbidden, Invalid, Unauthorized
from mockarray.lab import checkpoints, faults, overview
from mockarray.lab import clock as lab_clock
from mockarray.lab.api.core import CONTROL_PREFIX, TOKEN_COOKIE, check_token, is_admin_token
from mockarray.lab.journal import JournalQuery
from mockarray.units import format_size, format_time
from mockarray.web.docs_ui import DOCS_PATH
from mockarray.web.transaction import db_session, discard_unit_of_work, finish_unit_of_work

DASHBOARD_PREFIX = "/mockarray"
#: Journal entries the dashboard shows.
JOURNAL_SHOWN = 25
#: How long the login cookie lasts: a working week in the lab.
LOGIN_MAX_AGE_S = 7 * 24 * 3600

blp = Blueprint(
    "dashboard",
    __name__,
    url_prefix=DASHBOARD_PREFIX,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
blp.after_request(finish_unit_of_work)
blp.teardown_request(discard_unit_of_work)


class DashboardQuery(ma.Schema):
    """The page's query: which server's objects, which page of its volumes, and the
    journal's filters (as ``GET /mockarray/api/journal`` takes them)."""

    array = ma.fields.String(load_default=None, validate=ma.validate.Length(max=255))
    server = ma.fields.String(load_default=None, validate=ma.validate.Length(max=64))
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=10**9))
    method = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(["", "GET", "POST", "PUT", "DELETE", "PATCH"]),
    )
    status = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=100, max=599))
    call_array = ma.fields.String(load_default=None, validate=ma.validate.Length(max=255))
    path = ma.fields.String(load_default=None, validate=ma.validate.Length(max=1024))

    class Meta:
        unknown = ma.EXCLUDE

    @ma.pre_load
    def drop_empty(self, data, **_kwargs):
        # An empty filter field of the form means "any".
        return {key: value for key, value in data.items() if value != ""}


def _query() -> dict:
    try:
        return DashboardQuery().load(request.args)
    except ma.ValidationError as error:
        fields = {name: [str(m) for m in messages] for name, messages in error.messages.items()}
        described = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items())
        raise Invalid(f"Invalid dashboard query. {described}", fields=fields) from None


def _refused() -> Response | None:
    """The login form when the token is wanted, a page saying why when the client
    may not call the control plane at all; ``None`` when it may."""
    try:
        check_token()
    except Unauthorized:
        return make_response(render_template("dashboard/login.html", wrong=False), 401)
    except Forbidden as error:
        return make_response(render_template("dashboard/refused.html", why=error.message), 403)
    return None


@blp.app_template_filter("size")
def _size(value: int) -> str:
    return format_size(value)


@blp.app_template_filter("time")
def _time(value: int) -> str:
    return format_time(value)


@blp.app_template_filter("time_of_day")
def _time_of_day(value: int) -> str:
    """``17:46:40.000``: the journal's column (the whole time in its title)."""
    return format_time(value)[11:-1]


@blp.route("/", methods=["GET"])
def dashboard():
    refused = _refused()
    if refused is not None:
        return refused
    query = _query()
    session = db_session()
    server = overview.find_server(session, query["array"], query["server"])
    journal_query = JournalQuery(
        method=query["method"],
        status=query["status"],
        array=query["call_array"],
        path=query["path"],
    )
    calls, matching_calls = overview.latest_calls(session, journal_query, JOURNAL_SHOWN)
    replicas, replica_count = overview.replicas(session)
    context = {
        "arrays": overview.arrays(session),
        "server": server,
        "server_array": server.array.name if server is not None else None,
        "volumes": overview.volume_page(session, server, query["page"]) if server else None,
        "hosts": overview.hosts(session, server) if server else ([], [], 0),
        "groups": overview.consistency_groups(session, server) if server else [],
        "replicas": replicas,
        "replica_count": replica_count,
        "tasks": overview.running_tasks(session),
        "calls": calls,
        "matching_calls": matching_calls,
        "journal_shown": JOURNAL_SHOWN,
        "query": query,
        "faults": faults.list_rules(session),
        "clock": lab_clock.state(session),
        "checkpoints": checkpoints.list_checkpoints(session),
        "control": CONTROL_PREFIX,
        "plugin_docs": f"/storageplugin/api/{DOCS_PATH}",
        "control_docs": f"{CONTROL_PREFIX}/{DOCS_PATH}",
        "logged_in": TOKEN_COOKIE in request.cookies,
    }
    response = make_response(render_template("dashboard/index.html", **context))
    # Live figures: never from a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/login", methods=["POST"])
def login():
    """The login form: the token goes in a cookie only this server's pages send
    (``SameSite=Strict``, ``HttpOnly``: no script reads it)."""
    if not current_app.config.get("ADMIN_TOKEN"):
        # No token to log in with: the page is open to loopback clients, or to nobody.
        return redirect(url_for("dashboard.dashboard"), code=303)
    token = request.form.get("token", "")
    if not is_admin_token(token):
        return make_response(render_template("dashboard/login.html", wrong=True), 401)
    response = redirect(url_for("dashboard.dashboard"), code=303)
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        max_age=LOGIN_MAX_AGE_S,
        path=DASHBOARD_PREFIX,
        secure=request.is_secure,
        httponly=True,
        samesite="Strict",
    )
    return response


@blp.route("/logout", methods=["POST"])
def logout():
    response = redirect(url_for("dashboard.dashboard"), code=303)
    response.delete_cookie(TOKEN_COOKIE, path=DASHBOARD_PREFIX)
    return response


@blp.route("/logo.png", methods=["GET"])
def logo():
    """mockarray's logo, the one ``GET /info`` shows (shipped in ``mockarray/assets``)."""
    return send_file(files("mockarray").joinpath("assets", "logo-48.png"), mimetype="image/png")
