"""What a run of many creations in one transaction (seeding) knows without asking.

Each of the array's functions checks its rules with a query: a volume's name is
free on its server, a snapshot's on its volume, a LUN and a LUN number on a host.
Building thousands of objects, those queries (and a flush per object, for its id)
are most of the time. A ``Registry`` passed to the functions answers from memory
instead: it reads what a server, volume or host already holds once (nothing for
the objects made through it), then keeps up with what is made through it; and
the objects it is given are flushed in batches (``flush()``, or any query, which
flushes first), so they refer to each other by object until then (on SQLite the
registry gives them their ids at once; elsewhere they get them at the flush).
The database constraints
still back every rule. Like ``capacity.Room``, it is only valid while nothing
else makes or removes those objects in the transaction. The API never passes one.
"""

from __future__ import annotations

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session, joinedload

from mockarray.array.models import Host, Lun, LunMapping, Network, Server, Snapshot, Volume

#: Objects added through a registry between two flushes.
BATCH = 2000


class Registry:
    def __init__(self, session: Session, *, batch: int = BATCH):
        self.session = session
        self.batch = batch
        self._pending = 0
        # SQLite cannot tell which RETURNING row is which row of a multi-row INSERT, so
        # SQLAlchemy inserts rows one at a time when it must read their ids back. Given
        # their ids (the next ones of the table, under the transaction's write lock),
        # it inserts a batch in one go.
        self._give_ids = session.get_bind().dialect.name == "sqlite"
        #: Table -> the last id given (read again once a row was inserted without one).
        self._last_ids: dict[str, int] = {}
        if self._give_ids:
            event.listen(session, "after_flush", self._forget_ids)
        #: Server id -> names of its volumes.
        self._volume_names: dict[int, set[str]] = {}
        #: Volume -> its snapshots by name (keyed by the object: a new one has no id yet).
        self._snapshots: dict[Volume, dict[str, Snapshot]] = {}
        #: Server id -> whether it has an FC network.
        self._fc_networks: dict[int, bool] = {}
        #: Volume -> its LUN, for the volumes made through the registry.
        self._luns: dict[Volume, Lun] = {}
        #: Host -> (LUN -> its mapping to the host, LUN number -> (host name, volume name)).
        self._mappings: dict[Host, tuple[dict[Lun, LunMapping], dict[int, tuple[str, str]]]] = {}

    def add(self, obj) -> None:
        """Add ``obj`` to the session; the batch is flushed once it is full."""
        if self._give_ids and obj.id is None:
            obj.id = self._next_id(obj.__table__)
        self.session.add(obj)
        self._pending += 1
        if self._pending >= self.batch:
            self.flush()

    def flush(self) -> None:
        self.session.flush()
        self._pending = 0

    def _next_id(self, table) -> int:
        last = self._last_ids.get(table.name)
        if last is None:
            if any(o.id is None and o.__table__ is table for o in self.session.new):
                # A row waiting for the database's id would take one of those given here.
                self.session.flush()
            with self.session.no_autoflush:
                # AUTOINCREMENT: never an id that was used, even by a row since deleted.
                used = self.session.scalar(
                    text("SELECT seq FROM sqlite_sequence WHERE name = :name"),
                    {"name": table.name},
                )
                last = max(used or 0, self.session.scalar(select(func.max(table.c.id))) or 0)
        self._last_ids[table.name] = last + 1
        return last + 1

    def _forget_ids(self, session: Session, _context) -> None:
        """A row the database numbered (made without the registry) was just inserted:
        the ids of its table are read again before the next is given."""
        for obj in session.new:
            last = self._last_ids.get(getattr(obj, "__tablename__", None))
            if last is not None and obj.id > last:
                del self._last_ids[obj.__tablename__]

    # -- volumes ----------------------------------------------------------------------

    def volume_names(self, server: Server) -> set[str]:
        names = self._volume_names.get(server.id)
        if names is None:
            names = set(
                self.session.scalars(select(Volume.name).where(Volume.server_id == server.id))
            )
            self._volume_names[server.id] = names
        return names

    def made_volume(self, server: Server, volume: Volume) -> None:
        self.volume_names(server).add(volume.name)
        self._snapshots[volume] = {}
        self.add(volume)

    # -- snapshots --------------------------------------------------------------------

    def snapshots(self, volume: Volume) -> dict[str, Snapshot]:
        """The volume's snapshots by name (every one, as the rule counts them)."""
        found = self._snapshots.get(volume)
        if found is None:
            rows = self.session.scalars(select(Snapshot).where(Snapshot.volume_id == volume.id))
            found = {snapshot.name: snapshot for snapshot in rows}
            self._snapshots[volume] = found
        return found

    def made_snapshot(self, volume: Volume, snapshot: Snapshot) -> None:
        self.snapshots(volume)[snapshot.name] = snapshot
        self.add(snapshot)

    # -- LUNs -------------------------------------------------------------------------

    def made_lun(self, volume: Volume, lun: Lun) -> None:
        self._luns[volume] = lun
        self.add(lun)

    def lun(self, volume: Volume) -> Lun | None:
        """The LUN of a volume made through the registry (``None``: it has none)."""
        return self._luns.get(volume)

    # -- networks -----------------------------------------------------------------------

    def has_fc_network(self, server: Server) -> bool:
        """Whether the server has an FC network (its networks are made before its
        mappings, and not through the registry)."""
        known = self._fc_networks.get(server.id)
        if known is None:
            known = (
                self.session.scalar(
                    select(Network.id)
                    .where(Network.server_id == server.id, Network.fc.is_(True))
                    .limit(1)
                )
                is not None
            )
            self._fc_networks[server.id] = known
        return known

    # -- hosts and mappings -----------------------------------------------------------

    def made_host(self, host: Host) -> None:
        """A host made in this run: it has no mappings yet."""
        self._mappings[host] = ({}, {})

    def _of(self, host: Host):
        found = self._mappings.get(host)
        if found is None:
            mappings = self.session.scalars(
                select(LunMapping)
                .where(LunMapping.host_id == host.id)
                .options(joinedload(LunMapping.lun).joinedload(Lun.volume))
            )
            by_lun, numbers = {}, {}
            for mapping in mappings:
                by_lun[mapping.lun] = mapping
                numbers[mapping.lun_number] = (host.name, mapping.lun.volume.name)
            found = self._mappings[host] = (by_lun, numbers)
        return found

    def mapping(self, host: Host, lun: Lun) -> LunMapping | None:
        """The mapping of ``lun`` to ``host``, if it is mapped there."""
        return self._of(host)[0].get(lun)

    def numbers_in_use(self, host: Host) -> dict[int, tuple[str, str]]:
        """LUN number -> (host name, volume name) on ``host`` (not to be changed)."""
        return self._of(host)[1]

    def made_mapping(self, host: Host, mapping: LunMapping, volume: Volume) -> None:
        by_lun, numbers = self._of(host)
        by_lun[mapping.lun] = mapping
        numbers[mapping.lun_number] = (host.name, volume.name)
        self.add(mapping)
