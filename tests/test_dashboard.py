"""The dashboard at ``/mockarray/`` and the docs pages, in-process: what the pages
show, who may see them, what bad input gets, and what a page costs. The browser
tests (test_browser.py) drive the same pages in Chromium."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest
import yaml

from tests.support.api import Api, control
from tests.support.checks import assert_error, ok
from tests.support.db import recorded_statements
from tests.support.lab import array_doc

GiB = 2**30
TOKEN = "lab-token-4d1f"
#: What a page may cost in statements, whatever the lab's size.
STATEMENTS_PER_PAGE = 40


def page(client, query: str = "", **kwargs) -> str:
    answer = client.get(f"/mockarray/{query}", **kwargs)
    assert answer.status_code == 200, answer.get_data(True)[:500]
    assert answer.mimetype == "text/html"
    return answer.get_data(True)


def bars(html: str) -> list[dict[str, int]]:
    """The byte figures of every space bar, in page order."""
    return [
        {k: int(v) for k, v in re.findall(r'data-(\w+)="(\d+)"', attributes)}
        for attributes in re.findall(r'<div class="spacebar"([^>]*)>', html)
    ]


def test_the_page_shows_every_array_its_servers_and_pools(client, api):
    html = page(client)
    assert 'id="array-alpha"' in html and 'id="array-beta"' in html
    assert re.findall(r'data-pool="(\w+)"', html) == ["pool1", "pool2", "pool1"]
    # alpha's server, its two pools, beta's server, its pool.
    server, pool1, pool2, *_ = bars(html[html.index('id="array-alpha"') :])
    system = ok(api.get("/server/0/system"))
    assert server == {
        "capacity": system["capacityInBytes"],
        "system": system["systemSizeInBytes"],
        "volumes": system["volumesSizeInBytes"],
        "snapshots": system["snapshotsSizeInBytes"],
        "free": system["capacityInBytes"] - system["totalSizeInBytes"],
    }
    for pool in (pool1, pool2):
        assert pool["free"] == pool["capacity"] - pool["volumes"] - pool["snapshots"]
    assert pool1["capacity"] + pool2["capacity"] + server["system"] == server["capacity"]
    assert pool1["volumes"] + pool2["volumes"] == server["volumes"]
    assert pool1["snapshots"] + pool2["snapshots"] == server["snapshots"]


def test_a_clone_hangs_under_its_snapshot_under_its_source(client, api, ref):
    html = page(client)
    vol1 = html[html.index(f'data-volume-id="{ref["vol1"]}"') :]
    vol1 = vol1[: vol1.index('<li class="volume"')] if '<li class="volume"' in vol1 else vol1
    snap2 = vol1[vol1.index("vol1.snap2") :]
    assert re.search(r'<li class="clone">.*?vol1-clone.*?unsplit', snap2, re.S)
    assert "clone of vol1.snap2 ← vol1" in html


def test_a_split_shows_as_a_running_task_until_finished(client, api, ref, app):
    app.config["SPLIT_RATE"] = GiB  # the clone's 10 GiB take 10 s
    ok(api.post(f"/server/0/volume/{ref['clone']}?action=split"))
    (task,) = ok(control(client, "GET", "/tasks"))["tasks"]
    assert task["kind"] == "split" and task["array"] == "alpha" and task["volume"] == "vol1-clone"
    assert 0 <= task["percentComplete"] < 100
    assert f'data-task-id="{task["id"]}"' in page(client)
    assert "splitting" in page(client)
    assert ok(control(client, "POST", "/clock/finish")) == {"finished": 1}
    assert ok(control(client, "GET", "/tasks"))["tasks"] == []
    html = page(client)
    assert "data-task-id" not in html
    assert re.search(r"vol1-clone\s*<span class=\"pill ok\">split</span>", html)


def test_the_journal_s_filters_and_fault_rules_show(client, api):
    ok(api.get("/server/0/pool"))
    ok(control(client, "POST", "/faults", {"path": "/server/*/volume", "status": 503}), 201)
    html = page(client, "?method=GET&path=*/pool")
    journal = html[html.index('id="journal"') :]
    assert "/server/0/pool" in journal and "/storage" not in journal.split("</table>")[0]
    assert "/server/*/volume" in html[html.index('id="faults"') :]


def test_volumes_come_a_page_at_a_time_at_a_constant_cost(client, lab, database):
    volumes = [
        {"name": f"v{n:03d}", "size": "1GiB", "snapshots": [{"name": f"v{n:03d}.s"}]}
        for n in range(120)
    ]
    lab.seed(
        array_doc(
            "big", 3, servers=[{"pools": [{"name": "p", "capacity": "1TiB"}], "volumes": volumes}]
        )
    )
    costs = {}
    for number in (1, 2, 3):
        with recorded_statements(database) as statements:
            html = page(client, f"?array=big&server=0&page={number}")
        costs[number] = len(statements)
        shown = re.findall(r"<strong>(v\d+)</strong>", html)
        assert shown == [f"v{n:03d}" for n in range((number - 1) * 50, min(number * 50, 120))]
        assert f"page {number} of 3" in html
    assert max(costs.values()) <= STATEMENTS_PER_PAGE, costs
    assert costs[1] == costs[2], costs


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?page=abc", "page"),
        ("?page=0", "page"),
        ("?page=99999999999999999999", "page"),
        ("?status=99", "status"),
        ("?status=x", "status"),
        ("?method=HACK", "method"),
        ("?path=" + "a" * 2000, "path"),
    ],
)
def test_bad_input_is_a_json_400_naming_the_field(client, api, query, field):
    assert_error(client.get(f"/mockarray/{query}"), 400, field=field, sentence=False)


def test_an_unknown_array_or_server_shows_the_first(client, api):
    first = 'aria-current="page">alpha / 0</a>'
    assert first in page(client, "?array=nobody&server=x")
    assert first in page(client, "?array=beta")
    assert "page 1 of 1" in page(client, "?page=1000")


def test_an_empty_lab_says_how_to_seed_one(client):
    assert "mockarray seed --demo" in page(client)


# -- who may see it -------------------------------------------------------------------


def test_with_a_token_set_the_page_asks_for_it(app, client, api):
    app.config["ADMIN_TOKEN"] = TOKEN
    refused = client.get("/mockarray/")
    assert refused.status_code == 401 and 'name="token"' in refused.get_data(True)
    wrong = client.post("/mockarray/login", data={"token": "guess"})
    assert wrong.status_code == 401 and "not the lab's token" in wrong.get_data(True)
    assert client.post("/mockarray/login", data={}).status_code == 401

    logged_in = client.post("/mockarray/login", data={"token": TOKEN})
    assert logged_in.status_code == 303 and logged_in.headers["Location"].endswith("/mockarray/")
    cookie = logged_in.headers["Set-Cookie"]
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/mockarray"):
        assert attribute in cookie, cookie
    assert 'id="array-alpha"' in page(client)


def test_the_login_cookie_opens_the_control_plane_to_the_page_only(app, client, api):
    app.config["ADMIN_TOKEN"] = TOKEN
    assert control(client, "GET", "/tasks").status_code == 401
    client.post("/mockarray/login", data={"token": TOKEN})
    ok(control(client, "GET", "/tasks"))
    ok(control(client, "POST", "/clock/finish"))
    # What a form of another site could send: no JSON, or a foreign Origin.
    assert client.post("/mockarray/api/clock/finish").status_code == 415
    foreign = control(client, "POST", "/clock/finish", headers={"Origin": "http://evil.example"})
    assert_error(foreign, 403, "another site")
    client.post("/mockarray/logout")
    assert control(client, "GET", "/tasks").status_code == 401
    assert client.get("/mockarray/").status_code == 401


def test_without_a_token_there_is_nothing_to_log_in_with(client, api):
    answer = client.post("/mockarray/login", data={"token": "anything"})
    assert answer.status_code == 303 and "Set-Cookie" not in answer.headers


def test_without_a_token_only_loopback_clients_see_it(client, api):
    remote = client.get("/mockarray/", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert remote.status_code == 403
    assert "loopback" in remote.get_data(True)
    rebound = client.get("/mockarray/", headers={"Host": "lab.evil.example"})
    assert rebound.status_code == 403


# -- offline: every asset from this server ----------------------------------------------


@pytest.mark.parametrize("path", ["/mockarray/", "/storageplugin/api/docs", "/mockarray/api/docs"])
def test_pages_load_nothing_from_elsewhere(client, api, path):
    html = client.get(path).get_data(True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert not [s for s in sources if "//" in s], sources
    for source in sources:
        if source.startswith("/") and not source.startswith("/mockarray/?"):
            assert client.get(source).status_code == 200, source


def test_the_docs_pages_read_the_documents_served_today(client):
    assert '"/storageplugin/api/openapi.json"' in client.get("/storageplugin/api/docs").get_data(
        True
    )
    assert '"/mockarray/api/openapi.json"' in client.get("/mockarray/api/docs").get_data(True)
    assert client.get("/favicon.ico").mimetype == "image/png"


def test_what_clients_sent_is_shown_as_text(client, api):
    """A journaled path or a fault rule's message is the client's text: escaped."""
    api.get("/server/0/volume/<img src=x onerror=alert(1)>")
    ok(control(client, "POST", "/faults", {"path": "/x/<b>bold</b>", "status": 500}), 201)
    html = page(client)
    assert "<img src=x" not in html and "<b>bold</b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_a_replication_runs_then_its_replica_shows_on_the_partner(app, client, lab):
    demo = yaml.safe_load((files("mockarray.lab.seeding") / "demo.yaml").read_text())
    lab.seed(*demo["arrays"])
    app.config["REPLICATION_RATE"] = GiB
    api = Api.login(client, "alpha.lab.example", password="passw0rd")
    volume = api.ids("/server/svm-db/volume", "volumes")["oradb-data"]
    ok(
        api.post(
            f"/server/svm-db/volume/{volume}/snapshot", json={"name": "dr.1", "replicate": True}
        ),
        201,
    )
    (task,) = ok(control(client, "GET", "/tasks"))["tasks"]
    assert (task["kind"], task["volume"], task["snapshot"], task["partner"]) == (
        "replication",
        "oradb-data",
        "dr.1",
        "bravo",
    )
    row = r'<td>bravo / 0 / [^<]+</td>\s*<td class="num">{}</td>\s*<td>alpha / oradb-data</td>'
    # The replica volume is there from the start; its snapshot once it has arrived.
    assert re.search(row.format(0), replicas_of(page(client)))
    ok(control(client, "POST", "/clock/finish"))
    assert re.search(row.format(1), replicas_of(page(client)))


def replicas_of(html: str) -> str:
    return html[html.index('id="replicas"') :].split("</table>")[0]
