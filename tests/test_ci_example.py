"""Using mockarray in CI: the example of docs/ci.md, run as part of the suite.

A test of a backup job (here, the calls CDM would make) against a running
mockarray: it resets the lab to its seeded state (every id as seeded) before
the test, makes the array fail once the way real arrays do, moves the simulated clock instead
of waiting for a split, and asserts on what was called through the journal.

Point it at your own server with ``MOCKARRAY_URL`` (and ``MOCKARRAY_ADMIN_TOKEN``
if it has one); in this repository it starts gunicorn on the test database.
Only the standard library is used, so the file can be copied as it is.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.live


class MockArray:
    """A small client for the plugin API and the control plane of one mockarray."""

    def __init__(self, url: str, admin_token: str | None = None):
        self.url = url.rstrip("/")
        self.admin_token = admin_token
        self.session_id: str | None = None

    def _call(self, method: str, path: str, body=None, headers=None):
        # Content-Type on every call, with a body or not: the control plane wants it
        # on each POST, PUT and DELETE (a web page cannot send it to another site).
        request = urllib.request.Request(
            self.url + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={
                "Accept": "application/json",
                "Content-Type": "application/json",
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    # The plugin API, as CDM calls it.
    def login(self, hostname: str, username: str, password: str) -> None:
        basic = base64.b64encode(f"{username}:{password}".encode()).decode()
        status, body = self._call(
            "POST",
            "/storageplugin/api/session",
            {"hostname": hostname},
            {"Authorization": f"Basic {basic}"},
        )
        assert status == 201, body
        self.session_id = body["sessionId"]

    def plugin(self, method: str, path: str, body=None):
        headers = {"x-storageplugin-sessionid": self.session_id or ""}
        return self._call(method, "/storageplugin/api" + path, body, headers)

    # The control plane.
    def control(self, method: str, path: str, body=None):
        headers = {"Authorization": f"Bearer {self.admin_token}"} if self.admin_token else {}
        status, answer = self._call(method, "/mockarray/api" + path, body, headers)
        assert status < 300, (method, path, answer)
        return answer


@pytest.fixture(scope="module")
def mockarray_url(request):
    """``MOCKARRAY_URL``, or a gunicorn of this repository seeded with the demo lab."""
    if os.environ.get("MOCKARRAY_URL"):
        yield os.environ["MOCKARRAY_URL"]
        return
    # This repository's own helper; a copy of this file pointed at a server needs none.
    from tests.support.live import Gunicorn

    database_url = request.getfixturevalue("migrated")
    data_dir = request.getfixturevalue("tmp_path_factory").mktemp("ci-example")
    server = Gunicorn(database_url, data_dir).start()
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


@pytest.fixture
def lab(mockarray_url):
    """The demo lab as seeded, every id as it was, for every test."""
    lab = MockArray(mockarray_url, os.environ.get("MOCKARRAY_ADMIN_TOKEN"))
    if not lab.control("POST", "/reset", {})["arrays"]:
        pytest.skip("the server has no seeded lab (run `mockarray seed --demo`)")
    lab.control("DELETE", "/journal")
    yield lab
    lab.control("DELETE", "/faults")
    lab.control("POST", "/clock/reset")


@pytest.fixture
def seeded_demo(request, mockarray_url):
    """In this repository: seed the demo lab into the test database first."""
    if os.environ.get("MOCKARRAY_URL"):
        return
    from mockarray.lab.seeding.loader import demo_fixture_text, seed

    database = request.getfixturevalue("database")
    with database.transaction() as session:
        seed(session, demo_fixture_text(), "demo.yaml")


def test_a_clone_job_survives_a_busy_array(seeded_demo, lab):
    lab.login("alpha.lab.example", "admin", "passw0rd")
    volumes = {v["name"]: v["id"] for v in lab.plugin("GET", "/server/svm-db/volume")[1]["volumes"]}
    source = volumes["oradb-data"]
    status, snapshot = lab.plugin(
        "POST", f"/server/svm-db/volume/{source}/snapshot", {"name": "ci-backup"}
    )
    assert status == 201

    # The array is busy for the next clone call: the job must retry.
    lab.control(
        "POST",
        "/faults",
        {
            "path": "/server/*/volume/*",
            "action": "clone",
            "status": 503,
            "message": "array busy",
            "times": 1,
        },
    )
    clone_body = {"snapshot": {"id": snapshot["id"]}, "name": "ci-clone"}
    status, _ = lab.plugin("POST", f"/server/svm-db/volume/{source}?action=clone", clone_body)
    assert status == 503
    status, clone = lab.plugin("POST", f"/server/svm-db/volume/{source}?action=clone", clone_body)
    assert status == 200

    # Split the clone; an hour of simulated time later it is complete.
    lab.plugin("POST", f"/server/svm-db/volume/{clone['id']}?action=split")
    lab.control("POST", "/clock/advance", {"by": "1h"})
    status, split = lab.plugin("GET", f"/server/svm-db/volume/{clone['id']}/splitstatus")
    assert split == {"percentageComplete": 100, "complete": True}

    # What did the job call? One refused clone, then one that worked.
    clones = lab.control("GET", "/journal?action=clone")["entries"]
    assert [entry["status"] for entry in clones] == [503, 200]
    assert lab.control("GET", "/journal/count?status=503") == {"count": 1}


def test_the_next_test_starts_from_the_checkpoint(seeded_demo, lab):
    lab.login("alpha.lab.example", "admin", "passw0rd")
    names = [v["name"] for v in lab.plugin("GET", "/server/svm-db/volume")[1]["volumes"]]
    assert "ci-clone" not in names
    assert lab.control("GET", "/faults") == {"faults": []}
