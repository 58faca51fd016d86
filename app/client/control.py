"""``ControlClient``: the control plane (``/mockarray/api``), which drives the lab.

Reset, checkpoints, faults, the simulated clock, the request journal, host
writes and seeding (docs/ci.md). With ``MOCKARRAY_ADMIN_TOKEN`` set on the
server, pass ``token``; without, the server answers loopback clients only.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

from mockarray.client.base import (
    JSON,
    BaseClient,
    Page,
    epoch_ms,
    fields,
    milliseconds,
    refusal,
    segment,
)
from mockarray.client.transport import DEFAULT_TIMEOUT_S, Transport

YAML = "application/yaml"


class ControlClient(BaseClient):
    """A client of the control plane.

    >>> lab = ControlClient("http://127.0.0.1:8080")
    >>> lab.save_checkpoint("clean", replace=True)
    >>> lab.add_fault(path="/server/*/volume/*", action="clone", status=503, times=1)
    >>> lab.advance_clock("1h")
    >>> lab.restore_checkpoint("clean")
    """

    PREFIX = "/mockarray/api"

    def __init__(
        self,
        target: str | Transport,
        *,
        token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        verify: bool = True,
    ):
        super().__init__(target, timeout=timeout, verify=verify)
        #: ``MOCKARRAY_ADMIN_TOKEN`` of the server, sent as a bearer token.
        self.token = token or None

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    # -- the lab as a whole -------------------------------------------------------------------

    def reset(self, *, empty: bool = False) -> list[str]:
        """``POST /reset``: back to the fixtures that were seeded (or an empty lab);
        the names of the arrays. Every plugin session ends."""
        return self.call("POST", "/reset", body={"empty": empty})["arrays"]

    def seed(
        self,
        fixture: str | Path | Mapping,
        *,
        replace: bool = False,
        check: bool = False,
        if_empty: bool = False,
        source: str | None = None,
    ) -> dict:
        """``POST /seed``: load a fixture document (docs/fixtures.md) all or nothing,
        as ``mockarray seed`` does: a dict (sent as JSON), YAML text, or a ``Path`` to
        a YAML file. ``replace`` empties the lab first, ``check`` only validates,
        ``if_empty`` seeds only an empty lab; ``source`` names the document in
        messages. Answers what was seeded (``arrays``, ``volumes``, ``message``).
        Needs a server that has ``/seed``."""
        query = {"replace": replace, "check": check, "ifEmpty": if_empty, "source": source}
        if isinstance(fixture, Mapping):
            return self.call("POST", "/seed", body=dict(fixture), query=query)
        text = fixture.read_text(encoding="utf-8") if isinstance(fixture, Path) else fixture
        headers = {"Content-Type": YAML}
        return self.call("POST", "/seed", body=text.encode("utf-8"), query=query, headers=headers)

    def fixture(self, *, as_yaml: bool = False) -> dict | str:
        """``GET /fixture``: the fixture documents seeded so far, as one, without
        passwords: a dict, or YAML text with ``as_yaml``. ``NotFound`` when nothing
        was seeded (or on a server without ``/fixture``)."""
        if as_yaml:
            return self.request("GET", "/fixture", accept=YAML).body.decode("utf-8")
        return self.call("GET", "/fixture")

    def health(self) -> dict:
        """``GET /health``: whether the server can serve (``status``: ``ok``, or
        ``unavailable`` with the ``reason``), answered by a server that cannot as well.
        ``NotFound`` on a server without ``/health``."""
        response = self.request("GET", "/health", check=False)
        if response.status not in (200, 503):
            raise refusal("GET", self.PREFIX + "/health", response)
        return response.json()

    def metrics(self) -> str:
        """``GET /metrics``: the Prometheus text of the server's plugin calls, long
        tasks and faults (docs/monitoring.md)."""
        accept = "text/plain; version=0.0.4"
        return self.request("GET", "/metrics", accept=accept).body.decode("utf-8")

    def ready(self) -> bool:
        """Whether the server answers and is ready: the plugin API's ``/info`` answers,
        and ``/health`` too when the server has it. ``False`` while it cannot be
        reached, starts or is unavailable; a refusal (a wrong token: ``Unauthorized``,
        ``Forbidden``) is raised."""
        try:
            info = self.transport.request(
                "GET", "/storageplugin/api/info", body=None, headers={"Accept": JSON}
            )
            if info.status != 200:
                return False
            health = self.request("GET", "/health", check=False)
        except OSError:
            return False
        if health.status in (401, 403):
            raise refusal("GET", self.PREFIX + "/health", health)
        # 404: a server without /health; /info answering is ready enough.
        return health.status in (200, 404)

    def wait_until_ready(self, timeout_s: float = 60, interval_s: float = 0.1) -> None:
        """Wait until ``ready``: for a server started a moment ago (a CI job's
        ``mockarray serve &``). ``TimeoutError`` after ``timeout_s`` seconds."""
        deadline = time.monotonic() + timeout_s
        while not self.ready():
            if time.monotonic() >= deadline:
                raise TimeoutError(f"mockarray at {self.url} was not ready within {timeout_s:g} s")
            time.sleep(interval_s)

    # -- checkpoints --------------------------------------------------------------------------

    def save_checkpoint(self, name: str, *, replace: bool = False) -> dict:
        """``POST /checkpoints``: save the whole state of the arrays under ``name``
        (``Conflict`` if taken, unless ``replace``)."""
        return self.call("POST", "/checkpoints", body={"name": name, "replace": replace})

    def restore_checkpoint(self, name: str) -> dict:
        """``POST /checkpoints/{name}/restore``: the arrays as they were, atomically."""
        return self.call("POST", f"/checkpoints/{segment(name)}/restore")

    def checkpoints(self) -> Page:
        """``GET /checkpoints``, oldest first."""
        return Page(self.call("GET", "/checkpoints")["checkpoints"])

    def delete_checkpoint(self, name: str) -> None:
        """``DELETE /checkpoints/{name}``."""
        self.request("DELETE", f"/checkpoints/{segment(name)}")

    # -- faults -------------------------------------------------------------------------------

    def add_fault(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        action: str | None = None,
        array: str | None = None,
        status: int | None = None,
        message: str | None = None,
        delay_ms: int | None = None,
        delay_max_ms: int | None = None,
        times: int | None = None,
        probability: float | None = None,
    ) -> dict:
        """``POST /faults``: make plugin API calls fail (``status``, ``message``) and/or
        slow down (``delay_ms``, or a random delay up to ``delay_max_ms``). Which calls:
        ``method``, ``path`` (a glob below ``/storageplugin/api``: ``/server/*/volume/*``),
        ``action``, ``array``; for how long: the next ``times`` calls, each call with
        ``probability``, or until removed. The rule, with its ``id``."""
        body = fields(
            method=method,
            path=path,
            action=action,
            array=array,
            status=status,
            message=message,
            delayMs=delay_ms,
            delayMaxMs=delay_max_ms,
            times=times,
            probability=probability,
        )
        return self.call("POST", "/faults", body=body)

    def faults(self) -> list[dict]:
        """``GET /faults``: the rules, first added first (``applied`` counts their hits)."""
        return self.call("GET", "/faults")["faults"]

    def remove_fault(self, fault_id: str | int) -> None:
        """``DELETE /faults/{id}``."""
        self.request("DELETE", f"/faults/{segment(fault_id)}")

    def clear_faults(self) -> int:
        """``DELETE /faults``: remove every rule; how many there were."""
        return self.call("DELETE", "/faults")["removed"]

    # -- the simulated clock ----------------------------------------------------------------------

    def clock(self) -> dict:
        """``GET /clock``: ``{"now", "offsetMs", "speed", "instant"}``."""
        return self.call("GET", "/clock")

    def set_clock(self, *, speed: float | None = None, instant: bool | None = None) -> dict:
        """``PUT /clock``: long tasks started from now on run ``speed`` times faster,
        or complete at once (``instant``)."""
        return self.call("PUT", "/clock", body=fields(speed=speed, instant=instant))

    def advance_clock(self, by: str | int | timedelta) -> dict:
        """``POST /clock/advance``: move simulated time forward by ``"90s"``, ``"1h"``,
        a ``timedelta`` or a number of milliseconds; the clock."""
        return self.call("POST", "/clock/advance", body={"by": milliseconds(by)})

    def tasks(self) -> list[dict]:
        """``GET /tasks``: the splits and replications running now, oldest first,
        each with its progress."""
        return self.call("GET", "/tasks")["tasks"]

    def finish_tasks(self) -> int:
        """``POST /clock/finish``: complete every running split and replication now;
        how many."""
        return self.call("POST", "/clock/finish")["finished"]

    def reset_clock(self) -> dict:
        """``POST /clock/reset``: long tasks at real-time speed again, not instant
        (time goes on from where it is: the clock never runs backwards)."""
        return self.call("POST", "/clock/reset")

    def real_time(self) -> dict:
        """``POST /clock/real-time``: ``Conflict`` unless simulated time is real time."""
        return self.call("POST", "/clock/real-time")

    # -- the request journal --------------------------------------------------------------

    def journal(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        action: str | None = None,
        status: int | None = None,
        array: str | None = None,
        since: int | datetime | None = None,
        until: int | datetime | None = None,
        after: int | str | None = None,
        limit: int | None = None,
        start: int | None = None,
    ) -> Page:
        """``GET /journal``: the plugin API calls that match, oldest first. ``path`` is
        a glob (``/server/*/volume*``), ``since``/``until`` epoch milliseconds (or
        ``datetime``s), ``after`` an entry's id."""
        query = _journal_filters(method, path, action, status, array, since, until, after)
        return self._list("/journal", "entries", {**query, "limit": limit, "start": start})

    def journal_count(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        action: str | None = None,
        status: int | None = None,
        array: str | None = None,
        since: int | datetime | None = None,
        until: int | datetime | None = None,
        after: int | str | None = None,
    ) -> int:
        """``GET /journal/count``: how many calls match (the filters of ``journal``)."""
        query = _journal_filters(method, path, action, status, array, since, until, after)
        return self.call("GET", "/journal/count", query=query)["count"]

    def clear_journal(self) -> int:
        """``DELETE /journal``: empty the journal; how many entries there were."""
        return self.call("DELETE", "/journal")["removed"]

    # -- host writes ------------------------------------------------------------------------

    def write(
        self,
        array: str,
        volume: str,
        size: int | str,
        *,
        server: str,
        append: bool = False,
    ) -> dict:
        """``POST /arrays/{array}/servers/{sid}/volumes/{volume}/writes``: a host writes
        ``size`` (bytes, or ``"2GiB"``) to the volume (named by name or id), over its
        data or, with ``append``, as new data. Answers the volume's new sizes and the
        snapshots deleted to make room (``autoDeleted``)."""
        path = f"/arrays/{segment(array)}/servers/{segment(server)}/volumes/{segment(volume)}"
        return self.call("POST", f"{path}/writes", body={"bytes": size, "append": append})


def _journal_filters(method, path, action, status, array, since, until, after) -> dict:
    return {
        "method": method,
        "path": path,
        "action": action,
        "status": status,
        "array": array,
        "since": epoch_ms(since),
        "until": epoch_ms(until),
        "after": after,
    }
