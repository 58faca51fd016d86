"""Labs for the tests: fixture documents built in Python, seeded by ``Lab``.

``Lab.seed`` loads documents as ``mockarray seed`` does. A lab a worker has
already seeded twice into an empty database is put back from a snapshot of
itself instead (``LabSnapshots``): a checkpoint restore, several times faster
than seeding, with the same rows and ids, and its times moved on by the time
since that seed, so the lab is as young as a freshly seeded one.
"""

from __future__ import annotations

import copy
import json
import secrets
import zlib
from collections import Counter
from dataclasses import dataclass, field

import yaml
from sqlalchemy import BigInteger, delete, select
from sqlalchemy.orm import Session

from mockarray.array import clock
from mockarray.array.models import Array
from mockarray.database import Database
from mockarray.lab import checkpoints
from mockarray.lab.models import Checkpoint, FaultRule, JournalEntry, LabClock
from mockarray.lab.seeding.loader import is_empty, record_fixture, seed, wipe
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


# -- an empty lab ------------------------------------------------------------------------


def clear_lab(database: Database) -> None:
    """An empty lab: no array, session or seeded fixture, and none of what the
    control plane keeps beside them (faults, journal, checkpoints, clock)."""
    with database.transaction() as session:
        wipe(session)
        for model in (FaultRule, JournalEntry, Checkpoint, LabClock):
            session.execute(delete(model))


# -- snapshots of seeded labs ------------------------------------------------------------


def _time_columns() -> dict[str, list[str]]:
    """The columns of the checkpointed tables that hold a moment (``*_ms``, epoch
    milliseconds in a ``BigInteger``), by table."""
    columns = {}
    for table in checkpoints._state_tables():
        names = [
            c.name
            for c in table.columns
            if c.name.endswith("_ms") and isinstance(c.type, BigInteger)
        ]
        if names:
            columns[table.name] = names
    return columns


@dataclass
class Snapshot:
    """A lab as seeded from one document: its checkpoint's tables, and the
    simulated time it was seeded at."""

    tables: dict[str, list[dict]]
    seeded_at: int
    #: What tests work out from this lab once (its ids by name, say).
    memo: dict = field(default_factory=dict)

    @classmethod
    def take(cls, session: Session, seeded_at: int) -> Snapshot:
        """The lab as it is in ``session`` (a checkpoint saved and dropped again)."""
        saved = checkpoints.save(session, f"tests-snapshot-{secrets.token_hex(8)}")
        data = json.loads(zlib.decompress(saved.data))
        session.delete(saved)
        session.flush()
        assert data["format"] == checkpoints.FORMAT, data["format"]
        return cls(data["tables"], seeded_at)

    def put_back(self, session: Session, text: str, source: str) -> list[Array]:
        """The lab restored into an empty ``session``, and its document recorded as
        ``seed`` records it; its arrays.

        Every moment moves on by the time since the seed, so the lab is what a
        seed now would make."""
        now = clock.now(session)
        shift = now - self.seeded_at
        tables = {}
        time_columns = _time_columns()
        for name, rows in self.tables.items():
            moments = [c for c in time_columns.get(name, ()) if rows and c in rows[0]]
            if shift and moments:
                rows = [
                    {**row, **{c: row[c] + shift for c in moments if row[c] is not None}}
                    for row in rows
                ]
            tables[name] = rows
        data = zlib.compress(
            json.dumps({"format": checkpoints.FORMAT, "tables": tables}).encode(), 1
        )
        checkpoint = Checkpoint(
            name=f"tests-snapshot-{secrets.token_hex(8)}",
            created_ms=now,
            arrays=len(tables["array"]),
            volumes=len(tables.get("volume", [])),
            size_bytes=len(data),
            data=data,
        )
        session.add(checkpoint)
        session.flush()
        checkpoints.restore(session, checkpoint.name)
        session.execute(delete(Checkpoint).where(Checkpoint.id == checkpoint.id))
        arrays = list(session.scalars(select(Array).order_by(Array.id)))
        record_fixture(session, text, source, arrays)
        session.flush()
        return arrays


class LabSnapshots:
    """The labs a worker seeded into an empty database, by document: the second
    seeding of one takes its snapshot, later ones put it back."""

    def __init__(self) -> None:
        self.seeded: Counter[tuple[str, str]] = Counter()
        self.saved: dict[tuple[str, str], Snapshot] = {}

    def seed(self, session: Session, text: str, source: str) -> tuple[list[Array], Snapshot | None]:
        """Seed ``text`` into the empty lab of ``session``; the arrays, and the
        snapshot they came from (``None`` when seeded)."""
        key = (text, source)
        snapshot = self.saved.get(key)
        if snapshot is not None:
            return snapshot.put_back(session, text, source), snapshot
        seeded_at = clock.now(session)
        arrays = seed(session, text, source)
        self.seeded[key] += 1
        if self.seeded[key] >= 2:
            self.saved[key] = Snapshot.take(session, seeded_at)
        return arrays, None


_FIXTURE_TEXTS: dict[str, str] = {}


def fixture_text(arrays: tuple[dict, ...]) -> str:
    """The YAML document of ``arrays``, made once per content: most tests seed the
    same few labs, and dumping YAML costs more than restoring the lab."""
    document = {"arrays": list(arrays)}
    try:
        key = json.dumps(document, sort_keys=True)
    except TypeError:  # a value JSON cannot hold (a date): no caching
        return yaml.safe_dump(document)
    if key not in _FIXTURE_TEXTS:
        _FIXTURE_TEXTS[key] = yaml.safe_dump(document)
    return _FIXTURE_TEXTS[key]


@dataclass
class Lab:
    """Seeds arrays from fixture documents built in Python (``array_doc``)."""

    app: object
    snapshots: LabSnapshots | None = None
    #: The snapshot the last ``seed`` put back, if it put one back.
    snapshot: Snapshot | None = None

    def seed(self, *arrays: dict, source: str = "test.yaml") -> list[Array]:
        """Seed the given array entries; returns the created arrays."""
        text = fixture_text(arrays)
        database = self.app.extensions["mockarray.db"]
        self.snapshot = None
        with database.transaction() as session:
            if self.snapshots is None or not is_empty(session):
                return seed(session, text, source)
            created, self.snapshot = self.snapshots.seed(session, text, source)
            return created

    def standard(self) -> list[Array]:
        """``alpha``: the standard server; ``beta``: an empty array, for isolation tests."""
        return self.seed(*standard_arrays())

    def memo(self) -> dict:
        """A place to keep what a test works out from this lab, for later tests
        that get the same lab from the same snapshot (empty when it was seeded)."""
        return self.snapshot.memo if self.snapshot is not None else {}
