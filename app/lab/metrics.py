"""Prometheus metrics: what the plugin API was asked, and the lab's state.

Two sources, so that the figures hold across every gunicorn worker and host:

- **Per call** (counters, a latency histogram): counted in the process that
  answered, in memory, with no database work. Under gunicorn, in
  ``prometheus_client``'s *multiprocess mode*: each worker writes its own
  files into ``PROMETHEUS_MULTIPROC_DIR`` (``<data dir>/metrics``, emptied
  when the server starts: ``mockarray.config.serving``), and a scrape sums the
  files of every worker of this host, those that exited included. Several
  hosts: each one reports its own workers, and Prometheus sums the hosts.
- **The lab's state** (gauges): read from the shared database at scrape time,
  in two cheap queries, so every host reports the same figures.

Without ``PROMETHEUS_MULTIPROC_DIR`` (the Flask test client, another WSGI
server) each application counts in memory for its own process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import ScalarSelect, func, or_, select
from sqlalchemy.orm import Session

from mockarray.array import clock
from mockarray.array.models import Array, LongTask, Snapshot, TaskKind, Volume
from mockarray.config.serving import MULTIPROCESS_DIR_VARIABLE
from mockarray.lab.models import FaultRule, JournalEntry

#: The media type of the text exposition format a scrape answers.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Latency buckets in seconds: most calls take milliseconds; injected delays go up to 55 s.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class CallMetrics:
    """The per-call metrics, labelled by operation (a route template such as
    ``/server/{sid}/volume/{vid}?action=clone``, never the raw path), method and
    status: bounded however many objects or odd URLs there are."""

    def __init__(self, registry: CollectorRegistry | None):
        self.calls = Counter(
            "mockarray_plugin_calls",
            "Plugin API calls answered, by operation, method and status.",
            ["operation", "method", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "mockarray_plugin_call_duration_seconds",
            "Time to answer a plugin API call (as the journal's durationMs: up to the "
            "answer, before the commit), injected delays included.",
            ["operation", "method"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.faults = Counter(
            "mockarray_plugin_faults_injected",
            "Plugin API calls a fault rule failed or delayed.",
            ["operation", "method"],
            registry=registry,
        )
        # The labelled children, looked up once per label set (labels() takes a lock).
        self._children: dict[tuple[str, str, int], tuple] = {}

    def record(
        self, operation: str, method: str, status: int, seconds: float, faulted: bool
    ) -> None:
        key = (operation, method, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.calls.labels(operation, method, str(status)),
                self.duration.labels(operation, method),
                self.faults.labels(operation, method),
            )
            self._children[key] = children
        calls, duration, faults = children
        calls.inc()
        duration.observe(seconds)
        if faulted:
            faults.inc()


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_DIR_VARIABLE) or None


_process_metrics: CallMetrics | None = None
_process_lock = threading.Lock()


def _metrics_of_this_process() -> CallMetrics:
    """In multiprocess mode every metric is the process's: two objects counting one
    series in one process would overwrite each other's file entries."""
    global _process_metrics
    with _process_lock:
        if _process_metrics is None:
            if not getattr(values.ValueClass, "_multiprocess", False):
                # prometheus_client picks in-memory or file-backed values when first
                # imported; a process that imported it before the directory was set
                # (a master that forked this worker) would count in memory only.
                values.ValueClass = values.get_value_class()
            _process_metrics = CallMetrics(registry=None)
        return _process_metrics


class Metrics:
    """One application's metrics: ``calls`` to record each plugin call, and
    ``exposition`` for a scrape."""

    def __init__(self) -> None:
        self.directory = multiprocess_dir()
        if self.directory:
            self.calls = _metrics_of_this_process()
            self._registry: CollectorRegistry | None = None
        else:
            self._registry = CollectorRegistry()
            self.calls = CallMetrics(self._registry)

    def exposition(self, lab: LabFigures | None) -> bytes:
        """The text exposition of every worker's calls (this one's alone without
        multiprocess mode) and of the lab's figures (``None``: the database could
        not be read)."""
        if self.directory:
            calls = CollectorRegistry()
            MultiProcessCollector(calls, path=self.directory)
        else:
            calls = self._registry
        figures = CollectorRegistry()
        figures.register(_LabCollector(lab))
        return generate_latest(calls) + generate_latest(figures)


# -- the lab's state, from the database --------------------------------------------------


@dataclass(frozen=True)
class LabFigures:
    arrays: int
    volumes: int
    snapshots: int
    running_tasks: dict[str, int]
    active_fault_rules: int
    fault_rule_applications: int
    journal_entries: int


def _count(model: type, *where) -> ScalarSelect:
    return select(func.count()).select_from(model).where(*where).scalar_subquery()


def lab_figures(session: Session) -> LabFigures:
    """The lab's figures in two queries: the simulated clock (for which long tasks
    still run), then every count at once."""
    now = clock.now(session)
    kinds = list(TaskKind)
    live_rule = or_(FaultRule.remaining.is_(None), FaultRule.remaining > 0)
    row = session.execute(
        select(
            _count(Array),
            _count(Volume),
            _count(Snapshot),
            *(
                _count(LongTask, LongTask.kind == kind, LongTask.completes_ms > now)
                for kind in kinds
            ),
            _count(FaultRule, live_rule),
            select(func.coalesce(func.sum(FaultRule.applied), 0)).scalar_subquery(),
            _count(JournalEntry),
        )
    ).one()
    arrays, volumes, snapshots, *tasks, active, applied, journal = row
    return LabFigures(
        arrays=arrays,
        volumes=volumes,
        snapshots=snapshots,
        running_tasks={str(kind): count for kind, count in zip(kinds, tasks, strict=True)},
        active_fault_rules=active,
        fault_rule_applications=int(applied),
        journal_entries=journal,
    )


class _LabCollector(Collector):
    """The lab's figures as gauges; without them, ``mockarray_database_up 0``."""

    def __init__(self, lab: LabFigures | None):
        self.lab = lab

    def collect(self) -> Iterator[GaugeMetricFamily]:
        lab = self.lab
        yield GaugeMetricFamily(
            "mockarray_database_up",
            "1 when the scrape could read the lab's figures from the database, else 0.",
            value=0 if lab is None else 1,
        )
        if lab is None:
            return
        for name, value, help_text in (
            ("mockarray_arrays", lab.arrays, "Arrays in the lab."),
            ("mockarray_volumes", lab.volumes, "Volumes on every array."),
            ("mockarray_snapshots", lab.snapshots, "Snapshots on every array."),
            (
                "mockarray_fault_rules_active",
                lab.active_fault_rules,
                "Fault rules that still apply to calls.",
            ),
            (
                "mockarray_fault_rule_applications",
                lab.fault_rule_applications,
                "Times the fault rules now in the lab were applied (falls when rules are "
                "removed; mockarray_plugin_faults_injected_total counts every one).",
            ),
            ("mockarray_journal_entries", lab.journal_entries, "Calls the journal keeps."),
        ):
            yield GaugeMetricFamily(name, help_text, value=value)
        running = GaugeMetricFamily(
            "mockarray_long_tasks_running",
            "Splits and replications in progress (on the simulated clock).",
            labels=["kind"],
        )
        for kind, count in lab.running_tasks.items():
            running.add_metric([kind], count)
        yield running
