"""The read-only checks, by the guide's sections: fields and types, status codes,
the session header, media types, pagination, and that ids refer to each other."""

from __future__ import annotations

import base64
import io
import json
import struct
import zipfile
from dataclasses import replace

from mockarray.conformance import guide
from mockarray.conformance.framework import (
    Failed,
    Probe,
    Skipped,
    check,
    conformance_of,
)

#: An id no array hands out (the guide's ids are strings: any unknown one is 404).
UNKNOWN_ID = "987654321"
WRONG_SESSION = "conformance-no-such-session"
#: Objects read one by one per resource (the rest are read in the list).
READ_BACK = 3


def conform_items(probe: Probe, items: list, shape, what: str) -> None:
    """Each item of a list has the guide's fields: failures name the item's id."""
    problems: list[str] = []
    for item in items:
        found, readings = conformance_of(item, shape, f"{what}[]")
        for reading in readings:
            probe.note(reading)
        label = item.get("id", item.get("name")) if isinstance(item, dict) else None
        problems.extend(f"{problem} (id {label!r})" for problem in found)
    if problems:
        raise Failed("; ".join(problems[:8]), probe.last)


def expect_unauthorized(probe: Probe, method: str, path: str, body=None) -> None:
    """``401`` without the session header, and with an unknown session id."""
    for session, how in ((None, "without a session"), (WRONG_SESSION, "with an unknown session")):
        probe.expect(probe.call(method, path, body=body, session=session), 401, what=how)


# -- Plugin Information --------------------------------------------------------------------------


@check("info.fields", "Plugin Information")
def info_fields(probe: Probe) -> None:
    """GET /info answers 200 without a session, with name, id, version, imageUrl, iconUrl."""
    answer = probe.json(probe.expect(probe.get("/info", session=False), 200))
    probe.conform(answer, guide.INFO, "info")


@check("info.images", "Plugin Information")
def info_images(probe: Probe) -> None:
    """imageUrl and iconUrl are RFC 2397 data URLs; PNGs are 48x48 and 16x16."""
    answer = probe.json(probe.expect(probe.get("/info", session=False), 200))
    for key, size in (("imageUrl", 48), ("iconUrl", 16)):
        url = answer.get(key)
        if not isinstance(url, str) or not url.startswith("data:") or "," not in url:
            raise Failed(
                f"{key}: expected an RFC 2397 data: URL, got {str(url)[:60]!r}", probe.last
            )
        header, _, data = url.partition(",")
        if not header.startswith("data:image/png") or not header.endswith(";base64"):
            probe.note(f"{key} is {header}: its size was not checked (only PNGs are)")
            continue
        try:
            picture = base64.b64decode(data, validate=True)
        except ValueError:
            raise Failed(f"{key}: not valid base64", probe.last) from None
        if picture[:8] != b"\x89PNG\r\n\x1a\n" or len(picture) < 24:
            raise Failed(f"{key}: says image/png but is not a PNG", probe.last)
        width, height = struct.unpack(">II", picture[16:24])
        if (width, height) != (size, size):
            raise Failed(f"{key}: expected {size}x{size} pixels, got {width}x{height}", probe.last)


# -- Session ---------------------------------------------------------------------------------


@check("session.create", "Session")
def session_create(probe: Probe) -> None:
    """POST /session answers 201 with sessionId and storageId, and the id works."""
    login = probe.login
    body = login.body()
    if probe.credentials_reading.endswith("body"):
        body.update(username=login.username, password=login.password)
        headers = {}
    else:
        headers = login.basic()
    response = probe.call("POST", "/session", body=body, headers=headers, session=False)
    probe.expect(response, 201)
    answer = probe.json(response)
    probe.conform(answer, guide.SESSION, "session")
    probe.note(f"the server took {probe.credentials_reading} (the guide does not say)")
    probe.expect(
        probe.get("/storage", session=answer["sessionId"]), 200, what="with the new session"
    )


@check("session.wrong_password", "Session")
def session_wrong_password(probe: Probe) -> None:
    """POST /session with a wrong password answers 401."""
    login = probe.login
    wrong = replace(login, password=login.password + "-wrong")
    body = wrong.body()
    if probe.credentials_reading.endswith("body"):
        body.update(username=wrong.username, password=wrong.password)
    response = probe.call("POST", "/session", body=body, headers=wrong.basic(), session=False)
    probe.expect(response, 401)


@check("session.header", "API Required Headers")
def session_header(probe: Probe) -> None:
    """GET /storage answers 401 without x-storageplugin-sessionid or with an unknown one."""
    expect_unauthorized(probe, "GET", "/storage")


@check("session.storage_id", "Storage")
def session_storage_id(probe: Probe) -> None:
    """GET /storage's id is the session's storageId."""
    storage = probe.read("/storage")
    if storage.get("id") != probe.storage_id:
        raise Failed(
            f"expected id {probe.storage_id!r} (the session's storageId), "
            f"got {storage.get('id')!r}",
            probe.last,
        )


@check("session.calls.unauthorized", "API Required Headers")
def session_calls_unauthorized(probe: Probe) -> None:
    """Every action, create and delete answers 401 without a valid session."""
    # Unknown ids: a server that ignored the session would still change nothing.
    server = f"/server/{probe.server_ids()[0]}"
    volume = f"{server}/volume/{UNKNOWN_ID}"
    calls = [
        ("POST", f"{volume}/snapshot", {"name": "conformance-never-made"}),
        ("DELETE", volume, None),
        ("DELETE", f"{volume}/snapshot/{UNKNOWN_ID}", None),
        ("POST", f"{volume}?action=clone", {"name": "conformance-never-made"}),
        ("POST", f"{volume}?action=split", None),
        ("POST", f"{volume}?action=restore", {"snapshotId": UNKNOWN_ID}),
        ("POST", f"{volume}/snapshot/{UNKNOWN_ID}?action=get-Progress", {}),
        ("POST", f"{server}/lun/{UNKNOWN_ID}?action=online", None),
        ("POST", f"{server}/host/{UNKNOWN_ID}?action=map", {"volumeId": UNKNOWN_ID}),
        ("POST", f"{server}/host/{UNKNOWN_ID}?action=unmap", {"lunId": UNKNOWN_ID}),
        ("POST", f"{server}/hostgroup/{UNKNOWN_ID}?action=map", {"volumeId": UNKNOWN_ID}),
        ("POST", f"{server}/consistencygroup/{UNKNOWN_ID}?action=take-snapshot", {}),
    ]
    for method, target, body in calls:
        path, _, action = target.partition("?action=")
        for session in (None, WRONG_SESSION):
            query = {"action": action} if action else None
            response = probe.call(method, path, body=body, query=query, session=session)
            probe.expect(response, 401, what="without a valid session")


# -- Log -------------------------------------------------------------------------------------


def _log(probe: Probe, accept: str) -> None:
    response = probe.get("/log", accept=accept)
    probe.expect(response, 200, 201)
    if response.status == 201:
        probe.note("GET /log answered 201, as the guide's status table (a copy of Session's) says")
    try:
        zipfile.ZipFile(io.BytesIO(response.body)).testzip()
    except zipfile.BadZipFile:
        raise Failed(f"expected a zip file for Accept: {accept}", probe.last) from None


@check("log.zip", "Log")
def log_zip(probe: Probe) -> None:
    """GET /log with Accept: application/zip answers a zip file."""
    _log(probe, "application/zip")


@check("log.octet_stream", "Log")
def log_octet_stream(probe: Probe) -> None:
    """GET /log with Accept: application/octet-stream answers a zip file."""
    _log(probe, "application/octet-stream")


@check("log.unauthorized", "Log")
def log_unauthorized(probe: Probe) -> None:
    """GET /log answers 401 without a session or with an unknown one."""
    for session in (None, WRONG_SESSION):
        probe.expect(probe.call("GET", "/log", accept="application/zip", session=session), 401)


# -- Storage -----------------------------------------------------------------------------------


@check("storage.fields", "Storage")
def storage_fields(probe: Probe) -> None:
    """GET /storage has the guide's fields with their JSON types."""
    probe.conform(probe.read("/storage"), guide.STORAGE, "storage")


@check("storage.plugin_id", "Storage")
def storage_plugin_id(probe: Probe) -> None:
    """GET /storage's pluginId is the plugin's id of GET /info ("The ID of this plugin")."""
    plugin = probe.json(probe.expect(probe.get("/info", session=False), 200))
    storage = probe.read("/storage")
    if storage.get("pluginId") != plugin.get("id"):
        raise Failed(
            f"expected pluginId {plugin.get('id')!r} (GET /info's id), "
            f"got {storage.get('pluginId')!r}",
            probe.last,
        )


@check("storage.accept", "Storage")
def storage_accept(probe: Probe) -> None:
    """GET /storage with Accept: text/html answers 415 Unsupported Media Type."""
    probe.expect(probe.get("/storage", accept="text/html"), 415)


@check("session.content_type", "API Required Headers")
def session_content_type(probe: Probe) -> None:
    """POST /session with a body that is not application/json is refused (415)."""
    body = probe.login.body()
    response = probe.call(
        "POST",
        "/session",
        body=json.dumps(body).encode(),
        headers={**probe.login.basic(), "Content-Type": "text/plain"},
        session=False,
    )
    probe.expect(response, 415, 400)
    if response.status == 400:
        probe.note(
            "a body that is not application/json is 400 Bad Request (the guide names no status)"
        )


# -- Server ------------------------------------------------------------------------------------


@check("server.list.fields", "Server")
def server_list_fields(probe: Probe) -> None:
    """GET /server lists the servers with the guide's fields; their ids are storage's serverIds."""
    servers = probe.items("/server", "servers")
    conform_items(probe, servers, guide.SERVER, "servers")
    listed = sorted(str(s.get("id")) for s in servers)
    if listed != sorted(probe.server_ids()):
        raise Failed(
            f"expected the servers {sorted(probe.server_ids())} of GET /storage, got {listed}",
            probe.last,
        )


@check("server.get.fields", "Server")
def server_get_fields(probe: Probe) -> None:
    """GET /server/<server_id> answers each server with the guide's fields."""
    for server_id in probe.server_ids():
        probe.conform(probe.read(f"/server/{server_id}"), guide.SERVER, "server")


@check("server.get.unknown", "Server")
def server_get_unknown(probe: Probe) -> None:
    """GET /server/<unknown id> answers 404."""
    probe.expect(probe.get(f"/server/{UNKNOWN_ID}"), 404)


@check("server.get.unauthorized", "Server")
def server_get_unauthorized(probe: Probe) -> None:
    """GET /server and /server/<server_id> answer 401 without a valid session."""
    expect_unauthorized(probe, "GET", "/server")
    expect_unauthorized(probe, "GET", f"/server/{probe.server_ids()[0]}")


@check("server.system.fields", "Server")
def server_system_fields(probe: Probe) -> None:
    """GET /server/<server_id>/system has the guide's figures with their JSON types."""
    for server_id in probe.server_ids():
        probe.conform(probe.read(f"/server/{server_id}/system"), guide.SYSTEM, "system")


@check("server.system.unauthorized", "Server")
def server_system_unauthorized(probe: Probe) -> None:
    """GET /server/<server_id>/system answers 401 without a valid session."""
    expect_unauthorized(probe, "GET", f"/server/{probe.server_ids()[0]}/system")


@check("server.list.pagination", "Pagination")
def server_list_pagination(probe: Probe) -> None:
    """GET /server honours limit and start."""
    pages(probe, "/server", "servers", probe.items("/server", "servers"))


# -- pagination, for every list ------------------------------------------------------------------


def pages(probe: Probe, path: str, key: str, everything: list) -> None:
    """``limit``/``start`` cut ``everything`` (the list without them) as the guide's
    Pagination says: ``?limit=25&start=50``."""
    if len(everything) < 2:
        raise Skipped(f"{path} has fewer than 2 items: nothing to page through")
    ids = [item.get("id", item.get("name")) for item in everything]

    def page(limit, start) -> list:
        response = probe.expect(probe.get(path, query={"limit": limit, "start": start}), 200)
        answer = probe.json(response)
        if not isinstance(answer, dict) or not isinstance(answer.get(key), list):
            raise Failed(f'expected an object with a list "{key}"', probe.last)
        total = response.header("X-Total-Count")
        if total is None:
            probe.note("no X-Total-Count header on lists (the guide names none)")
        elif total != str(len(everything)):
            raise Failed(f"X-Total-Count: expected {len(everything)}, got {total}", probe.last)
        return [item.get("id", item.get("name")) for item in answer[key]]

    for limit, start in ((1, 0), (1, 1), (len(ids), 0), (len(ids) + 5, 1), (2, len(ids))):
        expected = ids[start : start + limit]
        got = page(limit, start)
        if got != expected:
            raise Failed(f"limit={limit}&start={start}: expected {expected}, got {got}", probe.last)


def paged_list(probe: Probe, resource: str, key: str) -> None:
    for server_id in probe.server_ids():
        everything = probe.listed(server_id, resource, key)
        if len(everything) >= 2:
            pages(probe, f"/server/{server_id}/{resource}", key, everything)
            return
    raise Skipped(f"no server has 2 or more of {key}: nothing to page through")


# -- each resource of a server: list, get, unknown, session ------------------------------------

#: (check section, guide section, path below /server/<id>, list key, shape, has GET by id)
RESOURCES = (
    ("volume", "Volume", "volume", "volumes", guide.VOLUME, True),
    ("lun", "LUN", "lun", "luns", guide.LUN, True),
    ("host", "Host", "host", "hosts", guide.HOST, True),
    ("hostgroup", "Host Group", "hostgroup", "groups", guide.HOST_GROUP, False),
    ("network", "Network", "network", "networks", guide.NETWORK, True),
    ("pool", "Pool", "pool", "pools", guide.POOL, True),
    (
        "consistencygroup",
        "Consistency Group",
        "consistencygroup",
        "consistencyGroups",
        guide.CONSISTENCY_GROUP,
        True,
    ),
    ("remotearray", "Remote Array", "remotearray", "remoteArrays", guide.REMOTE_ARRAY, False),
)


def _register(section: str, title: str, resource: str, key: str, shape, by_id: bool) -> None:
    def list_fields(probe: Probe) -> None:
        for server_id in probe.server_ids():
            conform_items(probe, probe.listed(server_id, resource, key), shape, key)

    list_fields.__doc__ = f"GET /server/<server_id>/{resource} lists {key} with the guide's fields."
    check(f"{section}.list.fields", title)(list_fields)

    def list_pagination(probe: Probe) -> None:
        paged_list(probe, resource, key)

    list_pagination.__doc__ = f"GET /server/<server_id>/{resource} honours limit and start."
    check(f"{section}.list.pagination", "Pagination")(list_pagination)

    def list_unauthorized(probe: Probe) -> None:
        expect_unauthorized(probe, "GET", f"/server/{probe.server_ids()[0]}/{resource}")

    list_unauthorized.__doc__ = (
        f"GET /server/<server_id>/{resource} answers 401 without a valid session."
    )
    check(f"{section}.list.unauthorized", title)(list_unauthorized)

    if not by_id:
        return

    def get_fields(probe: Probe) -> None:
        found = 0
        for server_id in probe.server_ids():
            for item in probe.listed(server_id, resource, key)[:READ_BACK]:
                one = probe.read(f"/server/{server_id}/{resource}/{item.get('id')}")
                probe.conform(one, shape, resource)
                if one != item:
                    raise Failed(f"expected the object the list shows: {item}", probe.last)
                found += 1
        if not found:
            raise Skipped(f"no {resource} on the array to read")

    get_fields.__doc__ = (
        f"GET /server/<server_id>/{resource}/<id> answers the object as the list shows it."
    )
    check(f"{section}.get.fields", title)(get_fields)

    def get_unknown(probe: Probe) -> None:
        probe.expect(probe.get(f"/server/{probe.server_ids()[0]}/{resource}/{UNKNOWN_ID}"), 404)

    get_unknown.__doc__ = f"GET /server/<server_id>/{resource}/<unknown id> answers 404."
    check(f"{section}.get.unknown", title)(get_unknown)


for _resource in RESOURCES:
    _register(*_resource)


# -- what ids refer to ---------------------------------------------------------------------------


def _ids(probe: Probe, server_id: str, resource: str, key: str) -> set[str]:
    return {str(item.get("id")) for item in probe.listed(server_id, resource, key)}


@check("volume.pool.known", "Volume")
def volume_pool_known(probe: Probe) -> None:
    """Every volume's poolId is a pool of its server."""
    for server_id in probe.server_ids():
        pools = _ids(probe, server_id, "pool", "pools")
        for volume in probe.listed(server_id, "volume", "volumes"):
            if str(volume.get("poolId")) not in pools:
                raise Failed(
                    f"volume {volume.get('id')!r}: poolId {volume.get('poolId')!r} is not one "
                    f"of the pools {sorted(pools)} of server {server_id!r}"
                )


@check("lun.volume.known", "LUN")
def lun_volume_known(probe: Probe) -> None:
    """Every LUN's volumeId is a volume of its server."""
    probe.first("lun", "luns")
    for server_id in probe.server_ids():
        volumes = _ids(probe, server_id, "volume", "volumes")
        for lun in probe.listed(server_id, "lun", "luns"):
            if str(lun.get("volumeId")) not in volumes:
                raise Failed(
                    f"LUN {lun.get('id')!r}: volumeId {lun.get('volumeId')!r} is no volume"
                )


def _each_listed_id_is_known(
    probe: Probe, listed: tuple[str, str], field: str, known: tuple[str, str], label: str
) -> None:
    """Every item of the ``listed`` resource (its path and list key) names in its
    list ``field`` only ids of the ``known`` resource of its server."""
    probe.first(*listed)
    for server_id in probe.server_ids():
        ids = _ids(probe, server_id, *known)
        for item in probe.listed(server_id, *listed):
            unknown = sorted(set(map(str, item.get(field) or [])) - ids)
            if unknown:
                raise Failed(f"{label} {item.get('id')!r}: {field} {unknown} are no {known[1]}")


@check("host.mapped_luns.known", "Host")
def host_mapped_luns_known(probe: Probe) -> None:
    """Every host's mappedLunIds are LUNs of its server."""
    _each_listed_id_is_known(probe, ("host", "hosts"), "mappedLunIds", ("lun", "luns"), "host")


@check("hostgroup.hosts.known", "Host Group")
def hostgroup_hosts_known(probe: Probe) -> None:
    """Every host group's hostIds are hosts of its server."""
    _each_listed_id_is_known(
        probe, ("hostgroup", "groups"), "hostIds", ("host", "hosts"), "host group"
    )


@check("consistencygroup.volumes.known", "Consistency Group")
def consistencygroup_volumes_known(probe: Probe) -> None:
    """Every consistency group's volumeIds are volumes of its server."""
    _each_listed_id_is_known(
        probe,
        ("consistencygroup", "consistencyGroups"),
        "volumeIds",
        ("volume", "volumes"),
        "group",
    )


# -- Volume: splitstatus ----------------------------------------------------------------------


@check("volume.splitstatus", "Volume")
def volume_splitstatus(probe: Probe) -> None:
    """GET …/volume/<volume_id>/splitstatus answers percentageComplete and complete."""
    answered = 0
    for server_id in probe.server_ids():
        for volume in probe.listed(server_id, "volume", "volumes")[:10]:
            response = probe.get(f"/server/{server_id}/volume/{volume.get('id')}/splitstatus")
            probe.expect(response, 200, 404)
            if response.status == 404:
                probe.note("splitstatus of a volume no split concerns is 404 (the guide is silent)")
                continue
            status = probe.json(response)
            probe.conform(status, guide.SPLIT_STATUS, "splitstatus")
            if not 0 <= status["percentageComplete"] <= 100:
                raise Failed("percentageComplete: expected 0 to 100", probe.last)
            answered += 1
    if not answered:
        probe.note("no volume answered a split status")


# -- Host: its LUNs ------------------------------------------------------------------------------


def host_luns(probe: Probe, server_id: str, host_id: str) -> list[dict]:
    """GET …/host/<host_id>/lun: the guide shows one object, a host has many LUNs;
    both readings are accepted."""
    answer = probe.read(f"/server/{server_id}/host/{host_id}/lun")
    if isinstance(answer, dict) and isinstance(answer.get("luns"), list):
        probe.note('GET …/host/<host_id>/lun answers {"luns": [mapping, …]}')
        mappings = answer["luns"]
    elif isinstance(answer, list):
        probe.note("GET …/host/<host_id>/lun answers a JSON array of mappings")
        mappings = answer
    elif isinstance(answer, dict) and "lunId" in answer:
        probe.note("GET …/host/<host_id>/lun answers one mapping object, as the guide shows")
        mappings = [answer]
    else:
        raise Failed("expected the host's LUN mappings", probe.last)
    conform_items(probe, mappings, guide.MAPPING, "luns")
    return mappings


@check("host.luns.fields", "Host")
def host_luns_fields(probe: Probe) -> None:
    """GET …/host/<host_id>/lun answers the host's mappings with the guide's fields."""
    server_id, host = probe.first("host", "hosts", lambda h: bool(h.get("mappedLunIds")))
    mappings = host_luns(probe, server_id, host["id"])
    shown = sorted(str(m.get("lunId")) for m in mappings)
    expected = sorted(map(str, host["mappedLunIds"]))
    if shown != expected and len(mappings) != 1:
        raise Failed(f"expected the host's mappedLunIds {expected}, got {shown}", probe.last)


@check("host.luns.unknown", "Host")
def host_luns_unknown(probe: Probe) -> None:
    """GET …/host/<unknown id>/lun answers 404."""
    probe.expect(probe.get(f"/server/{probe.server_ids()[0]}/host/{UNKNOWN_ID}/lun"), 404)


# -- Snapshot ----------------------------------------------------------------------------------


def volumes_with_snapshots(probe: Probe, at_least: int = 1):
    """``(server id, volume id, snapshots)`` of volumes with ``at_least`` snapshots."""
    for server_id in probe.server_ids():
        for volume in probe.listed(server_id, "volume", "volumes")[:10]:
            path = f"/server/{server_id}/volume/{volume.get('id')}/snapshot"
            snapshots = probe.cached(
                ("list", path), lambda path=path: probe.items(path, "snapshots")
            )
            if len(snapshots) >= at_least:
                yield server_id, volume["id"], snapshots


@check("snapshot.list.fields", "Snapshot")
def snapshot_list_fields(probe: Probe) -> None:
    """GET …/volume/<volume_id>/snapshot lists snapshots with the guide's fields."""
    seen = 0
    for _, _, snapshots in volumes_with_snapshots(probe):
        conform_items(probe, snapshots, guide.SNAPSHOT, "snapshots")
        seen += 1
    if not seen:
        raise Skipped("no volume with snapshots among the first 10 of each server")


@check("snapshot.list.pagination", "Pagination")
def snapshot_list_pagination(probe: Probe) -> None:
    """GET …/volume/<volume_id>/snapshot honours limit and start."""
    for server_id, volume_id, snapshots in volumes_with_snapshots(probe, 2):
        pages(probe, f"/server/{server_id}/volume/{volume_id}/snapshot", "snapshots", snapshots)
        return
    raise Skipped("no volume with 2 or more snapshots")


@check("snapshot.get.fields", "Snapshot")
def snapshot_get_fields(probe: Probe) -> None:
    """GET …/snapshot/<snapshot_id> answers the snapshot as the list shows it."""
    for server_id, volume_id, snapshots in volumes_with_snapshots(probe):
        for snapshot in snapshots[:READ_BACK]:
            path = f"/server/{server_id}/volume/{volume_id}/snapshot/{snapshot.get('id')}"
            one = probe.read(path)
            probe.conform(one, guide.SNAPSHOT, "snapshot")
            if one != snapshot:
                raise Failed(f"expected the snapshot the list shows: {snapshot}", probe.last)
        return
    raise Skipped("no volume with snapshots")


@check("snapshot.get.unknown", "Snapshot")
def snapshot_get_unknown(probe: Probe) -> None:
    """GET …/snapshot/<unknown id> of a volume answers 404."""
    server_id, volume = probe.first("volume", "volumes")
    path = f"/server/{server_id}/volume/{volume['id']}/snapshot/{UNKNOWN_ID}"
    probe.expect(probe.get(path), 404)


@check("snapshot.list.unauthorized", "Snapshot")
def snapshot_list_unauthorized(probe: Probe) -> None:
    """GET …/volume/<volume_id>/snapshot answers 401 without a valid session."""
    server_id, volume = probe.first("volume", "volumes")
    expect_unauthorized(probe, "GET", f"/server/{server_id}/volume/{volume['id']}/snapshot")


@check("snapshot.progress.unknown", "Snapshot")
def snapshot_progress_unknown(probe: Probe) -> None:
    """POST …/snapshot/<unknown id>?action=get-Progress answers 404."""
    server_id, volume = probe.first("volume", "volumes")
    path = f"/server/{server_id}/volume/{volume['id']}/snapshot/{UNKNOWN_ID}"
    probe.expect(probe.call("POST", path, body={}, query={"action": "get-Progress"}), 404)


@check("consistencygroup.snapshots.fields", "Consistency Group Snapshots")
def consistencygroup_snapshots_fields(probe: Probe) -> None:
    """GET …/consistencygroup/<id>/snapshot lists the group's snapshots (id, name)."""
    server_id, group = probe.first("consistencygroup", "consistencyGroups")
    path = f"/server/{server_id}/consistencygroup/{group['id']}/snapshot"
    conform_items(probe, probe.items(path, "snapshots"), guide.GROUP_SNAPSHOT, "snapshots")
