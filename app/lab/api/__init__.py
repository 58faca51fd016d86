"""The control plane: the lab's HTTP API, apart from the plugin API.

Under ``/mockarray/api`` with its own OpenAPI document
(``/mockarray/api/openapi.json``), the same JSON error shape, and a bearer
token (``MOCKARRAY_ADMIN_TOKEN``); without a token only loopback clients may
use it (``GET /health`` excepted: anyone may call it). Every lab function also
has a ``mockarray`` command. ``plugin_hooks`` attaches the lab's fault gate and
journal to every plugin API call, ``metrics`` its per-call counters.
"""

from __future__ import annotations

from flask import Flask

from mockarray.lab.api import (
    checkpoints,
    clock,
    faults,
    health,
    journal,
    metrics,
    reset,
    seeding,
    tasks,
    writes,
)
from mockarray.lab.api.core import CONTROL_PREFIX, ERRORS, init_control_conventions
from mockarray.web import docs_ui
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.openapi import Api, load_examples

RESOURCES = (
    health,
    metrics,
    seeding,
    reset,
    checkpoints,
    faults,
    clock,
    tasks,
    journal,
    writes,
)


def init_control(app: Flask, version: str) -> None:
    app.config.update(
        CONTROL_API_TITLE="mockarray — lab control",
        CONTROL_API_VERSION=version,
        CONTROL_OPENAPI_VERSION="3.0.3",
        CONTROL_OPENAPI_URL_PREFIX=CONTROL_PREFIX,
        CONTROL_OPENAPI_JSON_PATH="openapi.json",
        CONTROL_API_SPEC_OPTIONS={
            "info": {
                "description": "Drive the simulated arrays from a test run: seeding, "
                "reset, checkpoints, faults, the simulated clock, the request journal, host "
                "writes; watch the server: health, Prometheus metrics. "
                "Send 'Authorization: Bearer <MOCKARRAY_ADMIN_TOKEN>'; without a token set, "
                "loopback clients calling a loopback name (localhost, 127.0.0.1, [::1]) need "
                "none. GET /health needs neither. A POST, PUT or DELETE sends "
                "'Content-Type: application/json' (even without a body) and no Origin of "
                "another site.\n\nOperations are grouped by resource; each has an "
                "operationId and examples recorded on the demo lab (`mockarray seed --demo`)."
            },
            "security": [{"token": []}],
        },
    )
    api = Api(app, errors=ERRORS, examples=load_examples(__name__), config_prefix="CONTROL")
    api.spec.components.security_scheme(
        "token",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "MOCKARRAY_ADMIN_TOKEN (the scheme in any case). While it is unset "
            "no token is needed: loopback clients calling the server by a loopback name "
            "(localhost, 127.0.0.1, [::1], any port) are allowed, others get 403.",
        },
    )
    control = ApiBlueprint("control", __name__, url_prefix=CONTROL_PREFIX)
    init_control_conventions(control)
    for resource in RESOURCES:
        control.register_blueprint(resource.blp)
    api.register_blueprint(control)
    docs_ui.add_docs_page(
        app,
        prefix=CONTROL_PREFIX,
        name="Control plane docs",
        title=str(app.config["CONTROL_API_TITLE"]),
    )
