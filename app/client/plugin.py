"""``PluginClient``: the Storage Plugin REST API (``/storageplugin/api``), as CDM calls it.

One method per operation of the guide, named after it; keyword arguments in
Python's spelling send the guide's body fields (``snapshot_id`` ->
``snapshotId``), and only those given (the server's defaults apply to the
rest). Answers are the JSON objects as dicts; lists are ``Page``s (a list
with ``total``). Methods on a server's objects take ``server=`` (its id,
``"svm-db"`` or ``"0"``): without it, the client's ``server``, else the
array's only server.
"""

from __future__ import annotations

import base64
from typing import Any

from mockarray.client.base import BaseClient, Page, fields, segment
from mockarray.client.transport import DEFAULT_TIMEOUT_S, Transport

SESSION_HEADER = "x-storageplugin-sessionid"


class PluginClient(BaseClient):
    """A client of the plugin API; ``login`` opens a session to one array.

    ``target`` is the server's URL (``http://127.0.0.1:8080``) or a transport.
    ``server`` is the server id calls go to when they name none (also
    ``default_server``); without it, the array's only server.

    >>> client = PluginClient("http://127.0.0.1:8080")
    >>> client.login("alpha.lab.example", "admin", "passw0rd")
    >>> [v["name"] for v in client.volumes(server="svm-db")]
    """

    PREFIX = "/storageplugin/api"

    def __init__(
        self,
        target: str | Transport,
        *,
        session_id: str | None = None,
        server: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        verify: bool = True,
    ):
        super().__init__(target, timeout=timeout, verify=verify)
        #: The session's token (``x-storageplugin-sessionid``), set by ``login``.
        self.session_id = session_id
        #: The session's array id, set by ``login``.
        self.storage_id: str | None = None
        #: The server calls go to when they name none (``None``: the array's only one).
        self.default_server = server
        self._only_server: str | None = None

    def _headers(self) -> dict[str, str]:
        return {SESSION_HEADER: self.session_id} if self.session_id else {}

    def _server(self, server: str | None) -> str:
        if server is None:
            server = self.default_server
        if server is None:
            if self._only_server is None:
                ids = self.storage()["serverIds"]
                if len(ids) != 1:
                    raise ValueError(
                        f"The array has servers {', '.join(ids)}: pass server=... "
                        "(or set the client's default_server)."
                    )
                self._only_server = ids[0]
            server = self._only_server
        return segment(server)

    def _on(self, server: str | None, *parts: object) -> str:
        """``/server/{sid}/part/part...``, each part a path segment."""
        return "/".join([f"/server/{self._server(server)}", *(segment(p) for p in parts)])

    def _action(self, path: str, action: str, body: dict | None = None) -> Any:
        __tracebackhide__ = True
        return self.call("POST", path, body=body, query={"action": action})

    # -- the plugin, the session, the array -----------------------------------------------

    def info(self) -> dict:
        """``GET /info``: the plugin's name, id, version, logo and icon (no session needed)."""
        return self.call("GET", "/info")

    def login(
        self,
        hostname: str | None = None,
        username: str | None = None,
        password: str | None = None,
        *,
        ip_address: str | None = None,
        port: int | None = None,
        credentials_in_body: bool = False,
    ) -> dict:
        """``POST /session``: open a session to the array named by ``hostname`` and/or
        ``ip_address``; the client sends it from now on. The credentials go as HTTP
        Basic (or as ``username``/``password`` fields with ``credentials_in_body``).
        Answers ``{"sessionId", "storageId"}``."""
        body = fields(hostname=hostname, ipAddress=ip_address, port=port)
        headers = {}
        if credentials_in_body:
            body.update(fields(username=username, password=password))
        elif username is not None or password is not None:
            token = base64.b64encode(f"{username or ''}:{password or ''}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        answer = self.call("POST", "/session", body=body, headers=headers)
        self.session_id, self.storage_id = answer["sessionId"], answer["storageId"]
        self._only_server = None
        return answer

    def log(self) -> bytes:
        """``GET /log``: the zip of the plugin's call log (this array's lines)."""
        return self.request("GET", "/log", accept="application/zip").body

    def storage(self) -> dict:
        """``GET /storage``: the session's array, with its ``serverIds``."""
        return self.call("GET", "/storage")

    def servers(self, *, limit: int | None = None, start: int | None = None) -> Page:
        """``GET /server``."""
        return self._list("/server", "servers", {"limit": limit, "start": start})

    def server(self, server_id: str | None = None) -> dict:
        """``GET /server/{sid}``: what the server supports and how it is configured."""
        return self.call("GET", self._on(server_id))

    def system(self, *, server: str | None = None) -> dict:
        """``GET /server/{sid}/system``: capacity and space figures."""
        return self.call("GET", self._on(server, "system"))

    # -- volumes ----------------------------------------------------------------------------

    def volumes(
        self, *, server: str | None = None, limit: int | None = None, start: int | None = None
    ) -> Page:
        """``GET /server/{sid}/volume``."""
        page = {"limit": limit, "start": start}
        return self._list(self._on(server, "volume"), "volumes", page)

    def volume(self, volume_id: str, *, server: str | None = None) -> dict:
        """``GET …/volume/{vid}``."""
        return self.call("GET", self._on(server, "volume", volume_id))

    def delete_volume(self, volume_id: str, *, server: str | None = None) -> None:
        """``DELETE …/volume/{vid}``: the volume and its snapshots."""
        self.request("DELETE", self._on(server, "volume", volume_id))

    def split_status(self, volume_id: str, *, server: str | None = None) -> dict:
        """``GET …/volume/{vid}/splitstatus``: ``{"percentageComplete", "complete"}``."""
        return self.call("GET", self._on(server, "volume", volume_id, "splitstatus"))

    def clone(
        self,
        volume_id: str,
        *,
        name: str,
        snapshot_id: str | None = None,
        snapshot_name: str | None = None,
        server_group_keys: list[str] | None = None,
        instant_split: bool | None = None,
        server: str | None = None,
    ) -> dict:
        """``POST …/volume/{vid}?action=clone``: a new thin volume from one of the
        volume's snapshots (by id or name); the new volume."""
        body = fields(
            snapshot=fields(id=snapshot_id, name=snapshot_name),
            name=name,
            serverGroupKeys=server_group_keys,
            instantSplit=instant_split,
        )
        return self._action(self._on(server, "volume", volume_id), "clone", body)

    def mount(self, volume_id: str, *, path: str | None = None, server: str | None = None) -> dict:
        """``POST …/volume/{vid}?action=mount``: ``{"path"}`` (default ``/mnt/<name>``)."""
        return self._action(self._on(server, "volume", volume_id), "mount", fields(path=path))

    def split(self, volume_id: str, *, server: str | None = None) -> dict:
        """``POST …/volume/{vid}?action=split``: start splitting a clone; its split status."""
        return self._action(self._on(server, "volume", volume_id), "split")

    def restore(self, volume_id: str, *, snapshot_id: str, server: str | None = None) -> dict:
        """``POST …/volume/{vid}?action=restore``: revert to one of its snapshots."""
        body = {"snapshotId": snapshot_id}
        return self._action(self._on(server, "volume", volume_id), "restore", body)

    def restore_to_alternate(
        self,
        volume_id: str,
        *,
        source_snapshot_id: str,
        target_volume_id: str,
        server: str | None = None,
    ) -> dict:
        """``POST …/volume/{vid}?action=restore-to-alternate``: write one of the volume's
        snapshots over another volume; the target."""
        body = {"sourceSnapshotId": source_snapshot_id, "targetVolumeId": target_volume_id}
        return self._action(self._on(server, "volume", volume_id), "restore-to-alternate", body)

    def restore_to_new(
        self,
        volume_id: str,
        *,
        source_snapshot_id: str,
        target_volume_name: str,
        target_pool_ids: list[str] | None = None,
        server: str | None = None,
    ) -> dict:
        """``POST …/volume/{vid}?action=restore-to-new``: a new volume from one of the
        volume's snapshots (pools tried in order; default the source's); the new volume."""
        body = fields(
            sourceSnapshotId=source_snapshot_id,
            targetVolumeName=target_volume_name,
            targetPoolIds=target_pool_ids,
        )
        return self._action(self._on(server, "volume", volume_id), "restore-to-new", body)

    # -- snapshots -----------------------------------------------------------------------------

    def snapshots(
        self,
        volume_id: str,
        *,
        server: str | None = None,
        limit: int | None = None,
        start: int | None = None,
    ) -> Page:
        """``GET …/volume/{vid}/snapshot``."""
        path = self._on(server, "volume", volume_id, "snapshot")
        return self._list(path, "snapshots", {"limit": limit, "start": start})

    def snapshot(self, volume_id: str, snapshot_id: str, *, server: str | None = None) -> dict:
        """``GET …/volume/{vid}/snapshot/{snid}``."""
        return self.call("GET", self._on(server, "volume", volume_id, "snapshot", snapshot_id))

    def create_snapshot(
        self,
        volume_id: str,
        *,
        name: str,
        pool_id: str | None = None,
        replicate: bool | None = None,
        is_auto_delete: bool | None = None,
        server: str | None = None,
    ) -> dict:
        """``POST …/volume/{vid}/snapshot`` (``201``): the new snapshot. The same name
        and parameters again is a retry: the first one's answer."""
        body = fields(name=name, poolId=pool_id, replicate=replicate, isAutoDelete=is_auto_delete)
        return self.call("POST", self._on(server, "volume", volume_id, "snapshot"), body=body)

    def delete_snapshot(
        self, volume_id: str, snapshot_id: str, *, server: str | None = None
    ) -> None:
        """``DELETE …/volume/{vid}/snapshot/{snid}`` (``204``)."""
        self.request("DELETE", self._on(server, "volume", volume_id, "snapshot", snapshot_id))

    def snapshot_progress(
        self,
        volume_id: str,
        snapshot_id: str,
        *,
        destination_snapshot_id: str | None = None,
        destination_server_id: str | None = None,
        server: str | None = None,
    ) -> dict:
        """``POST …/snapshot/{snid}?action=get-Progress``: the snapshot's replication status."""
        body = fields(
            destinationSnapshotId=destination_snapshot_id,
            destinationServerId=destination_server_id,
        )
        path = self._on(server, "volume", volume_id, "snapshot", snapshot_id)
        return self._action(path, "get-Progress", body)

    # -- LUNs, hosts, host groups --------------------------------------------------------------

    def luns(
        self, *, server: str | None = None, limit: int | None = None, start: int | None = None
    ) -> Page:
        """``GET /server/{sid}/lun``."""
        return self._list(self._on(server, "lun"), "luns", {"limit": limit, "start": start})

    def lun(self, lun_id: str, *, server: str | None = None) -> dict:
        """``GET …/lun/{lid}``."""
        return self.call("GET", self._on(server, "lun", lun_id))

    def online(self, lun_id: str, *, server: str | None = None) -> None:
        """``POST …/lun/{lid}?action=online``: bring the LUN online."""
        self._action(self._on(server, "lun", lun_id), "online")

    def hosts(
        self, *, server: str | None = None, limit: int | None = None, start: int | None = None
    ) -> Page:
        """``GET /server/{sid}/host``."""
        page = {"limit": limit, "start": start}
        return self._list(self._on(server, "host"), "hosts", page)

    def host(self, host_id: str, *, server: str | None = None) -> dict:
        """``GET …/host/{hid}``."""
        return self.call("GET", self._on(server, "host", host_id))

    def create_host(
        self,
        *,
        name: str,
        iqns: list[str] | None = None,
        wwns: list[str] | None = None,
        server: str | None = None,
    ) -> dict:
        """``POST /server/{sid}/host``: a host with its iSCSI names and WWNs."""
        body = fields(name=name, iqns=iqns, wwns=wwns)
        return self.call("POST", self._on(server, "host"), body=body)

    def host_luns(
        self,
        host_id: str,
        *,
        server: str | None = None,
        limit: int | None = None,
        start: int | None = None,
    ) -> Page:
        """``GET …/host/{hid}/lun``: the LUNs mapped to the host."""
        path = self._on(server, "host", host_id, "lun")
        return self._list(path, "luns", {"limit": limit, "start": start})

    def map(
        self,
        host_id: str,
        *,
        volume_id: str | None = None,
        lun_id: str | None = None,
        lun_number: int | None = None,
        server: str | None = None,
    ) -> dict:
        """``POST …/host/{hid}?action=map``: map a volume's LUN (by ``volume_id`` or
        ``lun_id``) to the host; the mapping."""
        body = fields(volumeId=volume_id, lunId=lun_id, lunNumber=lun_number)
        return self._action(self._on(server, "host", host_id), "map", body)

    def unmap(
        self,
        host_id: str,
        *,
        lun_id: str | None = None,
        volume_id: str | None = None,
        server: str | None = None,
    ) -> None:
        """``POST …/host/{hid}?action=unmap``: remove a LUN (by ``lun_id`` or ``volume_id``)."""
        body = fields(lunId=lun_id, volumeId=volume_id)
        self._action(self._on(server, "host", host_id), "unmap", body)

    def host_groups(
        self, *, server: str | None = None, limit: int | None = None, start: int | None = None
    ) -> Page:
        """``GET /server/{sid}/hostgroup``."""
        page = {"limit": limit, "start": start}
        return self._list(self._on(server, "hostgroup"), "groups", page)

    def map_host_group(
        self,
        group_id: str,
        *,
        volume_id: str | None = None,
        lun_id: str | None = None,
        lun_number: int | None = None,
        server: str | None = None,
    ) -> dict:
        """``POST …/hostgroup/{gid}?action=map``: map a volume's LUN to every host of the
        group under one LUN number."""
        body = fields(volumeId=volume_id, lunId=lun_id, lunNumber=lun_number)
        return self._action(self._on(server, "hostgroup", group_id), "map", body)

    # -- networks, pools, remote arrays ----------------------------------------------------------

    def networks(
        self, *, server: str | None = None, limit: int | None = None, start: int | None = None
    ) -> Page:
        """``GET /server/{sid}/network``."""
        page = {"limit": limit, "start": start}
        return self._list(self._on(server, "network"), "networks", page)

    def network(self, network_id: str, *, server: str | None = None) -> dict:
        """``GET …/network/{nid}``."""
        return self.call("GET", self._on(server, "network", network_id))

    def pools(
        self, *, server: str | None = None, limit: int | None = None, start: int | None = None
    ) -> Page:
        """``GET /server/{sid}/pool``."""
        return self._list(self._on(server, "pool"), "pools", {"limit": limit, "start": start})

    def pool(self, pool_id: str, *, server: str | None = None) -> dict:
        """``GET …/pool/{pid}``."""
        return self.call("GET", self._on(server, "pool", pool_id))

    def remote_arrays(
        self, *, server: str | None = None, limit: int | None = None, start: int | None = None
    ) -> Page:
        """``GET /server/{sid}/remotearray``: the replication partners."""
        page = {"limit": limit, "start": start}
        return self._list(self._on(server, "remotearray"), "remoteArrays", page)

    # -- consistency groups ---------------------------------------------------------------------

    def consistency_groups(
        self, *, server: str | None = None, limit: int | None = None, start: int | None = None
    ) -> Page:
        """``GET /server/{sid}/consistencygroup``."""
        page = {"limit": limit, "start": start}
        return self._list(self._on(server, "consistencygroup"), "consistencyGroups", page)

    def consistency_group(self, group_id: str, *, server: str | None = None) -> dict:
        """``GET …/consistencygroup/{cgid}``."""
        return self.call("GET", self._on(server, "consistencygroup", group_id))

    def consistency_group_snapshots(
        self,
        group_id: str,
        *,
        server: str | None = None,
        limit: int | None = None,
        start: int | None = None,
    ) -> Page:
        """``GET …/consistencygroup/{cgid}/snapshot``."""
        path = self._on(server, "consistencygroup", group_id, "snapshot")
        return self._list(path, "snapshots", {"limit": limit, "start": start})

    def add_volume(
        self,
        group_id: str,
        *,
        volume_id: str,
        snapshot_name: str | None = None,
        pool_id: str | None = None,
        is_incremental: bool | None = None,
        server: str | None = None,
    ) -> dict:
        """``POST …/consistencygroup/{cgid}?action=add-volume``: the group."""
        body = fields(
            volumeId=volume_id,
            snapshotName=snapshot_name,
            poolId=pool_id,
            isIncremental=is_incremental,
        )
        return self._action(self._on(server, "consistencygroup", group_id), "add-volume", body)

    def remove_volume(
        self, group_id: str, *, volume_ids: list[str], server: str | None = None
    ) -> dict:
        """``POST …/consistencygroup/{cgid}?action=remove-volume``: the group."""
        body = {"volumeIds": list(volume_ids)}
        return self._action(self._on(server, "consistencygroup", group_id), "remove-volume", body)

    def condense(
        self,
        group_id: str,
        *,
        age_in_days: int,
        number_of_instances: int,
        snapshot_prefixes: list[str],
        server: str | None = None,
    ) -> None:
        """``POST …/consistencygroup/{cgid}?action=condense``: delete the group's old
        snapshots, keeping the newest."""
        body = {
            "ageInDays": age_in_days,
            "numberOfInstances": number_of_instances,
            "snapshotPrefixes": list(snapshot_prefixes),
        }
        self._action(self._on(server, "consistencygroup", group_id), "condense", body)

    def take_snapshot(
        self,
        group_id: str,
        *,
        prefix: str | None = None,
        replicate: bool | None = None,
        is_auto_delete: bool | None = None,
        is_incremental: bool | None = None,
        server: str | None = None,
    ) -> dict:
        """``POST …/consistencygroup/{cgid}?action=take-snapshot``: a snapshot of every
        volume of the group at once; the group snapshot."""
        body = fields(
            prefix=prefix,
            replicate=replicate,
            isAutoDelete=is_auto_delete,
            isIncremental=is_incremental,
        )
        return self._action(self._on(server, "consistencygroup", group_id), "take-snapshot", body)

    def add_replication_target(
        self, group_id: str, *, target_name: str, server: str | None = None
    ) -> dict:
        """``POST …/consistencygroup/{cgid}?action=add-replication-target``: replicate the
        group to one of the server's remote arrays; the partner."""
        path = self._on(server, "consistencygroup", group_id)
        return self._action(path, "add-replication-target", {"targetName": target_name})
