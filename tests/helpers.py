"""Helpers shared by the test modules (their fixtures are in ``conftest.py``).

``ok`` and ``refused`` check one answer; ``listed`` one list; ``state`` is what
the plugin API shows of a session's server ``0``, which a refused call must
leave alone (``with unchanged(api): ...``). ``control`` calls the lab-control
plane (``/mockarray/api``). The last few read what only the database knows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, select

from mockarray.array.models import Volume
from mockarray.database import Database
from mockarray.migrate import alembic_config
from tests.factories import Api

CONTROL = "/mockarray/api"
ERROR_KEYS = {"code", "status", "message"}
#: The keys of a request-journal entry (``GET /journal``, ``mockarray journal --json``).
JOURNAL_ENTRY_KEYS = {
    "id",
    "time",
    "array",
    "session",
    "method",
    "path",
    "action",
    "status",
    "durationMs",
    "body",
    "faultId",
}


# -- one answer --------------------------------------------------------------------------


def ok(response, status: int = 200):
    """The JSON body of a successful answer (``None`` for a ``204``, which has no body)."""
    assert response.status_code == status, (response.status_code, response.get_data(True))
    if status == 204:
        assert response.get_data() == b""
        return None
    assert response.mimetype == "application/json"
    return response.get_json()


def refused(response, status: int, *words: str, field: str | None = None) -> dict:
    """An error answer in the one JSON error shape, with ``status``, whose message
    names ``words`` (and ``field``, which must also be in ``errors``)."""
    assert response.status_code == status, (response.status_code, response.get_data(True))
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert ERROR_KEYS <= set(body) <= ERROR_KEYS | {"errors"}, body
    assert body["code"] == status, body
    assert body["status"] == HTTPStatus(status).phrase, body
    message = body["message"]
    assert isinstance(message, str) and message.strip(), body
    for word in words:
        assert word in message, (word, message)
    if field is not None:
        assert field in body.get("errors", {}), body
        assert field in message, body
    return body


# -- lists and the state they show -------------------------------------------------------


def listed(api: Api, path: str, key: str) -> list[dict]:
    """A whole list, checked for its envelope and its total."""
    response = api.get(path)
    assert response.status_code == 200, (path, response.status_code, response.get_data(True))
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == [key], f"{path}: body keys {list(body)}, expected ['{key}']"
    assert response.headers.get("X-Total-Count") == str(len(body[key])), path
    return body[key]


def ids(api: Api, path: str, key: str, name_field: str = "name") -> dict[str, str]:
    """``{name: id}`` of a list (``name_field`` names the items)."""
    return {item[name_field]: item["id"] for item in listed(api, path, key)}


def free_space(api: Api) -> dict[str, int]:
    """Each pool's ``freeSpace`` by name."""
    return {pool["name"]: pool["freeSpace"] for pool in listed(api, "/server/0/pool", "pools")}


def state(api: Api) -> dict:
    """What a refused call must leave alone: server ``0``'s volumes and their
    snapshots, pools, hosts and their LUNs, the LUN list and the system figures."""
    volumes = listed(api, "/server/0/volume", "volumes")
    hosts = listed(api, "/server/0/host", "hosts")
    return {
        "volumes": volumes,
        "snapshots": {
            v["name"]: listed(api, f"/server/0/volume/{v['id']}/snapshot", "snapshots")
            for v in volumes
        },
        "pools": listed(api, "/server/0/pool", "pools"),
        "hosts": hosts,
        "host_luns": {
            h["name"]: listed(api, f"/server/0/host/{h['id']}/lun", "luns") for h in hosts
        },
        "luns": listed(api, "/server/0/lun", "luns"),
        "system": ok(api.get("/server/0/system")),
    }


@contextmanager
def unchanged(api: Api) -> Iterator[None]:
    """The block's calls change nothing the API shows (``state``)."""
    before = state(api)
    yield
    assert state(api) == before


# -- requests ----------------------------------------------------------------------------


def filled(value, ref: dict[str, str]):
    """``value`` with every ``{name}`` in its strings replaced by ``ref[name]``."""
    if isinstance(value, str):
        return re.sub(r"\{([^{}]+)\}", lambda match: ref[match.group(1)], value)
    if isinstance(value, dict):
        return {k: filled(v, ref) for k, v in value.items()}
    if isinstance(value, list):
        return [filled(v, ref) for v in value]
    return value


def take_snapshot(api: Api, volume_id: str, name: str) -> dict:
    """``POST …/volume/{vid}/snapshot``, which must answer ``201``; the snapshot."""
    return ok(api.post(f"/server/0/volume/{volume_id}/snapshot", json={"name": name}), 201)


def split_status(api: Api, volume_id: str) -> dict:
    return ok(api.get(f"/server/0/volume/{volume_id}/splitstatus"))


# -- the control plane -------------------------------------------------------------------


def control(client, method: str, path: str, json=None, **kwargs):
    """A call to the control plane."""
    kwargs.setdefault("headers", {"Accept": "application/json"})
    return client.open(CONTROL + path, method=method, json=json, **kwargs)


def fault_rules(client) -> list[dict]:
    return ok(control(client, "GET", "/faults"))["faults"]


def clock_state(client) -> dict:
    return ok(control(client, "GET", "/clock"))


# -- what only the database knows --------------------------------------------------------


def fingerprints(database) -> dict[int, str]:
    """Every volume's content fingerprint by id."""
    with database.transaction(write=False) as session:
        return dict(session.execute(select(Volume.id, Volume.content_fingerprint)).all())


def fingerprint(database, volume_id: str) -> str:
    return fingerprints(database)[int(volume_id)]


def head_revision(database) -> str:
    """The newest migration's revision."""
    return ScriptDirectory.from_config(alembic_config(database)).get_current_head()


@contextmanager
def recorded_statements(database: Database | Engine) -> Iterator[list[str]]:
    """The SQL statements the database (every engine of it) sends while the block runs."""
    statements: list[str] = []
    engines = database.engines if isinstance(database, Database) else (database,)

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        statements.append(statement)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
