"""The gunicorn settings mockarray runs with, built from its configuration.

One function for both ways of serving: ``mockarray serve`` (gunicorn's Python
API) and ``gunicorn -c config/gunicorn.conf.py wsgi:app``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mockarray.config.logging import logging_config

#: The control socket (gunicorn's ``gunicornc``), in the data directory: two
#: instances on one host, each with its own data directory, never share one.
CONTROL_SOCKET = "gunicorn.ctl"


def gunicorn_settings(config: Mapping[str, object]) -> dict[str, object]:
    """gunicorn's settings (names as in a ``gunicorn.conf.py``) for ``config``
    (``mockarray.config.from_env``)."""
    settings: dict[str, object] = {
        "bind": [str(config["BIND"])],
        "workers": int(config["WORKERS"]),
        # Sync workers: each request is one short database transaction.
        "worker_class": "sync",
        "timeout": 60,
        "graceful_timeout": 10,
        # The application logs every API call itself (GET /log); no access log here.
        "accesslog": None,
        "logconfig_dict": logging_config(str(config["LOG_LEVEL"])),
        "control_socket": str(Path(str(config["DATA_DIR"])) / CONTROL_SOCKET),
        "control_socket_mode": 0o600,
        # Let long URLs and headers reach the application, which answers them with a
        # JSON 414 or 431 (mockarray.web.limits) instead of gunicorn's HTML page:
        # 0 is gunicorn's most (1 MiB) for the request line; 64 KiB for a header.
        "limit_request_line": 0,
        "limit_request_field_size": 64 * 1024,
    }
    if config.get("TLS_CERTFILE") or config.get("TLS_KEYFILE"):
        settings["certfile"] = str(config["TLS_CERTFILE"])
        settings["keyfile"] = str(config["TLS_KEYFILE"])
    return settings
