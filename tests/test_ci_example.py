"""Using mockarray in CI: the example of docs/ci.md, run as part of the suite.

A test of a backup job (here, the calls CDM would make). mockarray's pytest
plugin starts a server with the demo lab for the session and puts the lab back
after each test; the test makes the array fail once the way real arrays do,
moves the simulated clock instead of waiting for a split, and asserts on what
was called through the journal. Point it at a running server with
``--mockarray-url`` (and ``--mockarray-token``).
"""

import pytest

from mockarray.client import Unavailable

# The demo lab's alpha; calls go to its server svm-db unless they name another.
pytestmark = pytest.mark.mockarray_array("alpha", server="svm-db")


def test_a_clone_job_survives_a_busy_array(mockarray, mockarray_lab):
    source = mockarray.volumes().named("oradb-data")
    snapshot = mockarray.create_snapshot(source["id"], name="ci-backup")

    # The array is busy for the next clone call: the job must retry.
    mockarray_lab.add_fault(
        path="/server/*/volume/*", action="clone", status=503, message="array busy", times=1
    )
    with pytest.raises(Unavailable, match="array busy"):
        mockarray.clone(source["id"], snapshot_id=snapshot["id"], name="ci-clone")
    clone = mockarray.clone(source["id"], snapshot_id=snapshot["id"], name="ci-clone")

    # Split the clone; an hour of simulated time later it is complete.
    mockarray.split(clone["id"])
    mockarray_lab.advance_clock("1h")
    assert mockarray.split_status(clone["id"]) == {"percentageComplete": 100, "complete": True}

    # What did the job call? One refused clone, then one that worked.
    clones = mockarray_lab.journal(action="clone")
    assert [entry["status"] for entry in clones] == [503, 200]
    assert mockarray_lab.journal_count(status=503) == 1


def test_the_next_test_starts_from_the_checkpoint(mockarray, mockarray_lab):
    assert "ci-clone" not in [volume["name"] for volume in mockarray.volumes()]
    assert mockarray_lab.faults() == []
