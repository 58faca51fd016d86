"""What an answer must be, and the state the plugin API shows.

``ok`` checks a successful answer and ``assert_error`` an error in the one
JSON error shape; ``listed`` checks one list; ``state`` is the array's state, which a refused
call must leave alone (``with unchanged(api): ...``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus

from sqlalchemy import select

from mockarray.array.models import Base
from tests.support.api import Api, control

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
    "notes",
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


def assert_error(
    response,
    status: int,
    *fragments: str,
    field: str | None = None,
    fields: tuple[str, ...] | None = None,
    ignore_case: bool = False,
    sentence: bool = True,
    where: object = None,
) -> dict:
    """An error answer in the one JSON error shape, with ``status``; its body.

    The message names every one of ``fragments`` (in any case if
    ``ignore_case``) and carries no stack trace; it is a sentence of four words
    at least unless ``sentence=False`` (a fault's message, which the test wrote).
    ``field`` must be in the body's ``errors`` and named in the message;
    ``fields`` are exactly the ``errors`` (``()``: the body has none), each with
    its problems as text and named in the message. ``where`` (a path, a case) is
    shown when a check fails.
    """
    text = response.get_data(as_text=True)
    assert response.status_code == status, (where, response.status_code, text)
    assert response.mimetype == "application/json", (where, response.mimetype)
    body = response.get_json()
    assert ERROR_KEYS <= set(body) <= ERROR_KEYS | {"errors"}, (where, body)
    assert body["code"] == status, (where, body)
    assert body["status"] == HTTPStatus(status).phrase, (where, body)
    message = body["message"]
    assert isinstance(message, str) and message.strip(), (where, body)
    assert not sentence or len(message.split()) >= 4, (where, body)
    assert "Traceback" not in text and 'File "' not in text, (where, text)
    folded = message.lower() if ignore_case else message
    for fragment in fragments:
        assert (fragment.lower() if ignore_case else fragment) in folded, (where, fragment, body)
    if field is not None:
        assert field in body.get("errors", {}), (where, body)
        assert field in message, (where, body)
    if fields is not None:
        assert set(body.get("errors", {})) == set(fields), (where, body)
        for name, problems in body.get("errors", {}).items():
            assert problems and all(isinstance(p, str) and p for p in problems), (where, body)
            assert name.lower() in message.lower(), (where, body)
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


#: What a refused call may write on the array: who logged in, and who failed to.
NOT_STATE = frozenset({"plugin_session", "login_failures"})


def array_tables() -> list:
    """The array's tables (``mockarray.array.models``), not the lab's: a fault
    rule counts its hits, the journal records the call."""
    tables = {
        mapper.local_table
        for mapper in Base.registry.mappers
        if mapper.class_.__module__ == "mockarray.array.models"
    }
    return [t for t in Base.metadata.sorted_tables if t in tables and t.name not in NOT_STATE]


def state(api: Api) -> dict:
    """What a refused call must leave alone: every row of every table of the
    array, read from the database (stronger than what the API shows, and far
    cheaper than listing it all), and what the plugin API shows of server
    ``0``'s volumes and system figures."""
    database = api.client.application.extensions["mockarray.db"]
    with database.transaction(write=False) as session:
        rows = {
            table.name: session.execute(select(table).order_by(*table.primary_key.columns)).all()
            for table in array_tables()
        }
    return {
        "rows": rows,
        "volumes": listed(api, "/server/0/volume", "volumes"),
        "system": ok(api.get("/server/0/system")),
    }


@contextmanager
def unchanged(api: Api) -> Iterator[None]:
    """The block's calls change nothing of the array's state (``state``)."""
    before = state(api)
    yield
    after = state(api)
    changed = [name for name in before["rows"] if before["rows"][name] != after["rows"][name]]
    assert not changed, f"tables changed by a refused call: {changed}"
    assert after == before


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


def bring_online(api: Api, volume_id: str, server: str = "0") -> None:
    """Bring the volume's LUN online (a clone's starts offline; a host writes only
    through an online LUN)."""
    lun = next(
        lun for lun in listed(api, f"/server/{server}/lun", "luns") if lun["volumeId"] == volume_id
    )
    response = api.post(f"/server/{server}/lun/{lun['id']}?action=online")
    assert response.status_code == 200, response.get_data(as_text=True)


def split_status(api: Api, volume_id: str) -> dict:
    return ok(api.get(f"/server/0/volume/{volume_id}/splitstatus"))


# -- the control plane -------------------------------------------------------------------


def fault_rules(client) -> list[dict]:
    return ok(control(client, "GET", "/faults"))["faults"]


def clock_state(client) -> dict:
    return ok(control(client, "GET", "/clock"))
