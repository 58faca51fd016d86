"""Progress of the lab's bulk jobs (seed, reset, checkpoint restore): the
``progress(done, total)`` callable the lab calls, and the bar the command line
draws with it, only on a terminal and only for a large job."""

from __future__ import annotations

import io

import pytest
import yaml

from mockarray.cli import checkpoint as checkpoint_command
from mockarray.cli import output
from mockarray.cli import seeding as seeding_command
from mockarray.cli.output import progress_bar
from mockarray.lab import bulk, checkpoints
from mockarray.lab.seeding.loader import FixtureError, reset, seed
from tests.support.db import row_counts
from tests.support.lab import array_doc

VOLUMES = 30


def lab_text(name: str = "alpha", number: int = 1, volumes: int = VOLUMES) -> str:
    """An array with ``volumes`` volumes, a snapshot each, all mapped to one host."""
    server = {
        "pools": [{"name": "p", "capacity": "100TiB"}],
        "volumes": [
            {"name": f"v{i}", "size": "1GiB", "snapshots": [{"name": "s"}]} for i in range(volumes)
        ],
        "hosts": [
            {
                "name": "h",
                "iqns": ["iqn.2000-01.test:h"],
                "luns": [{"volume": f"v{i}", "lunNumber": i} for i in range(volumes)],
            }
        ],
    }
    return yaml.safe_dump({"arrays": [array_doc(name, number, servers=[server])]})


#: Array, server, pool and host; then a volume, its snapshot and its mapping each.
OBJECTS = 4 + 3 * VOLUMES


class Calls(list):
    """A progress callable that keeps its calls."""

    def __call__(self, done: int, total: int) -> None:
        self.append((done, total))


def assert_reported(calls: Calls, total: int) -> None:
    assert calls, "progress was never told"
    assert calls[0] == (0, total)
    assert calls[-1] == (total, total)
    assert {t for _, t in calls} == {total}
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert len(calls) <= bulk.REPORTS + 3


# -- the lab tells its callable ------------------------------------------------------------------


def test_seed_tells_progress_how_many_objects_are_built(database):
    calls = Calls()
    with database.transaction() as session:
        seed(session, lab_text(), "lab.yaml", progress=calls)
    assert_reported(calls, OBJECTS)


def test_a_refused_seed_tells_no_end(database):
    text = lab_text().replace("size: 1GiB", "size: 1 parsec", 1)
    calls = Calls()
    with pytest.raises(FixtureError), database.transaction() as session:
        seed(session, text, "bad.yaml", progress=calls)
    assert calls and calls[-1] != (OBJECTS, OBJECTS)


def test_reset_tells_progress_over_every_fixture(database):
    with database.transaction() as session:
        seed(session, lab_text("alpha", 1), "first.yaml")
        seed(session, lab_text("beta", 2, volumes=10), "second.yaml")
    rows = sum(
        count for table, count in row_counts(database).items() if table not in checkpoints.NOT_STATE
    )
    calls = Calls()
    with database.transaction() as session:
        reset(session, progress=calls)
    # Both fixtures come back from the seeded state's checkpoint: its rows, all of them.
    assert_reported(calls, rows)


def test_reset_that_seeds_again_tells_progress_over_every_fixture(database):
    with database.transaction() as session:
        seed(session, lab_text("alpha", 1), "first.yaml")
        seed(session, lab_text("beta", 2, volumes=10), "second.yaml")
        checkpoints.drop_seeded(session)
    calls = Calls()
    with database.transaction() as session:
        reset(session, progress=calls)
    assert_reported(calls, OBJECTS + 4 + 3 * 10)


def test_checkpoint_restore_tells_progress_how_many_rows_are_back(database, monkeypatch):
    monkeypatch.setattr(checkpoints, "INSERT_BATCH", 7)
    with database.transaction() as session:
        seed(session, lab_text(), "lab.yaml")
        checkpoints.save(session, "base")
    rows = sum(
        count for table, count in row_counts(database).items() if table not in checkpoints.NOT_STATE
    )
    calls = Calls()
    with database.transaction() as session:
        checkpoints.restore(session, "base", progress=calls)
    assert_reported(calls, rows)
    # Batches of 7 rows: reported along the way, not only at the end.
    assert len(calls) > 10


# -- the command line's bar ------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_is_drawn_on_a_terminal_for_a_large_job():
    terminal = Terminal()
    with progress_bar("Seeding lab.yaml", large=100, stream=terminal) as progress:
        for done in (0, 50, 100):
            progress(done, 100)
    drawn = terminal.getvalue()
    assert "Seeding lab.yaml" in drawn and "100%" in drawn, drawn


def test_no_bar_for_a_small_job_or_off_a_terminal():
    for stream, total in ((Terminal(), 99), (io.StringIO(), 1000)):
        with progress_bar("Seeding lab.yaml", large=100, stream=stream) as progress:
            progress(0, total)
            progress(total, total)
        assert stream.getvalue() == ""


@pytest.fixture
def every_job_large(monkeypatch):
    monkeypatch.setattr(output, "LARGE_JOB", 1)


def test_commands_off_a_terminal_print_no_bar(runner, tmp_path, every_job_large):
    path = tmp_path / "lab.yaml"
    path.write_text(lab_text(), encoding="utf-8")
    outputs = [
        runner.invoke(args=args).output
        for args in (
            ["seed", str(path)],
            ["checkpoint", "save", "base"],
            ["checkpoint", "restore", "base"],
            ["reset", "--yes"],
        )
    ]
    assert outputs[0] == f"Seeded 1 array(s) from {path}: alpha.\n"
    assert outputs[2].startswith("Restored checkpoint 'base'") and outputs[2].count("\n") == 1
    assert outputs[3] == "The lab is back to its fixtures: 1 array(s).\n"


def test_commands_on_a_terminal_draw_their_bar(runner, tmp_path, monkeypatch, every_job_large):
    terminal = Terminal()

    def on_the_terminal(label, **kwargs):
        return progress_bar(label, stream=terminal, **kwargs)

    monkeypatch.setattr(seeding_command, "progress_bar", on_the_terminal)
    monkeypatch.setattr(checkpoint_command, "progress_bar", on_the_terminal)
    path = tmp_path / "lab.yaml"
    path.write_text(lab_text(), encoding="utf-8")
    for args in (["seed", str(path)], ["checkpoint", "save", "base"]):
        assert runner.invoke(args=args).exit_code == 0
    assert runner.invoke(args=["checkpoint", "restore", "base"]).exit_code == 0
    assert runner.invoke(args=["reset", "--yes"]).exit_code == 0
    drawn = terminal.getvalue()
    for label in ("Seeding", "Restoring 'base'", "Resetting the lab"):
        assert label in drawn, drawn
    assert drawn.count("100%") >= 3, drawn
