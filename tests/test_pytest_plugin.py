"""The pytest plugin (``mockarray.pytest_plugin``), as a user's suite meets it: test
files run by ``pytester`` in this process, most in in-process mode (fast); one
starts a server that fails, one uses the server this session's plugin started,
through ``--mockarray-url``. The installed wheel running docs/pytest-example is
in ``test_install.py``; starting servers for a suite, in ``test_ci_example.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.support.lab import array_doc

pytest_plugins = ["pytester"]

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "pytest-example" / "test_snapshots.py"


def test_each_test_gets_the_lab_as_it_was(pytester):
    """In process, with the docs example first."""
    pytester.makepyfile(
        test_snapshots=EXAMPLE.read_text(),
        test_lab="""
        import pytest

        @pytest.mark.parametrize("round", [1, 2])
        def test_changes_everything(mockarray, mockarray_lab, round):
            assert mockarray.storage()["name"] == "alpha"
            volume = mockarray.volumes(server="svm-db").named("oradb-data")
            mockarray_lab.clear_journal()
            mockarray.create_snapshot(volume["id"], name="mine", server="svm-db")
            [entry] = mockarray_lab.journal()
            assert (entry["method"], entry["status"]) == ("POST", 201)
            mockarray_lab.add_fault(path="/pool*", status=500)
            mockarray_lab.set_clock(speed=100, instant=True)
            mockarray_lab.advance_clock("1h")
            assert mockarray_lab.faults() and mockarray_lab.checkpoints()
            if round == 2:
                mockarray_lab.reset()  # ends every session: the next test logs in again

        def test_finds_it_as_it_was(mockarray, mockarray_lab):
            volume = mockarray.volumes(server="svm-db").named("oradb-data")
            names = [s["name"] for s in mockarray.snapshots(volume["id"], server="svm-db")]
            assert "mine" not in names
            assert mockarray_lab.faults() == []
            clock = mockarray_lab.clock()
            assert (clock["speed"], clock["instant"]) == (1, False)
            assert clock["offsetMs"] >= 2 * 3_600_000  # time never runs backwards
            # This test's two reads, not the fixture's login.
            assert [e["method"] for e in mockarray_lab.journal()] == ["GET", "GET"]
        """,
    )
    pytester.inline_run("--mockarray-inprocess").assertoutcome(passed=4)


def test_the_marker_picks_the_array_and_a_failure_shows_the_calls(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockarray_array("bravo")
        def test_bravo(mockarray):
            assert mockarray.storage()["name"] == "bravo"
            assert mockarray.volumes().named("backup-repo")  # its only server, 0

        @pytest.mark.mockarray_array("alpha", server="svm-files")
        def test_alpha_files(mockarray, mockarray_lab):
            assert mockarray.system()["serialNumber"]
            other = mockarray_lab.login("alpha", server="svm-db")
            assert other.volumes().named("oradb-data")
            assert [a.name for a in mockarray_lab.arrays] == ["alpha", "bravo"]

        @pytest.mark.mockarray_array("nowhere")
        def test_unknown(mockarray):
            pass

        def test_fails(mockarray, mockarray_lab):
            mockarray_lab.add_fault(path="/storage", status=503, message="busy", times=1)
            mockarray.storage()
        """
    )
    result = pytester.runpytest_inprocess("--mockarray-inprocess")
    result.assert_outcomes(passed=2, errors=1, failed=1)
    result.stdout.fnmatch_lines(["*mockarray: The lab has no array named 'nowhere'*"])
    # A failed test shows the calls it made.
    result.stdout.fnmatch_lines(
        [
            "*Unavailable: 503 Service Unavailable: busy (GET /storageplugin/api/storage)",
            "*- mockarray journal -*",
            "GET /storage -> 503 (fault rule *) ?alpha?",
        ]
    )


def test_the_ini_file_names_the_mode_and_the_lab(pytester):
    lab = {"arrays": [array_doc("gamma", 3, password="gamma-pw"), array_doc("delta", 4)]}
    pytester.mkdir("labs").joinpath("ours.yaml").write_text(yaml.safe_dump(lab))
    pytester.makeini(
        """
        [pytest]
        mockarray_mode = inprocess
        mockarray_fixture = labs/ours.yaml
        """
    )
    pytester.makepyfile(
        """
        def test_first_array(mockarray, mockarray_server):
            assert mockarray_server.mode == "inprocess" and mockarray_server.url is None
            assert mockarray.storage()["name"] == "gamma"
        """
    )
    pytester.inline_run().assertoutcome(passed=1)


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (["--mockarray-inprocess", "--mockarray-url", "http://x"], "", "not both"),
        ([], "mockarray_mode = elsewhere", "server or inprocess, not 'elsewhere'"),
    ],
)
def test_options_that_cannot_work_are_usage_errors(pytester, args, ini, message):
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile("def test_lab(mockarray_lab):\n    pass\n")
    result = pytester.runpytest_inprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_a_lab_that_cannot_be_seeded_says_why(pytester):
    broken = array_doc("gamma", servers=[{"pools": [{"name": "p", "capacity": "lots"}]}])
    pytester.path.joinpath("broken.yaml").write_text(yaml.safe_dump({"arrays": [broken]}))
    pytester.makepyfile("def test_lab(mockarray_lab):\n    pass\n")
    for mode in ([], ["--mockarray-inprocess"]):
        result = pytester.runpytest_inprocess("--mockarray-fixture", "broken.yaml", *mode)
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(["*capacity: Not understood: 'lots'*"])
    # The server the plugin started printed it, and the plugin shows its log.
    result.stdout.no_fnmatch_line("*Traceback*")


def test_a_running_server_is_used_and_left_as_it_was(pytester, mockarray_server):
    """``--mockarray-url``: the server this session's plugin started, for a suite of
    its own, which restores and then deletes its checkpoint."""
    control = mockarray_server.control()
    before = {c["name"] for c in control.checkpoints()}
    pytester.makepyfile(EXAMPLE.read_text())
    pytester.inline_run("--mockarray-url", mockarray_server.url).assertoutcome(passed=1)
    assert {c["name"] for c in control.checkpoints()} == before
    alpha = mockarray_server.login("alpha", server="svm-db")
    volume = alpha.volumes().named("oradb-data")
    assert "nightly" not in [s["name"] for s in alpha.snapshots(volume["id"])]
