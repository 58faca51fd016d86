"""Clients of the two HTTP APIs: the plugin's (``Api``, ``login``) and the control plane's."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from flask.testing import FlaskClient

PASSWORD = "secret"
PREFIX = "/storageplugin/api"
CONTROL = "/mockarray/api"
SESSION_HEADER = "x-storageplugin-sessionid"
ALPHA_LOGIN = {"hostname": "alpha.lab.test"}


def basic_auth(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def present(headers: dict[str, str | None]) -> dict[str, str]:
    """The headers that have a value (``None`` leaves one out)."""
    return {name: value for name, value in headers.items() if value is not None}


def login(
    client: FlaskClient,
    body: dict | None = None,
    *,
    user: str | None = "admin",
    password: str | None = PASSWORD,
    **headers: str | None,
):
    """``POST /session`` (to alpha unless ``body`` says otherwise); the answer.

    Credentials go as HTTP Basic unless ``user`` is ``None``; ``headers`` are
    added by name (``Accept=...``), and one given as ``None`` is left out.
    """
    credentials = basic_auth(user, password) if user is not None else {}
    return client.post(
        f"{PREFIX}/session",
        json=ALPHA_LOGIN if body is None else body,
        headers=present({**credentials, **headers}),
    )


@dataclass
class Api:
    """A test client that sends the session header and the guide's media types."""

    client: FlaskClient
    session_id: str
    storage_id: str

    @classmethod
    def login(cls, client: FlaskClient, hostname: str, password: str = PASSWORD) -> Api:
        """A new session on the array named ``hostname``; the login must succeed."""
        response = login(client, {"hostname": hostname}, password=password)
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        return cls(client, body["sessionId"], body["storageId"])

    @property
    def headers(self) -> dict[str, str]:
        return {SESSION_HEADER: self.session_id, "Accept": "application/json"}

    def get(self, path: str, **kwargs):
        return self.client.get(PREFIX + path, headers=self.headers, **kwargs)

    def post(self, path: str, json=None, **kwargs):
        return self.client.post(PREFIX + path, headers=self.headers, json=json, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.client.delete(PREFIX + path, headers=self.headers, **kwargs)

    def ids(self, path: str, key: str, name_field: str = "name") -> dict[str, str]:
        """``{name: id}`` of a list."""
        response = self.get(path)
        assert response.status_code == 200, response.get_json()
        return {item[name_field]: item["id"] for item in response.get_json()[key]}


def control(client: FlaskClient, method: str, path: str, json=None, **kwargs):
    """A call to the control plane (``/mockarray/api``); one that changes the lab says
    ``Content-Type: application/json`` even without a body, as the control plane wants."""
    kwargs.setdefault("headers", {"Accept": "application/json"})
    if method.upper() not in {"GET", "HEAD", "OPTIONS"} and json is None:
        kwargs.setdefault("content_type", "application/json")
    return client.open(CONTROL + path, method=method, json=json, **kwargs)
