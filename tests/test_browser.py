"""The dashboard and the docs pages in a real browser: Debian's headless Chromium,
driven by Selenium through Debian's chromedriver (nothing is downloaded: the
browser and the driver are named by path, Selenium Manager stays offline).

One ``mockarray serve --demo`` and one browser for the module. Skipped where
Chromium is not installed, but not in CI (``CI`` set): there it fails, so a
missing browser cannot pass for a green run (``.ci/run`` installs it). The
PostgreSQL run skips them: the server they start has its own SQLite database.
Screenshots are kept in ``var/artifacts/``: ``dashboard.png`` (a split running)
and ``dashboard-full.png`` (the whole page).
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pytest

from mockarray.pytest_plugin.servers import StartedServer
from tests.support.db import TEST_DATABASE_URL

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[1] / "var" / "artifacts"
#: The demo clone's split takes about 6 s: long enough to watch it move.
SPLIT_RATE = str(200 * 2**30)
WAIT_S = 15

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import (  # noqa: E402
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

if os.environ.get(TEST_DATABASE_URL):
    # The server these tests start keeps its own SQLite database whatever the run's
    # database is: the SQLite run has covered them already.
    pytest.skip("the browser tests run in the SQLite run only", allow_module_level=True)
if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    message = f"{CHROMIUM} and {CHROMEDRIVER} are needed (apt-get install chromium chromium-driver)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests: {message}", pytrace=False)
    pytest.skip(message, allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOCKARRAY_SPLIT_RATE", SPLIT_RATE)
        started = StartedServer(tmp_path_factory.mktemp("browser"), None)
    yield started
    started.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    with pytest.MonkeyPatch.context() as patch:
        # Selenium Manager must not look for a browser or driver online.
        patch.setenv("SE_OFFLINE", "1")
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def wait(browser, condition, message: str):
    # A page the test's own click reloads goes stale under it: look again.
    ignored = (StaleElementReferenceException, NoSuchElementException)
    return WebDriverWait(browser, WAIT_S, poll_frequency=0.1, ignored_exceptions=ignored).until(
        lambda _driver: condition(), message
    )


def status_text(browser) -> str:
    return browser.find_element(By.ID, "action-status").text


def keep_screenshot(browser, name: str) -> None:
    """Save what the browser shows as ``var/artifacts/<name>`` (CI keeps it)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / name
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000  # a blank page is a few hundred bytes
    print(f"screenshot: {shot}")


def open_dashboard(browser, server, query: str = "") -> None:
    browser.get(f"{server.url}/mockarray/{query}")
    wait(browser, lambda: browser.find_elements(By.ID, "dashboard"), "the dashboard did not load")


def bar_bytes(element) -> dict[str, int]:
    return {
        part: int(element.get_attribute(f"data-{part}"))
        for part in ("capacity", "system", "volumes", "snapshots", "free")
    }


def test_the_dashboard_shows_the_arrays_their_servers_and_pools(browser, server):
    open_dashboard(browser, server)
    alpha = browser.find_element(By.ID, "array-alpha")
    bravo = browser.find_element(By.ID, "array-bravo")
    pools = {
        array: [
            p.get_attribute("data-pool") for p in card.find_elements(By.CSS_SELECTOR, "tr.pool")
        ]
        for array, card in (("alpha", alpha), ("bravo", bravo))
    }
    assert pools == {"alpha": ["gold", "silver", "nas"], "bravo": ["dr"]}
    # Each server's bar adds up to what GET /system answers for it.
    client = server.login("alpha")
    for key in ("svm-db", "svm-files"):
        shown = bar_bytes(alpha.find_element(By.CSS_SELECTOR, f'[data-server="{key}"] .spacebar'))
        system = client.system(server=key)
        assert shown["capacity"] == system["capacityInBytes"]
        assert shown["system"] == system["systemSizeInBytes"]
        assert shown["volumes"] == system["volumesSizeInBytes"]
        assert shown["snapshots"] == system["snapshotsSizeInBytes"]
        assert shown["free"] == system["capacityInBytes"] - system["totalSizeInBytes"]
    assert "oradb-data-testclone" in browser.find_element(By.ID, "volumes").text


def test_a_split_started_through_the_plugin_api_moves_on_the_page(browser, server):
    open_dashboard(browser, server)
    client = server.login("alpha", server="svm-db")
    clone = client.volumes().named("oradb-data-testclone")
    client.split(clone["id"])

    def percent() -> int | None:
        rows = browser.find_elements(By.CSS_SELECTOR, "#tasks tr[data-task-id] .pct")
        text = rows[0].text.rstrip("%") if rows else ""
        return int(text) if text.isdigit() else None

    wait(browser, lambda: percent() is not None and percent() < 100, "no running split shown")
    seen = percent()
    wait(browser, lambda: (percent() or 0) > seen, f"the split stayed at {seen}%")
    keep_screenshot(browser, "dashboard.png")
    browser.find_element(By.ID, "finish-tasks").click()
    wait(browser, lambda: "Finished 1 running task" in status_text(browser), "tasks not finished")
    assert client.split_status(clone["id"]) == {"percentageComplete": 100, "complete": True}
    wait(browser, lambda: browser.find_element(By.ID, "no-tasks").is_displayed(), "task shown")


def test_a_checkpoint_is_saved_and_restored_from_the_page(browser, server):
    open_dashboard(browser, server)
    browser.find_element(By.ID, "checkpoint-name").send_keys("before-delete")
    browser.find_element(By.CSS_SELECTOR, "#save-checkpoint button").click()
    wait(browser, lambda: "Saved checkpoint 'before-delete'" in status_text(browser), "not saved")
    assert [c["name"] for c in server.control().checkpoints()] == ["before-delete"]

    client = server.login("alpha", server="svm-db")
    volume = client.volumes().named("sqlprod-logs")
    client.create_snapshot(volume["id"], name="after-checkpoint")
    open_dashboard(browser, server)
    assert "after-checkpoint" in browser.find_element(By.ID, "volumes").text

    Select(browser.find_element(By.ID, "checkpoint-select")).select_by_value("before-delete")
    browser.find_element(By.CSS_SELECTOR, "#restore-checkpoint button").click()
    wait(
        browser, lambda: "Restored checkpoint 'before-delete'" in status_text(browser), "no restore"
    )
    wait(browser, lambda: "after-checkpoint" not in browser.find_element(By.ID, "volumes").text, "")
    assert not [s for s in client.snapshots(volume["id"]) if s["name"] == "after-checkpoint"]

    width, height = browser.get_window_size().values()
    browser.set_window_size(width, browser.execute_script("return document.body.scrollHeight"))
    try:
        keep_screenshot(browser, "dashboard-full.png")
    finally:
        browser.set_window_size(width, height)


def operations(server, document: str) -> int:
    """How many operations the OpenAPI document at ``document`` describes."""
    with urllib.request.urlopen(f"{server.url}{document}", timeout=30) as answer:
        paths = json.load(answer)["paths"]
    return sum(
        1 for item in paths.values() for key in item if key in ("get", "put", "post", "delete")
    )


def load_docs_page(browser, server, api: str) -> None:
    """The API's docs page, every operation of its document rendered, every file
    loaded from this server."""
    expected = operations(server, f"{api}/openapi.json")
    assert expected > 10
    browser.get(f"{server.url}{api}/docs")
    wait(
        browser,
        lambda: len(browser.find_elements(By.CSS_SELECTOR, ".opblock")) == expected,
        f"{api}/docs did not render the {expected} operations",
    )
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    # Swagger UI's files and the document itself, all from this server: no CDN.
    assert any(url.endswith("/swagger-ui-bundle.js") for url in loaded), loaded
    assert all(url.startswith(server.url) for url in loaded), loaded


def test_the_docs_pages_render_every_operation_and_try_it_out_changes_the_lab(browser, server):
    load_docs_page(browser, server, "/storageplugin/api")
    load_docs_page(browser, server, "/mockarray/api")

    # On the control plane's page, still open: a body-less POST. Swagger UI sends no
    # Content-Type; the page adds the one the control plane wants.
    finish = wait(
        browser,
        lambda: [
            block
            for block in browser.find_elements(By.CSS_SELECTOR, ".opblock-post")
            if block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").text
            == "/mockarray/api/clock/finish"
        ],
        "no POST /mockarray/api/clock/finish on the page",
    )[0]
    finish.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    wait(browser, lambda: finish.find_element(By.CSS_SELECTOR, ".try-out__btn"), "no Try it out")
    finish.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
    wait(browser, lambda: finish.find_element(By.CSS_SELECTOR, ".execute"), "no Execute")
    finish.find_element(By.CSS_SELECTOR, ".execute").click()
    status = wait(
        browser,
        lambda: (
            finish.find_element(
                By.CSS_SELECTOR, ".live-responses-table .response .response-col_status"
            ).text
        ),
        "no answer shown",
    )
    assert status.split()[0] == "200", finish.text
