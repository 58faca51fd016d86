import pytest

from mockarray.client import Unavailable


@pytest.mark.mockarray_array("alpha", server="svm-db")
def test_a_snapshot_is_retried_when_the_array_is_busy(mockarray, mockarray_lab):
    volume = mockarray.volumes().named("oradb-data")
    mockarray_lab.add_fault(path="/server/*/volume/*/snapshot", status=503, times=1)
    with pytest.raises(Unavailable):
        mockarray.create_snapshot(volume["id"], name="nightly")
    assert mockarray.create_snapshot(volume["id"], name="nightly")["name"] == "nightly"
    assert mockarray_lab.journal_count(status=503) == 1
