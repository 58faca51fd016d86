"""How long a URL and a header may be: longer is a JSON ``414`` or ``431`` from the
application, not the HTML page of the HTTP server in front of it.

gunicorn is set to let longer requests through (``mockarray.config.serving``) so
that they reach this check; only beyond its own, far higher limits does gunicorn
answer by itself.
"""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import RequestHeaderFieldsTooLarge, RequestURITooLarge

#: The longest request target (path and query string, as sent) the server accepts.
MAX_URL_BYTES = 8192
#: The longest header field (name, ": " and value) the server accepts.
MAX_HEADER_FIELD_BYTES = 8190


def check_request_size() -> None:
    environ = request.environ
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if target is None:
        query = environ.get("QUERY_STRING", "")
        target = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
    if len(target) > MAX_URL_BYTES:
        raise RequestURITooLarge(
            f"The URL is {len(target)} bytes long; this server accepts {MAX_URL_BYTES} at "
            "most. Send long values in a request body, or fewer query parameters."
        )
    for name, value in request.headers.items():
        size = len(name) + 2 + len(value)
        if size > MAX_HEADER_FIELD_BYTES:
            raise RequestHeaderFieldsTooLarge(
                f"The {name} header is {size} bytes long; this server accepts "
                f"{MAX_HEADER_FIELD_BYTES} at most per header."
            )
