"""Replication's rules on the behaviour layer (``mockarray.array``), without HTTP.

Each test seeds ``alpha`` (group ``db``: db-data 10 GiB, db-logs 2 GiB,
replicating to ``bravo``) and its partner ``bravo``, both simulated here,
calls the behaviour functions inside ``database.transaction()`` (one
transaction per call, as a request does) and checks what was committed. The
array's clock is set by the test (``at``). The rules are those of
``docs/replication.md``: neither end of a running transfer can be deleted, a
transfer is incremental only from a base both sides hold, a replica volume is
a read-only destination, a group snapshot lands in a replica group, and a
task reports the rate it runs at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from mockarray.array import (
    clock,
    groups,
    hosts,
    inventory,
    replication,
    snapshots,
    tasks,
    volumes,
)
from mockarray.array.clock import Pace
from mockarray.array.models import (
    Array,
    CgSnapshot,
    ConsistencyGroup,
    Host,
    LongTask,
    RemoteArray,
    Server,
    Snapshot,
    TaskKind,
    Volume,
)
from mockarray.errors import Conflict
from mockarray.lab.seeding.loader import demo_fixture_text
from tests.support.lab import array_doc

GiB = 2**30
#: A simulated time far from the real one, so a test never depends on the wall clock.
T0 = 1_900_000_000_000
#: 1 GiB per second: db-data's 10 GiB take 10 s.
RATE = GiB
DR_IQN = "iqn.1998-01.com.vmware:dr-host"


def alpha_doc() -> dict:
    return array_doc(
        "alpha",
        1,
        servers=[
            {
                "pools": [{"name": "gold", "capacity": "1TiB"}],
                "remoteArrays": [
                    {"name": "bravo", "hostAddress": "198.51.100.2", "array": "bravo"}
                ],
                "volumes": [
                    {"name": "db-data", "size": "100GiB", "used": "10GiB"},
                    {"name": "db-logs", "size": "50GiB", "used": "2GiB"},
                ],
                "consistencyGroups": [
                    {"name": "db", "volumes": ["db-data", "db-logs"], "targets": ["bravo"]}
                ],
            }
        ],
    )


def bravo_doc() -> dict:
    return array_doc(
        "bravo",
        2,
        servers=[
            {
                "pools": [{"name": "dr", "capacity": "500GiB"}],
                "remoteArrays": [
                    {"name": "alpha", "hostAddress": "198.51.100.1", "array": "alpha"}
                ],
                "hosts": [{"name": "dr-host", "iqns": [DR_IQN]}],
            }
        ],
    )


@dataclass
class Call:
    """One transaction, with the server ``0`` of both arrays and lookups by name."""

    session: Session
    alpha: Server
    bravo: Server

    def volume(self, name: str) -> Volume:
        return self.session.scalar(select(Volume).where(Volume.name == name))

    def vid(self, name: str) -> str:
        return str(self.volume(name).id)

    def snapshot(self, volume: str, name: str) -> Snapshot:
        return self.session.scalar(
            select(Snapshot).where(
                Snapshot.volume_id == self.volume(volume).id, Snapshot.name == name
            )
        )

    def group_snapshot(self, name: str) -> str:
        """A replicated snapshot of group ``db`` taken now; its name."""
        group_id = self.session.scalar(
            select(ConsistencyGroup.id).where(
                ConsistencyGroup.server_id == self.alpha.id, ConsistencyGroup.name == "db"
            )
        )
        taken = groups.take_snapshot(
            self.session,
            self.alpha,
            str(group_id),
            prefix=name,
            replicate=True,
            is_auto_delete=False,
            is_incremental=False,
            rate=RATE,
        )
        return taken.name

    def progress(self, volume: str, name: str) -> replication.ReplicationStatus:
        snapshot = self.snapshot(volume, name)
        return replication.progress(
            self.session, self.alpha, self.vid(volume), str(snapshot.id)
        ).status


@dataclass
class Rig:
    database: object
    ids: tuple[int, int]

    @contextmanager
    def call(self) -> Iterator[Call]:
        """One committed transaction (rolled back when the block raises)."""
        with self.database.transaction() as session:
            alpha, bravo = (inventory.get_server(session, i, "0") for i in self.ids)
            yield Call(session, alpha, bravo)

    def refused(self, error: type[Exception], do: Callable[[Call], object]) -> str:
        """``do`` raises ``error`` and commits nothing; the error's message."""
        before = self.rows()
        with pytest.raises(error) as raised, self.call() as a:
            do(a)
        assert self.rows() == before
        return str(raised.value)

    def rows(self) -> dict:
        """What a refused call must leave alone: volumes, snapshots, tasks, groups."""
        with self.call() as a:
            return {
                model.__name__: sorted(
                    (
                        sorted((k, v) for k, v in vars(row).items() if not k.startswith("_"))
                        for row in a.session.scalars(select(model))
                    ),
                    key=repr,
                )
                for model in (Volume, Snapshot, LongTask, ConsistencyGroup, CgSnapshot)
            }


@pytest.fixture
def at(monkeypatch) -> Callable[[int], None]:
    """``at(ms)`` sets the array's clock to ``T0 + ms``."""

    def set_clock(offset_ms: int) -> None:
        monkeypatch.setattr(clock, "now", lambda _session: T0 + offset_ms)

    set_clock(0)
    return set_clock


@pytest.fixture
def rig(lab, database, at) -> Rig:
    alpha, bravo = lab.seed(alpha_doc(), bravo_doc())
    return Rig(database, (alpha.id, bravo.id))


# -- neither end of a running transfer can be deleted -------------------------------------------


def test_a_volume_whose_snapshot_is_being_sent_cannot_be_deleted(rig, at):
    with rig.call() as a:
        name = a.group_snapshot("dr")

    message = rig.refused(
        Conflict, lambda a: volumes.delete_volume(a.session, a.alpha, a.vid("db-data"))
    )
    assert "db-data" in message and f"snapshot '{name}' to bravo" in message

    at(10_000)
    with rig.call() as a:
        volumes.delete_volume(a.session, a.alpha, a.vid("db-data"))
    with rig.call() as a:
        assert a.volume("db-data") is None
        assert a.snapshot("alpha-db-data", name).ready_ms == T0 + 10_000


def test_a_replica_volume_cannot_be_deleted_while_a_transfer_into_it_runs(rig, at):
    with rig.call() as a:
        name = a.group_snapshot("dr")

    message = rig.refused(
        Conflict, lambda a: volumes.delete_volume(a.session, a.bravo, a.vid("alpha-db-data"))
    )
    assert f"snapshot '{name}' of volume 'db-data' on array 'alpha'" in message

    at(10_000)
    with rig.call() as a:
        volumes.delete_volume(a.session, a.bravo, a.vid("alpha-db-data"))
    with rig.call() as a:
        assert a.volume("alpha-db-data") is None


# -- incremental only from a base both sides hold ----------------------------------------------


def completed_first_replication(rig, at) -> str:
    with rig.call() as a:
        first = a.group_snapshot("first")
    at(10_000)
    with rig.call() as a:
        volumes.write(a.session, a.volume("db-data"), size=3 * GiB, append=True)
    at(11_000)
    return first


def test_the_next_replication_is_incremental_while_both_sides_hold_the_base(rig, at):
    completed_first_replication(rig, at)
    with rig.call() as a:
        second = a.group_snapshot("second")
    with rig.call() as a:
        assert a.progress("db-data", second).total_size_to_be_synchronized == 3 * GiB


def test_the_next_replication_is_full_when_the_partners_copy_of_the_base_is_gone(rig, at):
    first = completed_first_replication(rig, at)
    with rig.call() as a:
        replica = a.snapshot("alpha-db-data", first)
        snapshots.delete_snapshot(a.session, a.bravo, a.vid("alpha-db-data"), str(replica.id))
    with rig.call() as a:
        second = a.group_snapshot("second")
    with rig.call() as a:
        assert a.progress("db-data", second).total_size_to_be_synchronized == 13 * GiB
        # db-logs' base is still on both sides.
        assert a.progress("db-logs", second).total_size_to_be_synchronized == 0


def test_the_next_replication_is_full_when_the_replica_volume_is_gone(rig, at):
    completed_first_replication(rig, at)
    with rig.call() as a:
        volumes.delete_volume(a.session, a.bravo, a.vid("alpha-db-data"))
    with rig.call() as a:
        second = a.group_snapshot("second")
    with rig.call() as a:
        assert a.progress("db-data", second).total_size_to_be_synchronized == 13 * GiB
        assert a.volume("alpha-db-data").used_bytes == 13 * GiB


def test_the_next_replication_is_full_when_the_sources_base_is_gone(rig, at):
    first = completed_first_replication(rig, at)
    with rig.call() as a:
        source = a.snapshot("db-data", first)
        snapshots.delete_snapshot(a.session, a.alpha, a.vid("db-data"), str(source.id))
    with rig.call() as a:
        second = a.group_snapshot("second")
    with rig.call() as a:
        assert a.progress("db-data", second).total_size_to_be_synchronized == 13 * GiB


# -- a replica volume is a read-only destination ------------------------------------------------


def replicated(rig, at) -> str:
    with rig.call() as a:
        name = a.group_snapshot("dr")
    at(10_000)
    return name


def test_a_replica_volume_refuses_writes_restores_and_snapshots(rig, at):
    name = replicated(rig, at)

    def refused(do) -> None:
        message = rig.refused(Conflict, do)
        assert "read-only replica of volume 'db-data' on array 'alpha'" in message, message

    refused(lambda a: volumes.write(a.session, a.volume("alpha-db-data"), size=GiB))
    refused(
        lambda a: volumes.restore(
            a.session,
            a.bravo,
            a.vid("alpha-db-data"),
            snapshot_id=str(a.snapshot("alpha-db-data", name).id),
        )
    )
    refused(
        lambda a: volumes.restore_to_alternate(
            a.session,
            a.bravo,
            a.vid("alpha-db-logs"),
            source_snapshot_id=str(a.snapshot("alpha-db-logs", name).id),
            target_volume_id=a.vid("alpha-db-data"),
        )
    )
    refused(
        lambda a: snapshots.create_snapshot(a.session, a.bravo, a.vid("alpha-db-data"), name="x")
    )
    refused(
        lambda a: groups.snapshot_group(
            a.session,
            a.bravo,
            a.session.scalar(select(ConsistencyGroup).where(ConsistencyGroup.name == "alpha-db")),
            name="local",
        )
    )


def test_a_replica_volume_can_be_mapped_and_its_clones_are_ordinary_volumes(rig, at):
    name = replicated(rig, at)
    with rig.call() as a:
        host = a.session.scalar(select(Host.id).where(Host.name == "dr-host"))
        hosts.map_to_host(
            a.session,
            a.bravo,
            str(host),
            volume_id=a.vid("alpha-db-data"),
            lun_id=None,
            lun_number=None,
        )
        clone = volumes.clone(
            a.session,
            a.bravo,
            a.vid("alpha-db-data"),
            name="db-data-dr",
            snapshot_id=str(a.snapshot("alpha-db-data", name).id),
            snapshot_name=None,
            server_group_keys=[],
            instant_split=False,
        )
        assert (clone.replication_target, clone.replica_of_volume_id) == (False, None)
        assert clone.consistency_group_id is None
    with rig.call() as a:
        volumes.write(a.session, a.volume("db-data-dr"), size=GiB)
        snapshots.create_snapshot(a.session, a.bravo, a.vid("db-data-dr"), name="dr.local")


def test_a_replica_is_writable_once_its_source_volume_is_gone(rig, at):
    replicated(rig, at)
    with rig.call() as a:
        volumes.delete_volume(a.session, a.alpha, a.vid("db-data"))
    with rig.call() as a:
        volumes.write(a.session, a.volume("alpha-db-data"), size=GiB)


# -- a group snapshot lands in a replica group --------------------------------------------------


def test_a_replicated_group_snapshot_lands_in_a_replica_group(rig, at):
    with rig.call() as a:
        name = a.group_snapshot("dr")

    with rig.call() as a:
        (group,) = a.session.scalars(
            select(ConsistencyGroup).where(ConsistencyGroup.server_id == a.bravo.id)
        )
        assert (group.name, group.replication_target) == ("alpha-db", True)
        assert sorted(v.name for v in group.volumes) == ["alpha-db-data", "alpha-db-logs"]
        # Still arriving: the group snapshot is not there yet.
        assert inventory.list_cg_snapshots(a.session, a.bravo, str(group.id))[0] == []

    at(10_000)
    with rig.call() as a:
        listed, _ = inventory.list_cg_snapshots(a.session, a.bravo, str(group.id))
        assert [(s.name, s.created_ms) for s in listed] == [(name, T0)]
        members = {
            a.snapshot(volume, name).cg_snapshot_id for volume in ("alpha-db-data", "alpha-db-logs")
        }
        assert members == {listed[0].id}

    # The next one lands in the same group.
    with rig.call() as a:
        again = a.group_snapshot("next")
    at(20_000)
    with rig.call() as a:
        listed, _ = inventory.list_cg_snapshots(a.session, a.bravo, str(group.id))
        assert [s.name for s in listed] == [name, again]


def test_a_partner_group_of_that_name_that_is_no_replica_refuses_the_replication(rig, at):
    with rig.call() as a:
        groups.create_group(a.session, a.bravo, name="alpha-db")

    message = rig.refused(Conflict, lambda a: a.group_snapshot("dr"))
    assert "'alpha-db'" in message and "bravo" in message


# -- the rate a task reports ---------------------------------------------------------------------


@pytest.mark.parametrize("speed", [1.0, 4.0, 0.5])
def test_a_transfer_reports_the_rate_it_runs_at_under_a_speed_factor(rig, monkeypatch, speed):
    monkeypatch.setattr(clock, "pace", lambda _session: Pace(speed=speed))
    with rig.call() as a:
        name = a.group_snapshot("dr")
    with rig.call() as a:
        status = a.progress("db-data", name)
    assert status.transfer_rate == int(RATE * speed)
    assert status.estimated_sync_time == tasks.duration_ms(10 * GiB, status.transfer_rate)


@pytest.mark.parametrize("speed", [1.0, 3.0])
def test_a_quick_transfer_reports_a_rate_its_complete_time_agrees_with(rig, monkeypatch, at, speed):
    monkeypatch.setattr(clock, "pace", lambda _session: Pace(speed=speed))
    with rig.call() as a:
        snapshot = snapshots.create_snapshot(
            a.session,
            a.alpha,
            a.vid("db-data"),
            name="quick",
            replicate=True,
            replication_rate=tasks.QUICK,
        )
        task = a.session.scalar(select(LongTask).where(LongTask.snapshot_id == snapshot.id))
        duration = task.completes_ms - task.started_ms
    assert duration == tasks.duration_ms(10 * GiB, task.rate_bytes_per_s)
    assert abs(duration - tasks.quick_ms(10 * GiB) / speed) <= 1
    at(duration)
    with rig.call() as a:
        status = a.progress("db-data", "quick")
    assert status.is_completed and status.complete_time == T0 + duration


# -- quick tasks and the demo lab's sizes -------------------------------------------------------


def test_every_split_and_first_replication_of_the_demo_lab_takes_2_to_8_seconds(lab, database):
    """With quick rates, each volume of the demo lab: a snapshot replicated to its
    partner, a clone of it split, and the demo's own unsplit clone split."""
    lab.seed(*yaml.safe_load(demo_fixture_text())["arrays"])
    with database.transaction() as session:
        for array in session.scalars(select(Array)):
            for server in session.scalars(select(Server).where(Server.array_id == array.id)):
                partners = list(
                    session.scalars(select(RemoteArray).where(RemoteArray.server_id == server.id))
                )
                made = list(
                    session.scalars(
                        select(Volume).where(
                            Volume.server_id == server.id, Volume.replica_of_volume_id.is_(None)
                        )
                    )
                )
                for volume in made:
                    snapshot = snapshots.take_snapshot(session, server, volume, name="ci")
                    if partners:
                        replication.replicate(session, server, snapshot, partners, rate=tasks.QUICK)
                    if volume.split_support in ("ANY_TIME", "FROM_SNAPSHOT"):
                        if volume.parent_snapshot_id is not None:
                            volumes.split(session, server, str(volume.id), rate=tasks.QUICK)
                        clone = volumes.clone_snapshot(
                            session,
                            server,
                            volume,
                            snapshot,
                            name=f"{volume.name}-ci",
                            server_group_key=None,
                            instant_split=False,
                        )
                        volumes.split(session, server, str(clone.id), rate=tasks.QUICK)
        session.flush()
        durations = sorted(
            (task.total_bytes, task.kind, task.completes_ms - task.started_ms)
            for task in session.scalars(select(LongTask))
        )
    assert {kind for _, kind, _ in durations} == {TaskKind.SPLIT, TaskKind.REPLICATION}
    assert len(durations) >= 15, durations
    for total, kind, duration in durations:
        # Seen in progress by a client polling every second; done within 10 s.
        assert 2_000 <= duration <= 8_000, (kind, total, duration)
    # Longer for more data: the 5.5 TiB volume takes longer than the 75 GiB one.
    assert durations[0][0] <= 75 * GiB and durations[-1][0] >= 5.5 * 2**40
    assert durations[0][2] < durations[-1][2]
