"""Test data: fixture documents built in Python, and a logged-in API client."""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass

from flask.testing import FlaskClient

from mockarray.lab.seeding.loader import seed

PASSWORD = "secret"
PREFIX = "/storageplugin/api"
SESSION_HEADER = "x-storageplugin-sessionid"


def array_doc(name: str, number: int = 1, **overrides) -> dict:
    """A fixture entry for one array; ``overrides`` replace top-level keys."""
    doc = {
        "name": name,
        "hostname": f"{name}.lab.test",
        "ipAddress": f"198.51.100.{number}",
        "port": 8443,
        "serialNumber": f"SN-{name.upper()}",
        "username": "admin",
        "password": PASSWORD,
        "servers": [{"pools": [{"name": "pool1", "capacity": "10TiB"}]}],
    }
    doc.update(copy.deepcopy(overrides))
    return doc


def standard_server() -> dict:
    """One server with a bit of everything, small enough to reason about."""
    return {
        "pools": [
            {"name": "pool1", "capacity": "1TiB"},
            {"name": "pool2", "capacity": "100GiB"},
        ],
        "remoteArrays": [{"name": "partner", "hostAddress": "198.51.100.99"}],
        "volumes": [
            {
                "name": "vol1",
                "size": "100GiB",
                "used": "10GiB",
                "lun": True,
                "snapshots": [
                    {"name": "vol1.snap1", "age": "2d", "used": "1GiB"},
                    {"name": "vol1.snap2", "age": "1d"},
                ],
            },
            {"name": "vol2", "size": "50GiB", "used": "5GiB", "thin": False, "pool": "pool2"},
            {"name": "vol1-clone", "cloneOf": {"volume": "vol1", "snapshot": "vol1.snap2"}},
        ],
        "hosts": [
            {
                "name": "host-iscsi",
                "iqns": ["iqn.1998-01.com.vmware:host-iscsi"],
                "luns": [{"volume": "vol1", "lunNumber": 3}],
            },
            {"name": "host-fc", "wwns": ["50:01:43:80:12:34:56:78"]},
        ],
        "hostGroups": [{"name": "cluster", "hosts": ["host-iscsi", "host-fc"]}],
        "networks": [
            {"name": "eth0", "ipAddress": "198.51.100.50", "config": {"iscsi": True}},
            {"name": "fc0", "wwpn": "500a0b0c00000001", "config": {"fc": True}},
        ],
        "consistencyGroups": [
            {
                "name": "cg1",
                "volumes": ["vol1", "vol2"],
                "targets": ["partner"],
                "snapshots": [{"name": "cg1.snap1", "age": "1h"}],
            }
        ],
    }


@dataclass
class Lab:
    app: object

    def seed(self, *arrays: dict, source: str = "test.yaml"):
        """Seed the given array entries; returns the created arrays."""
        import yaml

        text = yaml.safe_dump({"arrays": list(arrays)})
        database = self.app.extensions["mockarray.db"]
        with database.transaction() as session:
            return seed(session, text, source)

    def standard(self):
        """``alpha``: the standard server; ``beta``: an empty array, for isolation tests."""
        return self.seed(
            array_doc("alpha", 1, servers=[standard_server()]),
            array_doc("beta", 2),
        )


def basic_auth(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@dataclass
class Api:
    """A test client that sends the session header and the guide's media types."""

    client: FlaskClient
    session_id: str
    storage_id: str

    @classmethod
    def login(cls, client: FlaskClient, hostname: str, password: str = PASSWORD) -> Api:
        response = client.post(
            f"{PREFIX}/session",
            json={"hostname": hostname},
            headers=basic_auth("admin", password),
        )
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
