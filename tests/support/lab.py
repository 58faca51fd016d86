"""Labs for the tests: fixture documents built in Python, seeded by ``Lab``."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import yaml

from mockarray.array.models import Array
from mockarray.lab.seeding.loader import seed
from tests.support.api import PASSWORD

# -- fixture documents -------------------------------------------------------------------


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


def standard_arrays() -> tuple[dict, dict]:
    """``alpha``: the standard server; ``beta``: an empty array, for isolation tests."""
    return array_doc("alpha", 1, servers=[standard_server()]), array_doc("beta", 2)


@dataclass
class Lab:
    """Seeds arrays from fixture documents built in Python (``array_doc``)."""

    app: object

    def seed(self, *arrays: dict, source: str = "test.yaml") -> list[Array]:
        """Seed the given array entries; returns the created arrays."""
        text = yaml.safe_dump({"arrays": list(arrays)})
        database = self.app.extensions["mockarray.db"]
        with database.transaction() as session:
            return seed(session, text, source)

    def standard(self) -> list[Array]:
        """``alpha``: the standard server; ``beta``: an empty array, for isolation tests."""
        return self.seed(*standard_arrays())
