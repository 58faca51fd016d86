"""Answers that are not a serialized schema."""

from __future__ import annotations

from flask import Response


def no_content(status: int) -> Response:
    """An answer without a body, as the guide's "Response Body: None"."""
    response = Response(status=status)
    del response.headers["Content-Type"]
    return response
