"""The array's rules, tested on the behaviour layer (``mockarray.array``) without HTTP.

Each test seeds the lab below, calls the behaviour functions inside
``database.transaction()`` (one transaction per array call, as a request
does) and checks the outcome in a new transaction, so that what is asserted
is what was committed. The rules are those of ``shared/spec/README.md``
("Behaving like a real array") and ``docs/array-rules.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mockarray.array import capacity, clock, hosts, inventory, snapshots, tasks, volumes
from mockarray.array.models import (
    CgSnapshot,
    Host,
    LongTask,
    Lun,
    LunMapping,
    Pool,
    Server,
    Snapshot,
    Volume,
)
from mockarray.errors import Conflict, Invalid, NoSpace
from tests.support.lab import array_doc

GiB = 2**30
#: A simulated time far from the real one, so a test never depends on the wall clock.
T0 = 1_900_000_000_000
#: A split rate that moves the lab's 10 GiB clone in 10 s.
SPLIT_RATE = GiB
SPLIT_MS = 10_000

IQN_A = "iqn.1998-01.com.vmware:host-a"
WWN_B = "50:01:43:80:12:34:56:78"


def rules_server() -> dict:
    """Two pools; ``big`` roomy, ``small`` nearly full (10 GiB free).

    - ``data`` (thin, 10 GiB used; ``data.snap1`` holds 1 GiB of its own) is
      mapped to ``host-a`` as LUN 0; ``data-clone`` shares 10 GiB with ``data.snap2``;
    - ``other`` (thin, 20 GiB used) has a LUN; it and ``thick`` form the
      consistency group ``pair`` with one group snapshot;
    - ``small`` holds ``thick`` (60 GiB thick) and ``tight`` (30 GiB) with its
      clone, whose split would need 30 GiB.
    """
    return {
        "systemSize": "8GiB",
        "pools": [
            {"name": "big", "capacity": "1TiB"},
            {"name": "small", "capacity": "100GiB"},
        ],
        "volumes": [
            {
                "name": "data",
                "pool": "big",
                "size": "100GiB",
                "used": "10GiB",
                "lun": True,
                "snapshots": [
                    {"name": "data.snap1", "age": "2d", "used": "1GiB"},
                    {"name": "data.snap2", "age": "1d"},
                ],
            },
            {"name": "other", "pool": "big", "size": "100GiB", "used": "20GiB", "lun": True},
            {
                "name": "thick",
                "pool": "small",
                "size": "60GiB",
                "used": "5GiB",
                "thin": False,
                "snapshots": [{"name": "thick.snap1", "age": "1d"}],
            },
            {
                "name": "tight",
                "pool": "small",
                "size": "40GiB",
                "used": "30GiB",
                "snapshots": [{"name": "tight.snap1", "age": "1d"}],
            },
            {"name": "tight-clone", "cloneOf": {"volume": "tight", "snapshot": "tight.snap1"}},
            {"name": "data-clone", "cloneOf": {"volume": "data", "snapshot": "data.snap2"}},
        ],
        "hosts": [
            {"name": "host-a", "iqns": [IQN_A], "luns": [{"volume": "data", "lunNumber": 0}]},
            {"name": "host-b", "wwns": [WWN_B]},
        ],
        "hostGroups": [{"name": "cluster", "hosts": ["host-a", "host-b"]}],
        # The server serves iSCSI (by default) and FC (it has an FC network).
        "networks": [{"name": "fc-a", "wwpn": "500a0b0c000000a1", "config": {"fc": True}}],
        "consistencyGroups": [
            {"name": "pair", "volumes": ["other", "thick"], "snapshots": [{"name": "pair.snap"}]}
        ],
    }


# -- the array, as the behaviour layer sees it ---------------------------------------------


@dataclass(frozen=True)
class Space:
    """A pool's free space by name, and the server's ``/system`` figures."""

    free: dict[str, int]
    report: capacity.SystemReport


@dataclass
class Call:
    """One transaction on the lab's server, with lookups by name."""

    session: Session
    server: Server

    def volume(self, name: str) -> Volume:
        return self.session.scalar(
            select(Volume).where(Volume.server_id == self.server.id, Volume.name == name)
        )

    def vid(self, name: str) -> str:
        return str(self.volume(name).id)

    def snapshot(self, volume: str, name: str) -> Snapshot:
        return self.session.scalar(
            select(Snapshot).where(
                Snapshot.volume_id == self.volume(volume).id, Snapshot.name == name
            )
        )

    def sid(self, volume: str, name: str) -> str:
        return str(self.snapshot(volume, name).id)

    def hid(self, name: str) -> str:
        return str(
            self.session.scalar(
                select(Host.id).where(Host.server_id == self.server.id, Host.name == name)
            )
        )

    def pool_id(self, name: str) -> str:
        return str(
            self.session.scalar(
                select(Pool.id).where(Pool.server_id == self.server.id, Pool.name == name)
            )
        )

    def count(self, model, *where) -> int:
        return self.session.scalar(select(func.count()).select_from(model).where(*where))

    def lun_numbers(self, host: str) -> dict[str, int]:
        """``{volume name: LUN number}`` of a host's mappings."""
        rows = self.session.execute(
            select(Volume.name, LunMapping.lun_number)
            .join(Lun, LunMapping.lun_id == Lun.id)
            .join(Volume, Lun.volume_id == Volume.id)
            .where(LunMapping.host_id == int(self.hid(host)))
        )
        return dict(rows.all())

    def space(self) -> Space:
        """The figures the array reports, checked against the stored rows.

        - the pools' free space adds up to ``capacityInBytes - totalSizeInBytes``;
        - ``volumesSizeInBytes`` is each volume's allocation (thick: its size,
          thin: used - shared), ``snapshotsSizeInBytes`` the snapshots' own bytes;
        - each pool's free space is its capacity less its volumes' allocation
          and the snapshots placed in it (else in their volume's pool).
        """
        self.session.flush()
        self.session.expire_all()
        report = capacity.system_report(self.session, self.server)
        rows, _ = inventory.list_pools(self.session, self.server)
        free = {row.name: row.free_space for row in rows}
        assert sum(free.values()) == report.capacity_bytes - report.total_size_bytes

        all_volumes = list(
            self.session.scalars(select(Volume).where(Volume.server_id == self.server.id))
        )
        allocation = {
            v.id: v.size_bytes if not v.thin else v.used_bytes - v.shared_bytes for v in all_volumes
        }
        assert report.volumes_size_bytes == sum(allocation.values())
        assert report.shared_space_bytes == sum(v.shared_bytes for v in all_volumes)
        assert report.provisioned_size_bytes == sum(v.size_bytes for v in all_volumes)
        snapshot_rows = self.session.execute(
            select(Snapshot.used_bytes, Snapshot.pool_id, Volume.pool_id)
            .join(Volume, Snapshot.volume_id == Volume.id)
            .where(Volume.server_id == self.server.id)
        ).all()
        assert report.snapshots_size_bytes == sum(used for used, _, _ in snapshot_rows)
        assert report.total_size_bytes == (
            report.volumes_size_bytes + report.snapshots_size_bytes + report.system_size_bytes
        )
        for pool in self.session.scalars(select(Pool).where(Pool.server_id == self.server.id)):
            taken = sum(allocation[v.id] for v in all_volumes if v.pool_id == pool.id)
            taken += sum(
                used
                for used, placed, home in snapshot_rows
                if (placed if placed is not None else home) == pool.id
            )
            assert free[pool.name] == pool.capacity_bytes - taken, pool.name
        return Space(free=free, report=report)


@dataclass
class Rig:
    database: object
    array_id: int

    @contextmanager
    def call(self) -> Iterator[Call]:
        """One committed transaction (rolled back when the block raises)."""
        with self.database.transaction() as session:
            yield Call(session, inventory.get_server(session, self.array_id, "0"))

    def space(self) -> Space:
        with self.call() as a:
            return a.space()


@pytest.fixture
def rig(lab, database) -> Rig:
    (array,) = lab.seed(array_doc("alpha", 1, servers=[rules_server()]))
    return Rig(database, array.id)


@pytest.fixture
def at(monkeypatch) -> Callable[[int], None]:
    """``at(ms)`` sets the array's clock to ``T0 + ms``."""

    def set_clock(offset_ms: int) -> None:
        monkeypatch.setattr(clock, "now", lambda _session: T0 + offset_ms)

    return set_clock


def host_write(volume: Volume, used_bytes: int, fingerprint: str) -> None:
    """What a host writing to the volume does to it."""
    volume.used_bytes = used_bytes
    volume.content_fingerprint = fingerprint


def clone_of(a: Call, volume: str, snapshot: str, name: str, *, instant_split=False) -> Volume:
    return volumes.clone(
        a.session,
        a.server,
        a.vid(volume),
        name=name,
        snapshot_id=a.sid(volume, snapshot),
        snapshot_name=None,
        server_group_keys=[],
        instant_split=instant_split,
    )


def restore_to_new(a: Call, volume: str, snapshot: str, name: str, pools: list[str]) -> Volume:
    return volumes.restore_to_new(
        a.session,
        a.server,
        a.vid(volume),
        source_snapshot_id=a.sid(volume, snapshot),
        target_volume_name=name,
        target_pool_ids=[a.pool_id(pool) for pool in pools],
    )


def map_to(a: Call, host: str, volume: str, lun_number: int | None = None):
    return hosts.map_to_host(
        a.session,
        a.server,
        a.hid(host),
        volume_id=a.vid(volume),
        lun_id=None,
        lun_number=lun_number,
    )


# -- capacity always adds up ---------------------------------------------------------------


def take_snapshot(a: Call) -> None:
    snapshots.create_snapshot(a.session, a.server, a.vid("data"), name="data.snap3")


def clone_snapshot(a: Call) -> None:
    clone_of(a, "data", "data.snap1", "data-clone2")


def start_split(a: Call) -> None:
    volumes.split(a.session, a.server, a.vid("data-clone"), rate=SPLIT_RATE)


def restore_in_place(a: Call) -> None:
    host_write(a.volume("data"), 25 * GiB, "written-by-host")
    volumes.restore(a.session, a.server, a.vid("data"), snapshot_id=a.sid("data", "data.snap1"))


def restore_to_alternate(a: Call) -> None:
    volumes.restore_to_alternate(
        a.session,
        a.server,
        a.vid("data"),
        source_snapshot_id=a.sid("data", "data.snap1"),
        target_volume_id=a.vid("other"),
    )


def restore_thick_to_new(a: Call) -> None:
    restore_to_new(a, "thick", "thick.snap1", "thick-copy", ["small", "big"])


def delete_other(a: Call) -> None:
    volumes.delete_volume(a.session, a.server, a.vid("other"))


def delete_snapshot(a: Call) -> None:
    snapshots.delete_snapshot(a.session, a.server, a.vid("data"), a.sid("data", "data.snap1"))


@pytest.mark.parametrize(
    ("change", "pool", "delta"),
    [
        # A new snapshot holds nothing of its own yet.
        (take_snapshot, "big", 0),
        # A clone shares all its data with the snapshot.
        (clone_snapshot, "big", 0),
        # A split takes its own copy of the 10 GiB shared at once.
        (start_split, "big", -10 * GiB),
        # The host's 15 GiB (in no snapshot) go; data.snap1's 1 GiB of its own is the
        # volume's again, and the newer data.snap2 keeps on its own the 1 GiB it
        # shared with the volume that data.snap1 does not hold: nothing freed.
        (restore_in_place, "big", 0),
        # 'other' (20 GiB written) now holds the snapshot's 10 GiB, and its newest
        # snapshot (the group snapshot pair.snap) keeps the 20 GiB replaced.
        (restore_to_alternate, "big", -10 * GiB),
        # A thick volume takes its whole size; 'small' has no room, so 'big'.
        (restore_thick_to_new, "big", -60 * GiB),
        (delete_other, "big", +20 * GiB),
        (delete_snapshot, "big", +1 * GiB),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_capacity_adds_up_after_every_change(rig, change, pool, delta):
    before = rig.space()
    with rig.call() as a:
        change(a)
        during = a.space()
    after = rig.space()
    assert after == during
    assert after.free[pool] - before.free[pool] == delta
    others = {name: free for name, free in after.free.items() if name != pool}
    assert others == {name: free for name, free in before.free.items() if name != pool}


def test_thick_restore_to_new_that_does_not_fit_raises_no_space_and_changes_nothing(rig):
    before = rig.space()
    assert before.free["small"] == 10 * GiB
    with pytest.raises(NoSpace) as refused, rig.call() as a:
        restore_to_new(a, "thick", "thick.snap1", "thick-copy", ["small"])
    assert "small" in refused.value.message
    with rig.call() as a:
        assert a.volume("thick-copy") is None
        assert a.space() == before


def test_split_start_reserves_the_shared_bytes_at_once(rig, at):
    at(0)
    before = rig.space()
    with rig.call() as a:
        status = volumes.split(a.session, a.server, a.vid("data-clone"), rate=SPLIT_RATE)
    assert (status.percentage_complete, status.complete) == (0, False)
    after = rig.space()
    assert before.free["big"] - after.free["big"] == 10 * GiB
    assert before.report.shared_space_bytes - after.report.shared_space_bytes == 10 * GiB
    with rig.call() as a:
        clone = a.volume("data-clone")
        assert clone.shared_bytes == 0
        # It still depends on its snapshot until the copy is done.
        assert clone.parent_snapshot_id == a.snapshot("data", "data.snap2").id


def test_split_without_room_raises_no_space_and_changes_nothing(rig):
    before = rig.space()
    with pytest.raises(NoSpace) as refused, rig.call() as a:
        volumes.split(a.session, a.server, a.vid("tight-clone"), rate=SPLIT_RATE)
    assert "tight-clone" in refused.value.message
    with rig.call() as a:
        assert a.volume("tight-clone").shared_bytes == 30 * GiB
        assert a.count(LongTask) == 0
        assert a.space() == before


def test_split_progress_grows_with_time(rig, at):
    at(0)
    with rig.call() as a:
        volumes.split(a.session, a.server, a.vid("data-clone"), rate=SPLIT_RATE)

    def status_at(offset_ms: int) -> tuple[int, bool]:
        at(offset_ms)
        with rig.call() as a:
            status = tasks.split_status(a.session, a.server, a.vid("data-clone"))
        return status.percentage_complete, status.complete

    assert status_at(0) == (0, False)
    assert status_at(SPLIT_MS // 4) == (25, False)
    percentage, complete = status_at(SPLIT_MS // 2)
    assert 49 <= percentage <= 51 and not complete
    assert status_at(SPLIT_MS - 1) == (99, False)
    assert status_at(SPLIT_MS) == (100, True)
    assert status_at(SPLIT_MS * 3) == (100, True)


def test_split_repeated_reports_the_same_task(rig, at):
    at(0)
    with rig.call() as a:
        volumes.split(a.session, a.server, a.vid("data-clone"), rate=SPLIT_RATE)
    at(SPLIT_MS // 2)
    with rig.call() as a:
        again = volumes.split(a.session, a.server, a.vid("data-clone"), rate=SPLIT_RATE)
        assert (again.percentage_complete, again.complete) == (50, False)
        assert a.count(LongTask) == 1


def test_parent_snapshot_is_deleted_only_once_the_split_completes(rig, at):
    at(0)
    with rig.call() as a:
        volumes.split(a.session, a.server, a.vid("data-clone"), rate=SPLIT_RATE)
        delete_parent = (a.vid("data"), a.sid("data", "data.snap2"))

    at(SPLIT_MS // 2)
    with pytest.raises(Conflict) as refused, rig.call() as a:
        snapshots.delete_snapshot(a.session, a.server, *delete_parent)
    assert "data-clone" in refused.value.message
    with rig.call() as a:
        assert a.snapshot("data", "data.snap2") is not None

    at(SPLIT_MS)
    with rig.call() as a:
        fingerprint = a.volume("data-clone").content_fingerprint
        snapshots.delete_snapshot(a.session, a.server, *delete_parent)
    with rig.call() as a:
        assert a.snapshot("data", "data.snap2") is None
        clone = a.volume("data-clone")
        assert clone.parent_snapshot_id is None
        assert clone.content_fingerprint == fingerprint
        assert clone.used_bytes == 10 * GiB
        a.space()


# -- content fingerprints ------------------------------------------------------------------


def test_clone_gets_its_snapshots_content(rig):
    with rig.call() as a:
        snapshot = a.snapshot("data", "data.snap1")
        # data.snap1 holds blocks overwritten since: its content is not the volume's.
        assert snapshot.content_fingerprint != a.volume("data").content_fingerprint
        clone = clone_of(a, "data", "data.snap1", "data-clone2")
        clone_id = clone.id
        wanted = (snapshot.content_fingerprint, snapshot.volume_used_bytes)
    with rig.call() as a:
        clone = a.session.get(Volume, clone_id)
        assert (clone.content_fingerprint, clone.used_bytes) == wanted
        assert clone.thin and clone.shared_bytes == clone.used_bytes
        assert clone.parent_snapshot_id == a.snapshot("data", "data.snap1").id


def test_restore_brings_back_the_snapshots_content_and_used_size(rig):
    with rig.call() as a:
        snapshot = a.snapshot("data", "data.snap1")
        wanted = (snapshot.content_fingerprint, snapshot.volume_used_bytes)
        host_write(a.volume("data"), 40 * GiB, "written-by-host")
    written = rig.space()
    with rig.call() as a:
        volumes.restore(a.session, a.server, a.vid("data"), snapshot_id=a.sid("data", "data.snap1"))
    with rig.call() as a:
        volume = a.volume("data")
        assert (volume.content_fingerprint, volume.used_bytes) == wanted
        restored = a.space()
    # The host's 30 GiB go; data.snap1's own 1 GiB is the volume's again, and
    # data.snap2 (newer) now holds on its own the 1 GiB data.snap1 lacks.
    assert restored.free["big"] - written.free["big"] == 30 * GiB


def test_restore_to_alternate_gives_the_target_the_snapshots_content(rig):
    with rig.call() as a:
        snapshot = a.snapshot("data", "data.snap1")
        wanted = (snapshot.content_fingerprint, snapshot.volume_used_bytes)
        source_before = a.volume("data").content_fingerprint
        restore_to_alternate(a)
    with rig.call() as a:
        target = a.volume("other")
        assert (target.content_fingerprint, target.used_bytes) == wanted
        assert a.volume("data").content_fingerprint == source_before


def test_restore_to_new_gives_the_new_volume_the_snapshots_content(rig):
    with rig.call() as a:
        snapshot = a.snapshot("data", "data.snap1")
        wanted = (snapshot.content_fingerprint, snapshot.volume_used_bytes, snapshot.id)
        restore_to_new(a, "data", "data.snap1", "data-restored", ["big"])
    with rig.call() as a:
        volume = a.volume("data-restored")
        assert (volume.content_fingerprint, volume.used_bytes, volume.origin_snapshot_id) == wanted
        # Independent of the snapshot: it owns all its data.
        assert volume.shared_bytes == 0 and volume.parent_snapshot_id is None


# -- retries and conflicts -----------------------------------------------------------------


def retried(rig: Rig, make: Callable[[Call], object]) -> tuple[int, int]:
    """The ids ``make`` returns in two separate transactions (a client's retry)."""
    ids = []
    for _ in range(2):
        with rig.call() as a:
            ids.append(make(a).id)
    return ids[0], ids[1]


def test_retried_snapshot_is_the_same_and_other_parameters_conflict(rig):
    def make(a: Call, **params):
        return snapshots.create_snapshot(
            a.session, a.server, a.vid("data"), name="data.daily", **params
        )

    first, second = retried(rig, make)
    assert first == second
    with pytest.raises(Conflict), rig.call() as a:
        make(a, replicate=True)
    with rig.call() as a:
        assert a.count(Snapshot, Snapshot.name == "data.daily") == 1


def test_retried_clone_is_the_same_and_another_snapshot_conflicts(rig):
    first, second = retried(rig, lambda a: clone_of(a, "data", "data.snap1", "data-copy"))
    assert first == second
    with pytest.raises(Conflict), rig.call() as a:
        clone_of(a, "data", "data.snap2", "data-copy")
    with rig.call() as a:
        assert a.count(Volume, Volume.name == "data-copy") == 1
        assert a.volume("data-copy").origin_snapshot_id == a.snapshot("data", "data.snap1").id


def test_retried_host_is_the_same_and_other_initiators_conflict(rig):
    def make(a: Call, iqns=("iqn.1998-01.com.vmware:host-c",)):
        return hosts.create_host(a.session, a.server, name="host-c", iqns=list(iqns), wwns=[])

    first, second = retried(rig, make)
    assert first == second
    with pytest.raises(Conflict), rig.call() as a:
        make(a, iqns=["iqn.1998-01.com.vmware:host-d"])
    with rig.call() as a:
        assert a.count(Host, Host.name == "host-c") == 1


def test_retried_restore_to_new_is_the_same_and_another_snapshot_conflicts(rig):
    first, second = retried(
        rig, lambda a: restore_to_new(a, "data", "data.snap1", "data-restored", ["big"])
    )
    assert first == second
    space = rig.space()
    with pytest.raises(Conflict), rig.call() as a:
        restore_to_new(a, "data", "data.snap2", "data-restored", ["big"])
    with rig.call() as a:
        assert a.count(Volume, Volume.name == "data-restored") == 1
        assert a.space() == space


# -- LUN numbers -------------------------------------------------------------------------------


def test_map_to_host_takes_the_lowest_free_number(rig):
    with rig.call() as a:
        assert a.lun_numbers("host-b") == {}
        assert map_to(a, "host-b", "tight").lun_number == 0
        assert a.lun_numbers("host-a") == {"data": 0}
        assert map_to(a, "host-a", "other").lun_number == 1
        assert map_to(a, "host-a", "thick", lun_number=3).lun_number == 3
        assert map_to(a, "host-a", "tight").lun_number == 2
        assert map_to(a, "host-a", "data-clone").lun_number == 4
        # Mapping again answers the existing mapping.
        assert map_to(a, "host-a", "other").lun_number == 1
    with rig.call() as a:
        assert a.lun_numbers("host-a") == {
            "data": 0,
            "other": 1,
            "tight": 2,
            "thick": 3,
            "data-clone": 4,
        }
        with pytest.raises(Conflict) as refused:
            map_to(a, "host-a", "tight-clone", lun_number=2)
        assert "tight" in refused.value.message


def test_map_to_host_group_takes_a_number_free_on_every_host(rig):
    with rig.call() as a:
        map_to(a, "host-b", "other", lun_number=1)
    # host-a has 0, host-b has 1: each alone would take the other's number.
    with rig.call() as a:
        group_id = str(inventory.list_host_groups(a.session, a.server)[0][0].id)
        mapping = hosts.map_to_host_group(
            a.session, a.server, group_id, volume_id=a.vid("thick"), lun_id=None, lun_number=None
        )
        assert mapping.lun_number == 2
    with rig.call() as a:
        assert a.lun_numbers("host-a") == {"data": 0, "thick": 2}
        assert a.lun_numbers("host-b") == {"other": 1, "thick": 2}
        assert a.count(LunMapping, LunMapping.host_group_id == int(group_id)) == 2


# -- deleting volumes ---------------------------------------------------------------------------


def test_a_mapped_volume_cannot_be_deleted(rig):
    with pytest.raises(Conflict) as refused, rig.call() as a:
        volumes.delete_volume(a.session, a.server, a.vid("data"))
    assert "host-a" in refused.value.message
    with rig.call() as a:
        assert a.volume("data") is not None


def test_delete_volume_takes_its_snapshots_and_lun_and_drops_an_empty_group_snapshot(rig):
    with rig.call() as a:
        other = a.volume("other")
        other_id, thick_id = other.id, a.volume("thick").id
        assert a.count(Lun, Lun.volume_id == other_id) == 1
        assert a.count(CgSnapshot, CgSnapshot.name == "pair.snap") == 1
        volumes.delete_volume(a.session, a.server, str(other_id))
    with rig.call() as a:
        assert a.volume("other") is None
        assert a.count(Snapshot, Snapshot.volume_id == other_id) == 0
        assert a.count(Lun, Lun.volume_id == other_id) == 0
        # The group snapshot keeps its member on 'thick'.
        assert a.count(CgSnapshot, CgSnapshot.name == "pair.snap") == 1
        assert a.snapshot("thick", "pair.snap") is not None
        a.space()
        volumes.delete_volume(a.session, a.server, str(thick_id))
    with rig.call() as a:
        assert a.count(Snapshot, Snapshot.volume_id == thick_id) == 0
        assert a.count(CgSnapshot, CgSnapshot.name == "pair.snap") == 0
        a.space()


def test_a_volume_whose_snapshot_a_clone_depends_on_cannot_be_deleted(rig):
    with rig.call() as a:
        # 'tight' is not mapped; its clone still shares tight.snap1.
        with pytest.raises(Conflict) as refused:
            volumes.delete_volume(a.session, a.server, a.vid("tight"))
        assert "tight-clone" in refused.value.message


# -- a failed call changes nothing ---------------------------------------------------------------


def test_a_clone_whose_instant_split_has_no_room_leaves_nothing_behind(rig):
    before = rig.space()
    # The clone is written first, then its split finds no room in 'small'.
    with pytest.raises(NoSpace), rig.call() as a:
        clone_of(a, "tight", "tight.snap1", "tight-clone2", instant_split=True)
    with rig.call() as a:
        assert a.volume("tight-clone2") is None
        assert a.count(LongTask) == 0
        assert a.space() == before


def test_a_refused_group_mapping_leaves_the_lun_as_it_was(rig):
    # The volume has its LUN from the start (every block volume does).
    with rig.call() as a:
        thick_id = a.volume("thick").id
        group_id = str(inventory.list_host_groups(a.session, a.server)[0][0].id)
        [lun_before] = a.session.scalars(select(Lun.id).where(Lun.volume_id == thick_id)).all()
    # Number 0, host-a's, is refused.
    with pytest.raises(Conflict), rig.call() as a:
        hosts.map_to_host_group(
            a.session, a.server, group_id, volume_id=str(thick_id), lun_id=None, lun_number=0
        )
    with rig.call() as a:
        assert a.session.scalars(select(Lun.id).where(Lun.volume_id == thick_id)).all() == [
            lun_before
        ]
        assert a.count(LunMapping, LunMapping.host_group_id == int(group_id)) == 0


def test_a_failed_call_after_other_writes_in_its_transaction_rolls_them_back(rig):
    before = rig.space()
    with pytest.raises(Conflict), rig.call() as a:
        snapshots.create_snapshot(a.session, a.server, a.vid("data"), name="data.snap3")
        map_to(a, "host-a", "other", lun_number=0)
    with rig.call() as a:
        assert a.snapshot("data", "data.snap3") is None
        assert a.lun_numbers("host-a") == {"data": 0}
        assert a.space() == before


def test_an_instant_split_clone_of_a_volume_that_cannot_split_is_invalid(lab, database):
    """``instantSplit`` asks for a split, which ``supports.split: NONE`` refuses:
    no clone is made, so nothing depends on the snapshot and no space is taken."""
    stiff = {
        "name": "stiff",
        "size": "10GiB",
        "used": "1GiB",
        "supports": {"split": "NONE"},
        "snapshots": [{"name": "stiff.snap", "age": "1h"}],
    }
    server = {"pools": [{"name": "pool1", "capacity": "1TiB"}], "volumes": [stiff]}
    (array,) = lab.seed(array_doc("alpha", 1, servers=[server]))
    rig = Rig(database, array.id)
    before = rig.space()

    with pytest.raises(Invalid) as refused, rig.call() as a:
        clone_of(a, "stiff", "stiff.snap", "stiff-clone", instant_split=True)

    assert "supports.split NONE" in str(refused.value) and "'stiff'" in str(refused.value)
    with rig.call() as a:
        assert a.volume("stiff-clone") is None
        assert a.count(Volume) == 1
        assert a.count(LongTask) == 0
    assert rig.space() == before
