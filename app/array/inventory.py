"""Reads of an array's objects, as the session's array sees them.

Every lookup is scoped to the session's array: an object of another array is
``NotFound``, never visible. Lists are paginated in SQL and load what they
show with a fixed number of queries whatever their length: related rows come
in one more query per relationship (``subqueryload``; ``selectinload`` would
split a long list into chunks of 500 ids).
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import Session, contains_eager, subqueryload

from mockarray.array import clock
from mockarray.array.capacity import pool_free_bytes
from mockarray.array.models import (
    Array,
    CgSnapshot,
    ConsistencyGroup,
    Host,
    HostGroup,
    LongTask,
    Lun,
    LunMapping,
    Network,
    Pool,
    RemoteArray,
    Server,
    Snapshot,
    TaskKind,
    Volume,
)
from mockarray.errors import Conflict, NotFound
from mockarray.identity import PLUGIN_ID
from mockarray.prepared import Prepared, PreparedRow
from mockarray.queries import ALL, Page, PreparedList, page_of, paginate, window

#: Ids are 32-bit on every database; a larger number names nothing.
MAX_ID = 2**31 - 1


def parse_id(value: str, kind: str) -> int:
    """An object id from a URL; ids are the decimal numbers we hand out."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10 or int(text) > MAX_ID:
        raise NotFound(
            f"{kind} '{value}' does not exist: ids are the numbers this array hands out."
        )
    return int(text)


# -- storage and servers ------------------------------------------------------


def get_array(session: Session, array_id: int) -> Array:
    array = session.get(Array, array_id)
    if array is None:
        raise NotFound(f"Array {array_id} no longer exists.")
    return array


@dataclass(frozen=True)
class StorageView:
    id: int
    name: str
    hostname: str
    ip_address: str
    port: int
    vendor: str
    version: str
    plugin_id: str
    server_ids: list[str]


def storage(session: Session, array_id: int) -> StorageView:
    """``GET /storage``: the array and its servers' ids."""
    array = get_array(session, array_id)
    return StorageView(
        id=array.id,
        name=array.name,
        hostname=array.hostname,
        ip_address=array.ip_address,
        port=array.port,
        vendor=array.vendor,
        version=array.version,
        plugin_id=PLUGIN_ID,
        server_ids=server_keys(session, array_id),
    )


def array_by_name(session: Session, name: str) -> Array:
    array = session.scalar(select(Array).where(Array.name == name))
    if array is None:
        raise NotFound(f"No array named '{name}'.")
    return array


def server_keys(session: Session, array_id: int) -> list[str]:
    return list(
        session.scalars(select(Server.key).where(Server.array_id == array_id).order_by(Server.id))
    )


def list_servers(session: Session, array_id: int, page: Page = ALL) -> tuple[list[Server], int]:
    return paginate(
        session, select(Server).where(Server.array_id == array_id).order_by(Server.id), page
    )


_SERVERS = Server.__table__
_SERVER_BY_KEY = select(_SERVERS).where(
    _SERVERS.c.array_id == bindparam("array_id"),
    _SERVERS.c.key == bindparam("key"),
)
#: A server as a call reads it: the ``Server`` columns as read-only attributes
#: (every call starts with its server: a row costs a fraction of an object).
ServerRow = namedtuple("ServerRow", [column.key for column in _SERVERS.c])
#: The columns of ``ServerRow``, labelled to be read after others (``server_in``).
SERVER_COLUMNS = tuple(column.label(f"server_{column.key}") for column in _SERVERS.c)


def get_server(session: Session, array_id: int, key: str) -> ServerRow:
    """The array's server ``key`` (``NotFound`` otherwise)."""
    params = {"array_id": array_id, "key": key}
    server = session.connection().execute(_SERVER_BY_KEY, params).first()
    if server is None:
        raise NotFound(f"Server '{key}' does not exist on this array.")
    return ServerRow(*server)


def server_in(row) -> ServerRow | None:
    """The server a statement read in its last columns, ``SERVER_COLUMNS``
    (``None``: none matched)."""
    server = ServerRow._make(row[-len(SERVER_COLUMNS) :])
    return server if server.id is not None else None


def _where(server: Server) -> str:
    return f"server '{server.key}'"


def _one(session: Session, statement: Select, kind: str, object_id: str, server: Server):
    found = session.scalar(statement)
    if found is None:
        raise NotFound.object(kind, object_id, _where(server))
    return found


# -- volumes and snapshots -------------------------------------------------------


def _volume_page(backwards: bool) -> Select:
    table = Volume.__table__
    order = (table.c.created_ms, table.c.id)
    return (
        select(table)
        .where(table.c.server_id == bindparam("server_id"))
        .order_by(*(column.desc() for column in order) if backwards else order)
        .limit(bindparam("count"))
        .offset(bindparam("skip"))
    )


#: A page of a server's volumes off ``ix_volume_server_order``, read from either end.
_VOLUME_PAGE = {False: Prepared(_volume_page(False)), True: Prepared(_volume_page(True))}


def list_volumes(
    session: Session, server: Server, page: Page = ALL
) -> tuple[list[PreparedRow], int]:
    """A page of the server's volumes, oldest first, and how many it has: one
    indexed query (the total is the server's count). The volumes are read-only
    rows of their columns: a page answers what a volume is, it changes
    nothing."""
    total = server.volume_count
    where = window(page, total)
    if where is None:
        return [], total
    found = _VOLUME_PAGE[where.backwards].rows(
        session.connection(),
        {"server_id": server.id, "count": where.count, "skip": where.skip},
    )
    if where.backwards:
        found.reverse()
    return found, total


#: The server's volume by id: as an object, as a row (``read_volume``), its id alone.
_VOLUME_WHERE = (
    Volume.__table__.c.server_id == bindparam("server_id"),
    Volume.__table__.c.id == bindparam("volume_id"),
)
_VOLUME_BY_ID = select(Volume).where(*_VOLUME_WHERE)
_VOLUME_ROW = Prepared(select(Volume.__table__).where(*_VOLUME_WHERE))
_VOLUME_ID = Prepared(select(Volume.__table__.c.id).where(*_VOLUME_WHERE))


def get_volume(session: Session, server: Server, volume_id: str) -> Volume:
    vid = parse_id(volume_id, "Volume")
    found = session.scalars(_VOLUME_BY_ID, {"server_id": server.id, "volume_id": vid}).first()
    if found is None:
        raise NotFound.object("Volume", volume_id, _where(server))
    return found


def read_volume(session: Session, server: Server, volume_id: str) -> Volume:
    """The server's volume ``volume_id`` as its row: the ``Volume`` columns as
    read-only attributes, for a call that reads the volume and changes nothing of
    it (a row costs a fraction of an object)."""
    vid = parse_id(volume_id, "Volume")
    params = {"server_id": server.id, "volume_id": vid}
    found = _VOLUME_ROW.first(session.connection(), params)
    if found is None:
        raise NotFound.object("Volume", volume_id, _where(server))
    return found


def existing_volume_id(session: Session, server: Server, volume_id: str) -> int:
    """The id of the server's volume ``volume_id`` (``NotFound`` otherwise), for a
    call that needs only to know it exists: one indexed query, no object."""
    vid = parse_id(volume_id, "Volume")
    params = {"server_id": server.id, "volume_id": vid}
    if _VOLUME_ID.first(session.connection(), params) is None:
        raise NotFound.object("Volume", volume_id, _where(server))
    return vid


def snapshot_ready_at(now):
    """Snapshots that exist at ``now`` (a value or a bound parameter): a replica
    appears when its transfer completes."""
    return or_(Snapshot.ready_ms.is_(None), Snapshot.ready_ms <= now)


def snapshot_ready(session: Session):
    """Snapshots that exist by now."""
    return snapshot_ready_at(clock.now(session))


def cg_snapshot_ready(session: Session):
    """Group snapshots that exist by now: a replica one appears with the last of
    its volume snapshots."""
    arriving = (
        select(Snapshot.id)
        .where(
            Snapshot.cg_snapshot_id == CgSnapshot.id,
            Snapshot.ready_ms.is_not(None),
            Snapshot.ready_ms > clock.now(session),
        )
        .correlate(CgSnapshot)
        .exists()
    )
    return ~arriving


def volume_id_by_name(session: Session, server: Server, name: str) -> str:
    found = session.scalar(
        select(Volume.id).where(Volume.server_id == server.id, Volume.name == name)
    )
    if found is None:
        raise NotFound.object("Volume", name, _where(server))
    return str(found)


def _snapshot_list() -> Select:
    table = Snapshot.__table__
    return (
        select(table)
        .where(table.c.volume_id == bindparam("volume_id"), snapshot_ready_at(bindparam("now")))
        .order_by(table.c.created_ms, table.c.id)
    )


#: A volume's snapshots that exist by now (a replica appears when its transfer completes).
_SNAPSHOT_LIST = PreparedList(_snapshot_list())


def list_snapshots(
    session: Session, server: Server, volume_id: str, page: Page = ALL
) -> tuple[list[PreparedRow], int]:
    """A page of the volume's snapshots, oldest first, as read-only rows of
    their columns, and how many it has."""
    params = {"volume_id": existing_volume_id(session, server, volume_id)}
    params["now"] = clock.now(session)
    return paginate(session, _SNAPSHOT_LIST, page, params=params)


def get_snapshot(session: Session, server: Server, volume_id: str, snapshot_id: str) -> Snapshot:
    volume = get_volume(session, server, volume_id)
    sid = parse_id(snapshot_id, "Snapshot")
    snapshot = session.scalar(
        select(Snapshot).where(
            Snapshot.volume_id == volume.id, Snapshot.id == sid, snapshot_ready(session)
        )
    )
    if snapshot is None:
        raise NotFound(f"Snapshot '{snapshot_id}' does not exist on volume '{volume_id}'.")
    return snapshot


def latest_split(session: Session, volume: Volume) -> LongTask | None:
    return session.scalar(
        select(LongTask)
        .where(LongTask.kind == TaskKind.SPLIT, LongTask.volume_id == volume.id)
        .order_by(LongTask.started_ms.desc(), LongTask.id.desc())
        .limit(1)
    )


# -- LUNs, hosts, host groups ------------------------------------------------------


def _luns(server: Server) -> Select:
    return (
        select(Lun)
        .join(Volume, Lun.volume_id == Volume.id)
        .where(Volume.server_id == server.id)
        .options(contains_eager(Lun.volume))
    )


def list_luns(session: Session, server: Server, page: Page = ALL):
    return paginate(session, _luns(server).order_by(Lun.created_ms, Lun.id), page)


def get_lun(session: Session, server: Server, lun_id: str) -> Lun:
    lid = parse_id(lun_id, "LUN")
    return _one(session, _luns(server).where(Lun.id == lid), "LUN", lun_id, server)


def _hosts(server: Server) -> Select:
    return (
        select(Host)
        .where(Host.server_id == server.id)
        .options(subqueryload(Host.initiators), subqueryload(Host.mappings))
    )


def list_hosts(session: Session, server: Server, page: Page = ALL):
    """A page of the server's hosts, oldest first, and how many it has. The page's
    mapped LUNs are read in one plain query (``Host.mapped_lun_ids``): a host may
    have thousands of mappings, and an object for each costs far more."""
    statement = (
        select(Host)
        .where(Host.server_id == server.id)
        .options(subqueryload(Host.initiators))
        .order_by(Host.created_ms, Host.id)
    )
    hosts, total = paginate(session, statement, page)
    if hosts:
        listed = page_of(statement.with_only_columns(Host.id), page)
        mapped = session.connection().execute(
            select(LunMapping.host_id, LunMapping.lun_id)
            .where(LunMapping.host_id.in_(listed.scalar_subquery()))
            .order_by(LunMapping.host_id, LunMapping.lun_number)
        )
        lun_ids: dict[int, list[int]] = {host.id: [] for host in hosts}
        for host_id, lun_id in mapped:
            lun_ids[host_id].append(lun_id)
        for host in hosts:
            host.listed_lun_ids = lun_ids[host.id]
    return hosts, total


def get_host(session: Session, server: Server, host_id: str) -> Host:
    hid = parse_id(host_id, "Host")
    return _one(session, _hosts(server).where(Host.id == hid), "Host", host_id, server)


def list_host_luns(session: Session, server: Server, host_id: str, page: Page = ALL):
    """The host's mappings, with the volume's name and id, oldest first."""
    host = get_host(session, server, host_id)
    statement = (
        select(
            Volume.name.label("name"),
            Volume.id.label("volume_id"),
            LunMapping.host_id.label("host_id"),
            LunMapping.host_group_id.label("host_group_id"),
            LunMapping.lun_id.label("lun_id"),
            LunMapping.lun_number.label("lun_number"),
        )
        .join(Lun, LunMapping.lun_id == Lun.id)
        .join(Volume, Lun.volume_id == Volume.id)
        .where(LunMapping.host_id == host.id)
        .order_by(LunMapping.created_ms, LunMapping.id)
    )
    return paginate(session, statement, page, rows=True)


def list_host_groups(session: Session, server: Server, page: Page = ALL):
    statement = (
        select(HostGroup)
        .where(HostGroup.server_id == server.id)
        .options(subqueryload(HostGroup.hosts))
        .order_by(HostGroup.created_ms, HostGroup.id)
    )
    return paginate(session, statement, page)


def get_host_group(session: Session, server: Server, group_id: str) -> HostGroup:
    gid = parse_id(group_id, "Host group")
    statement = select(HostGroup).where(HostGroup.server_id == server.id, HostGroup.id == gid)
    return _one(session, statement, "Host group", group_id, server)


# -- networks, pools, remote arrays -------------------------------------------------


def list_networks(session: Session, server: Server, page: Page = ALL):
    statement = (
        select(Network)
        .where(Network.server_id == server.id)
        .order_by(Network.created_ms, Network.id)
    )
    return paginate(session, statement, page)


def get_network(session: Session, server: Server, network_id: str) -> Network:
    nid = parse_id(network_id, "Network")
    statement = select(Network).where(Network.server_id == server.id, Network.id == nid)
    return _one(session, statement, "Network", network_id, server)


def _pools(server: Server) -> Select:
    return select(
        Pool.id.label("id"), Pool.name.label("name"), pool_free_bytes().label("free_space")
    ).where(Pool.server_id == server.id)


def list_pools(session: Session, server: Server, page: Page = ALL):
    statement = _pools(server).order_by(Pool.created_ms, Pool.id)
    return paginate(session, statement, page, rows=True)


def get_pool(session: Session, server: Server, pool_id: str):
    pid = parse_id(pool_id, "Pool")
    row = session.execute(_pools(server).where(Pool.id == pid)).first()
    if row is None:
        raise NotFound.object("Pool", pool_id, _where(server))
    return row


def find_pool(session: Session, server: Server, pool_id: str, *, field: str) -> Pool:
    """A pool named in a request body (``field``), as an object."""
    pid = parse_id(pool_id, "Pool")
    pool = session.scalar(select(Pool).where(Pool.server_id == server.id, Pool.id == pid))
    if pool is None:
        raise NotFound(f"Pool '{pool_id}' ({field}) does not exist on server '{server.key}'.")
    return pool


def list_remote_arrays(session: Session, server: Server, page: Page = ALL):
    statement = (
        select(RemoteArray)
        .where(RemoteArray.server_id == server.id)
        .order_by(RemoteArray.created_ms, RemoteArray.id)
    )
    return paginate(session, statement, page)


# -- consistency groups ----------------------------------------------------------------


def _groups(server: Server) -> Select:
    return (
        select(ConsistencyGroup)
        .where(ConsistencyGroup.server_id == server.id)
        .options(subqueryload(ConsistencyGroup.volumes), subqueryload(ConsistencyGroup.targets))
    )


def list_consistency_groups(session: Session, server: Server, page: Page = ALL):
    statement = _groups(server).order_by(ConsistencyGroup.created_ms, ConsistencyGroup.id)
    return paginate(session, statement, page)


def get_consistency_group(session: Session, server: Server, group_id: str) -> ConsistencyGroup:
    gid = parse_id(group_id, "Consistency group")
    statement = _groups(server).where(ConsistencyGroup.id == gid)
    return _one(session, statement, "Consistency group", group_id, server)


def list_cg_snapshots(session: Session, server: Server, group_id: str, page: Page = ALL):
    group = get_consistency_group(session, server, group_id)
    statement = (
        select(CgSnapshot)
        .where(CgSnapshot.consistency_group_id == group.id, cg_snapshot_ready(session))
        .order_by(CgSnapshot.created_ms, CgSnapshot.id)
    )
    return paginate(session, statement, page)


def ensure_name_free(session: Session, model, server: Server, name: str, kind: str) -> None:
    """``Conflict`` when the server already has a ``model`` (a pool, a host group…)
    named ``name``; ``kind`` names it in the message. The unique constraint on
    (server, name) backs it under concurrency."""
    if session.scalar(select(model.id).where(model.server_id == server.id, model.name == name)):
        raise Conflict(
            f"A {kind} named '{name}' already exists on server '{server.key}'.",
            fields={"name": ["Taken."]},
        )
