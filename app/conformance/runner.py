"""Runs the selected checks against one server and collects their results."""

from __future__ import annotations

import re
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from mockarray.client import Transport
from mockarray.conformance import reads, writes  # noqa: F401 - they register the checks
from mockarray.conformance.framework import (
    FAIL,
    INFO,
    PASS,
    REGISTRY,
    SKIP,
    Check,
    Failed,
    Login,
    Probe,
    Result,
    Skipped,
)

#: The guide's sections in its order: a run and ``--list`` go through them so.
SECTIONS = (
    "info",
    "session",
    "log",
    "storage",
    "server",
    "volume",
    "snapshot",
    "lun",
    "host",
    "hostgroup",
    "network",
    "pool",
    "consistencygroup",
    "remotearray",
)


@dataclass
class Run:
    """A run's results, in the order the checks ran, and what it left on the array."""

    target: str
    results: list[Result] = field(default_factory=list)
    left_behind: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, outcome: str) -> int:
        return sum(1 for result in self.results if result.outcome == outcome)

    @property
    def passed(self) -> bool:
        return self.count(FAIL) == 0


def select(only: str | None = None, *, write: bool = False) -> list[Check]:
    """The checks a run makes: every read-only one (and with ``write`` the mutating
    ones), those whose name ``only`` (a regular expression) finds."""
    pattern = re.compile(only) if only else None
    chosen = [
        check
        for check in REGISTRY.values()
        if (write or not check.writes) and (pattern is None or pattern.search(check.name))
    ]
    return sorted(chosen, key=lambda check: SECTIONS.index(check.name.split(".")[0]))


def run(
    transport: Transport,
    login: Login,
    checks: Iterable[Check],
    *,
    target: str = "",
    timeout_s: float = 60.0,
    progress: Callable[[Result], None] | None = None,
) -> Run:
    """Open a session, then run each check; one failing never stops the others."""
    started = time.monotonic()
    outcome = Run(target)
    probe = Probe(transport, login, timeout_s=timeout_s)
    try:
        probe.open_session()
    except Failed as failure:
        result = Result("session.open", "Session", FAIL, failure.message, exchange=failure.exchange)
        outcome.results.append(result)
        if progress:
            progress(result)
        outcome.seconds = time.monotonic() - started
        return outcome
    for check in checks:
        result = run_one(probe, check)
        outcome.results.append(result)
        if progress:
            progress(result)
    outcome.left_behind = probe.left_behind
    outcome.seconds = time.monotonic() - started
    return outcome


def run_one(probe: Probe, check: Check) -> Result:
    probe.notes = []
    probe.last = None
    began = time.monotonic()
    result = Result(check.name, check.guide, PASS)
    try:
        check.function(probe)
    except Failed as failure:
        result.outcome, result.message = FAIL, failure.message
        result.exchange = failure.exchange
    except Skipped as skipped:
        result.outcome, result.message = SKIP, str(skipped)
    except Exception as error:
        # The answer was too far off for the check to go on (or the check slipped):
        # a failure, with where it stopped for a bug report.
        frame = traceback.extract_tb(error.__traceback__)[-1]
        result.outcome = FAIL
        result.message = (
            f"the check could not go on: {type(error).__name__}: {error} "
            f"(at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})"
        )
        result.exchange = probe.last
    finally:
        probe.clean_up()
    result.notes[:0] = probe.notes
    if result.outcome == PASS and probe.notes:
        result.outcome = INFO
    result.seconds = time.monotonic() - began
    return result
