"""Checkpoint restore of a large lab: on PostgreSQL the tables are emptied with
one TRUNCATE (``checkpoints.TRUNCATE_ABOVE`` volumes and more), which must take
what deleting the arrays takes, and nothing else."""

from __future__ import annotations

import yaml
from sqlalchemy import func, select

from mockarray.array import sessions
from mockarray.array.models import Array, LoginFailures, Volume
from mockarray.lab import checkpoints
from mockarray.lab.models import Checkpoint
from mockarray.lab.seeding.loader import seed
from tests.support.lab import array_doc, standard_server


def test_restoring_a_large_lab_empties_what_goes_with_the_arrays(database, monkeypatch):
    monkeypatch.setattr(checkpoints, "TRUNCATE_ABOVE", 0)
    text = yaml.safe_dump({"arrays": [array_doc("alpha", 1, servers=[standard_server()])]})
    with database.transaction() as session:
        seed(session, text, "lab.yaml")
        checkpoints.save(session, "base")
        sessions.note_failure(session, session.scalar(select(Array.id)))
        session.execute(Volume.__table__.delete().where(Volume.name == "vol2"))
    with database.transaction() as session:
        checkpoints.restore(session, "base")
    with database.transaction(write=False) as session:
        assert "vol2" in session.scalars(select(Volume.name)).all()
        # A login failure goes with its array, as a delete of the arrays takes it.
        assert session.scalar(select(func.count()).select_from(LoginFailures)) == 0
        # Checkpoints are not the arrays' state: they stay (the lab's own too).
        assert sorted(session.scalars(select(Checkpoint.name))) == [checkpoints.SEEDED, "base"]
