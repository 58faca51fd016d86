"""``GET /info``, ``GET /log``, ``GET /storage``, ``GET /server[/{sid}[/system]]``.

Each body carries the guide's fields and no others, with JSON types (README
items 3, 5, 10, 13), and the system figures agree with the pools and volumes.
"""

from __future__ import annotations

import base64
import io
import logging
import re
import secrets
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from mockarray.config.logging import logging_config
from mockarray.plugin.calllog import zip_logs
from tests.support.api import PREFIX, SESSION_HEADER, Api
from tests.support.checks import ok
from tests.support.lab import array_doc

GiB = 1 << 30
TiB = 1 << 40
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DATA_URL_PREFIX = "data:image/png;base64,"
SUPPORTS_KEYS = {
    "replication",
    "volumeReplication",
    "consistencyGroupReplication",
    "newSnapshotReplication",
    "existingSnapshotReplication",
    "replicationToItself",
    "deleteFromSnapshotGroup",
    "persistentConsistencyGroup",
    "singleConsistencyGroup",
}
CONFIG_KEYS = {
    "isDpDestination",
    "isNfsServiceEnabled",
    "isIscsiServiceEnabled",
    "isIncrementalConsistencyGroup",
}
SYSTEM_BYTE_KEYS = {
    "capacityInBytes",
    "systemSizeInBytes",
    "snapshotsSizeInBytes",
    "volumesSizeInBytes",
    "totalSizeInBytes",
    "sharedSpaceInBytes",
    "provisionedSizeInBytes",
}
SYSTEM_RATIO_KEYS = {"dataReduction", "thinProvisioning", "totalReduction"}
SYSTEM_TEXT_KEYS = {"parity", "serialNumber", "model", "version"}


# -- helpers ---------------------------------------------------------------------


def is_integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def png_size(url: str) -> tuple[int, int]:
    """Width and height of the PNG in an RFC 2397 ``data:image/png;base64,`` URL."""
    assert url.startswith(DATA_URL_PREFIX), url[:40]
    picture = base64.b64decode(url[len(DATA_URL_PREFIX) :], validate=True)
    assert picture[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", picture[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", picture[16:24])
    (crc,) = struct.unpack(">I", picture[29:33])
    assert crc == zlib.crc32(picture[12:29]), "IHDR checksum"
    assert picture.endswith(b"IEND\xaeB`\x82"), "PNG ends with IEND"
    return width, height


def get_log(api: Api, accept: str | None = None):
    headers = {SESSION_HEADER: api.session_id}
    if accept is not None:
        headers["Accept"] = accept
    return api.client.get(f"{PREFIX}/log", headers=headers)


def log_lines(response) -> list[dict[str, str]]:
    """The ``key=value`` fields of each line of ``api.log`` in the zip answered."""
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    assert "api.log" in archive.namelist(), archive.namelist()
    text = archive.read("api.log").decode("utf-8")
    return [dict(re.findall(r"(\w+)=(\S+)", line)) for line in text.splitlines() if line]


def logged(lines, **fields: str) -> bool:
    return any(all(line.get(k) == v for k, v in fields.items()) for line in lines)


def gamma_doc() -> dict:
    """An array with two virtual servers; vs1 departs from the default flags."""
    return array_doc(
        "gamma",
        3,
        servers=[
            {
                "id": "vs1",
                "name": "gamma-one",
                "pools": [{"name": "p1", "capacity": "2TiB"}],
                "systemSize": "4GiB",
                "volumes": [{"name": "v", "size": "100GiB", "used": "30GiB"}],
                "supports": {"replication": False, "replicationToItself": True},
                "config": {"isNfsServiceEnabled": True, "isIscsiServiceEnabled": False},
            },
            {"id": "vs2", "name": "gamma-two", "pools": [{"name": "p2", "capacity": "1TiB"}]},
        ],
    )


@pytest.fixture
def gamma(client, lab) -> Api:
    lab.seed(gamma_doc())
    return Api.login(client, "gamma.lab.test")


# -- /info -------------------------------------------------------------------------


def test_info_needs_no_session_and_has_exactly_the_guides_fields(client, api):
    info = ok(client.get(f"{PREFIX}/info", headers={"Accept": "application/json"}))
    assert set(info) == {"name", "id", "version", "imageUrl", "iconUrl"}
    assert all(isinstance(value, str) and value for value in info.values()), info
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", info["version"]), info["version"]
    assert ok(api.get("/storage"))["pluginId"] == info["id"]


def test_info_pictures_are_png_data_urls_of_48_and_16_pixels(client):
    info = ok(client.get(f"{PREFIX}/info"))
    assert png_size(info["imageUrl"]) == (48, 48)
    assert png_size(info["iconUrl"]) == (16, 16)


# -- /log ------------------------------------------------------------------------------


def test_log_needs_a_session(api):
    response = api.client.get(f"{PREFIX}/log", headers={"Accept": "application/zip"})
    assert response.status_code == 401
    assert response.get_json()["code"] == 401


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        (None, "application/zip"),
        ("application/zip", "application/zip"),
        ("*/*", "application/zip"),
        ("application/octet-stream", "application/octet-stream"),
        ("application/json, application/octet-stream", "application/octet-stream"),
    ],
)
def test_log_answers_a_zip_as_the_accept_header_asks(api, accept, mimetype):
    response = get_log(api, accept)
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert log_lines(response)


@pytest.mark.parametrize("accept", ["application/json", "text/plain"])
def test_log_refuses_an_accept_without_zip_or_octet_stream(api, accept):
    response = get_log(api, accept)
    assert response.status_code == 415
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"code", "status", "message"}
    assert "application/zip" in body["message"]


def test_log_records_the_earlier_calls_of_the_sessions_array(client, lab, api):
    beta = Api.login(client, "beta.lab.test")
    # Ids no other test asks for, so these lines are this test's own.
    missing_alpha, missing_beta = (
        f"/server/0/volume/{10**9 + secrets.randbelow(10**9)}" for _ in "ab"
    )
    assert api.get("/storage").status_code == 200
    assert api.get(missing_alpha).status_code == 404
    assert beta.get(missing_beta).status_code == 404
    lines = log_lines(get_log(api))
    assert logged(lines, array="alpha", method="POST", path=f"{PREFIX}/session", status="201")
    assert logged(lines, array="alpha", method="GET", path=f"{PREFIX}/storage", status="200")
    assert logged(lines, array="alpha", method="GET", path=PREFIX + missing_alpha, status="404")
    assert not logged(lines, path=PREFIX + missing_beta)
    archive = zipfile.ZipFile(io.BytesIO(get_log(api).data))
    for line in archive.read("api.log").decode().splitlines():
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line), line


def test_log_shows_each_session_its_own_arrays_calls_and_those_without_a_session(client, lab, api):
    beta = Api.login(client, "beta.lab.test")
    assert beta.get("/storage").status_code == 200
    assert beta.get("/server/0/volume/424242").status_code == 404
    assert client.get(f"{PREFIX}/info").status_code == 200

    for session, mine, other in ((api, "alpha", "beta"), (beta, "beta", "alpha")):
        lines = log_lines(get_log(session))
        arrays = {line["array"] for line in lines}
        assert arrays == {mine, "-"}, (mine, arrays)
        assert logged(lines, array=mine, method="POST", path=f"{PREFIX}/session")
        assert logged(lines, array="-", method="GET", path=f"{PREFIX}/info", status="200")
        assert not logged(lines, array=other)
    beta_lines = log_lines(get_log(beta))
    assert logged(beta_lines, array="beta", path=f"{PREFIX}/server/0/volume/424242")


def test_a_url_encoded_newline_cannot_forge_a_line_in_the_log(client, api):
    forged = "2026-01-01T00:00:00.000Z array=alpha method=DELETE path=forged status=200"
    path = f"{PREFIX}/server/0%0a{forged.replace(' ', '%20')}/volume"
    # No session needed: the call is refused (401) and logged all the same.
    assert client.get(path).status_code == 401
    assert client.get(f"{PREFIX}/info%0d%0a%1b[2Jtail").status_code == 404

    response = get_log(api)
    lines = zipfile.ZipFile(io.BytesIO(response.data)).read("api.log").decode().splitlines()
    assert len(lines) == 2, lines  # alpha's login and the refused call, one line each
    assert not any(line.split(" ")[3] == "path=forged" for line in lines), lines
    refused = log_lines(response)[-1]
    assert refused["array"] == "-" and refused["status"] == "401", refused
    escaped = forged.replace(" ", "\\x20")
    assert refused["path"] == f"{PREFIX}/server/0\\x0a{escaped}/volume", refused
    assert set(refused) == {"array", "method", "path", "action", "status", "duration_ms"}


def test_the_servers_own_log_escapes_what_a_request_sends():
    plain = logging_config()["formatters"]["plain"]
    formatter = plain["()"](plain["format"])
    record = logging.LogRecord(
        "mockarray.web.transaction",
        logging.WARNING,
        __file__,
        1,
        "could not record %s %s: %s",
        ("GET", "/storageplugin/api/info\n2026-01-01 ERROR forged\x1b[2J\u2028x\\y", "busy"),
        None,
    )
    line = formatter.format(record)
    assert "\n" not in line and "\x1b" not in line and "\u2028" not in line, line
    assert line.endswith(
        "could not record GET /storageplugin/api/info\\x0a2026-01-01 ERROR forged"
        "\\x1b[2J\\u2028x\\\\y: busy"
    ), line


def test_log_is_streamed_in_pieces_of_bounded_size(app, client, api):
    log_dir = Path(str(app.config["LOG_DIR"]))
    noise = "".join(
        f"2026-01-01T00:00:00.000Z array=beta method=GET path=/x/{secrets.token_hex(40)} "
        "action=- status=200 duration_ms=1.0\n"
        for _ in range(40_000)
    )
    (log_dir / "api.log.1").write_text(noise)  # ~6 MB of another array's calls
    mine = "2026-01-01T00:00:00.000Z array=alpha method=GET path=/mine action=- status=200\n"
    (log_dir / "api.log.2").write_text(mine * 3 + noise[:1000].rsplit("\n", 1)[0] + "\n")

    response = get_log(api)
    assert response.is_streamed
    pieces = list(zip_logs(app, "alpha"))
    assert max(map(len, pieces)) < 256 * 1024, max(map(len, pieces))
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == ["api.log", "api.log.1", "api.log.2"]
    assert archive.read("api.log.1") == b""
    assert archive.read("api.log.2").decode() == mine * 3


def test_log_holds_this_plugins_calls_only(api):
    # The app was built with a data directory of its own (conftest): its log
    # starts empty, so it holds only the login of the ``api`` fixture.
    lines = log_lines(get_log(api))
    assert [(line["array"], line["method"], line["path"]) for line in lines] == [
        ("alpha", "POST", f"{PREFIX}/session")
    ]


# -- /storage --------------------------------------------------------------------------


def test_storage_has_exactly_the_guides_fields_with_json_types(api):
    storage = ok(api.get("/storage"))
    assert set(storage) == {
        "name",
        "id",
        "hostName",
        "ipAddress",
        "port",
        "pluginId",
        "vendor",
        "version",
        "serverIds",
    }
    assert storage["id"] == api.storage_id
    assert (storage["name"], storage["hostName"]) == ("alpha", "alpha.lab.test")
    assert storage["ipAddress"] == "198.51.100.1"
    assert storage["port"] == 8443 and is_integer(storage["port"])
    assert storage["serverIds"] == ["0"]
    for key in ("name", "id", "hostName", "ipAddress", "pluginId", "vendor", "version"):
        assert isinstance(storage[key], str) and storage[key], key


def test_storage_lists_every_server_id(gamma):
    assert ok(gamma.get("/storage"))["serverIds"] == ["vs1", "vs2"]


# -- /server ----------------------------------------------------------------------------


def check_server(server: dict) -> None:
    """The guide's fields of a server, and no others; flags are booleans."""
    assert set(server) == {"id", "name", "supports", "config"}, server
    assert isinstance(server["id"], str) and isinstance(server["name"], str)
    assert set(server["supports"]) == SUPPORTS_KEYS, server["supports"]
    assert set(server["config"]) == CONFIG_KEYS, server["config"]
    for flags in (server["supports"], server["config"]):
        assert all(isinstance(value, bool) for value in flags.values()), flags


def test_an_array_without_virtual_servers_has_server_0(api):
    servers = ok(api.get("/server"))["servers"]
    assert [server["id"] for server in servers] == ["0"]
    check_server(servers[0])
    assert ok(api.get("/server/0")) == servers[0]


def test_an_array_with_virtual_servers_lists_them_all(gamma):
    servers = ok(gamma.get("/server"))["servers"]
    assert [(s["id"], s["name"]) for s in servers] == [("vs1", "gamma-one"), ("vs2", "gamma-two")]
    for server in servers:
        check_server(server)
        assert ok(gamma.get(f"/server/{server['id']}")) == server


def test_server_flags_are_the_arrays_own(gamma):
    one, two = (ok(gamma.get(f"/server/{sid}")) for sid in ("vs1", "vs2"))
    changed = {
        ("supports", "replication"): False,
        ("supports", "replicationToItself"): True,
        ("config", "isNfsServiceEnabled"): True,
        ("config", "isIscsiServiceEnabled"): False,
    }
    for (group, flag), value in changed.items():
        assert one[group][flag] is value, (group, flag)
        assert two[group][flag] is not value, (group, flag)


def test_an_unknown_server_is_404(api, gamma):
    for session, sid in [(api, "1"), (api, "vs1"), (gamma, "0"), (gamma, "VS1")]:
        for path in (f"/server/{sid}", f"/server/{sid}/system"):
            response = session.get(path)
            assert response.status_code == 404, (path, response.get_json())
            assert sid in response.get_json()["message"]


# -- /server/{sid}/system -----------------------------------------------------------------------


def check_system(system: dict) -> None:
    """The guide's fields of a system, and no others; numbers are JSON numbers."""
    assert set(system) == SYSTEM_BYTE_KEYS | SYSTEM_RATIO_KEYS | SYSTEM_TEXT_KEYS, system
    for key in SYSTEM_BYTE_KEYS:
        assert is_integer(system[key]) and system[key] >= 0, (key, system[key])
    for key in SYSTEM_RATIO_KEYS:
        assert is_number(system[key]) and system[key] > 0, (key, system[key])
    for key in SYSTEM_TEXT_KEYS:
        assert isinstance(system[key], str), (key, system[key])


def pools_free_space(session: Api, sid: str) -> int:
    pools = ok(session.get(f"/server/{sid}/pool"))["pools"]
    assert all(is_integer(pool["freeSpace"]) for pool in pools), pools
    return sum(pool["freeSpace"] for pool in pools)


def test_system_has_exactly_the_guides_fields_with_json_types(api):
    system = ok(api.get("/server/0/system"))
    check_system(system)
    assert system["serialNumber"] == "SN-ALPHA"


def test_system_figures_of_the_standard_lab(api):
    system = ok(api.get("/server/0/system"))
    # vol1: thin, 10 GiB used, nothing shared. vol2: thick, 50 GiB.
    # vol1-clone: thin, its 10 GiB are all shared with vol1.snap2 (unsplit clone).
    assert system["volumesSizeInBytes"] == (10 - 0) * GiB + 50 * GiB + (10 - 10) * GiB
    # vol1.snap1 holds 1 GiB of its own; vol1.snap2 and cg1.snap1 hold nothing.
    assert system["snapshotsSizeInBytes"] == 1 * GiB
    # Every volume's size, the clone's (that of vol1) included.
    assert system["provisionedSizeInBytes"] == (100 + 50 + 100) * GiB
    assert system["sharedSpaceInBytes"] == 10 * GiB
    assert system["systemSizeInBytes"] == 0
    # pool1 (1 TiB) holds vol1, the clone and the snapshots; pool2 (100 GiB) vol2.
    free = pools_free_space(api, "0")
    assert free == (TiB - 10 * GiB - 1 * GiB) + (100 * GiB - 50 * GiB)
    assert system["capacityInBytes"] - system["totalSizeInBytes"] == free
    assert system["capacityInBytes"] == TiB + 100 * GiB


def test_system_figures_count_the_systems_own_space(gamma):
    system = ok(gamma.get("/server/vs1/system"))
    check_system(system)
    assert system["systemSizeInBytes"] == 4 * GiB
    assert system["volumesSizeInBytes"] == 30 * GiB
    assert system["capacityInBytes"] == 2 * TiB + 4 * GiB
    assert system["capacityInBytes"] - system["totalSizeInBytes"] == pools_free_space(gamma, "vs1")
    assert pools_free_space(gamma, "vs1") == 2 * TiB - 30 * GiB
    other = ok(gamma.get("/server/vs2/system"))
    assert other["volumesSizeInBytes"] == other["systemSizeInBytes"] == 0
    assert other["capacityInBytes"] == pools_free_space(gamma, "vs2") == TiB
