"""mockarray's client library: the plugin API and the control plane from Python.

``PluginClient`` speaks the Storage Plugin REST API as CDM does (log in, then
every resource and action of the guide); ``ControlClient`` drives the lab
(reset, checkpoints, faults, clock, journal, host writes, seeding). Both run
over HTTP (``HttpTransport``, keep-alive, standard library only) or straight
into a Flask test client in-process (``FlaskTransport``). An error answer
raises a ``MockarrayError`` subclass by status (``NotFound``, ``Conflict``,
``NoSpace``...) carrying ``status``, ``message`` and ``errors``.
docs/client.md shows them at work.

May import: nothing of mockarray but itself, and only the standard library:
users run it against a remote server without the server's dependencies
being loaded.
"""

from mockarray.client.base import Page
from mockarray.client.control import ControlClient
from mockarray.client.errors import (
    BadRequest,
    ClientError,
    Conflict,
    Forbidden,
    MethodNotAllowed,
    MockarrayError,
    NoSpace,
    NotFound,
    PayloadTooLarge,
    ServerError,
    TooManyRequests,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
)
from mockarray.client.plugin import PluginClient
from mockarray.client.transport import FlaskTransport, HttpTransport, Response, Transport

__all__ = [
    "BadRequest",
    "ClientError",
    "Conflict",
    "ControlClient",
    "FlaskTransport",
    "Forbidden",
    "HttpTransport",
    "MethodNotAllowed",
    "MockarrayError",
    "NoSpace",
    "NotFound",
    "Page",
    "PayloadTooLarge",
    "PluginClient",
    "Response",
    "ServerError",
    "TooManyRequests",
    "Transport",
    "Unauthorized",
    "Unavailable",
    "UnsupportedMediaType",
]
