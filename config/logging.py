"""The server's own log (not the API call log): one format, to standard error.

gunicorn applies it (``logconfig_dict`` in ``gunicorn.conf.py``), so its own
messages and the application's share a format and a level. Its messages are
escaped (``EscapingFormatter``): request data that reaches them (a path with
a URL-encoded newline) cannot forge a line. A traceback keeps its lines.
"""

from __future__ import annotations

import logging


def _escaped(char: str) -> str:
    code = ord(char)
    if char == "\\":
        return "\\\\"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape(text: str, *, spaces: bool = False) -> str:
    """``text`` on one line: control and other unprintable characters (newlines,
    escape sequences, Unicode line separators) and the backslash written as
    Python escapes (``\\x0a``), and so are spaces unless ``spaces``: a
    ``key=value`` field stays one field."""
    if text.isprintable() and "\\" not in text and (spaces or " " not in text):
        return text
    return "".join(
        _escaped(char)
        if char == "\\" or not char.isprintable() or (char == " " and not spaces)
        else char
        for char in text
    )


class EscapingFormatter(logging.Formatter):
    """Every message on one line (``escape``, spaces kept); a traceback after it as it is."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape(record.message, spaces=True)
        return super().formatMessage(record)


def logging_config(level: str = "INFO") -> dict:
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {
                "()": EscapingFormatter,
                "format": "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s",
            }
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "gunicorn.error": {"handlers": ["stderr"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
