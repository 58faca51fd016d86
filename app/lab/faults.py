"""Fault injection: rules that make matching plugin API calls fail or slow down.

A rule matches a method, a path (a glob below ``/storageplugin/api``, such as
``/server/*/volume/*``), an action and an array, each optional. Its effect is
an HTTP status with a message, a delay (fixed or a range), or both. It applies
to the next N matching calls, or with a probability, or until removed. The
rules live in the database, so a rule added through one worker or host is
applied by all. A faulted call is answered before the array acts: it changes
nothing.

A rule that could never match or never be served is refused: a path glob that
does not start with ``/`` (or ``*``), or one that repeats the API prefix; a
delay longer than ``MAX_FAULT_DELAY_MS`` (the worker timeout less 5 s: a
longer one would be cut off by a worker restart, not answered).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fnmatch import fnmatchcase

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from mockarray.config.serving import MAX_FAULT_DELAY_MS, WORKER_TIMEOUT_S
from mockarray.errors import ArrayError, Invalid, NotFound
from mockarray.lab.models import FaultRule
from mockarray.naming import normalize_action


class InjectedFault(ArrayError):
    """The error a fault rule answers with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def add_rule(
    session: Session,
    *,
    method: str | None = None,
    path: str = "*",
    action: str | None = None,
    array: str | None = None,
    status: int | None = None,
    message: str | None = None,
    delay_ms: tuple[int, int] = (0, 0),
    times: int | None = None,
    probability: float | None = None,
) -> FaultRule:
    if status is None and delay_ms[1] == 0:
        raise Invalid(
            "A fault needs an effect: a status, a delay, or both.",
            fields={"status": ["Give status and/or delayMs."]},
        )
    if delay_ms[0] > delay_ms[1]:
        raise Invalid(
            "The delay range is backwards: delayMs (its minimum) is above delayMaxMs.",
            fields={"delayMs": ["Must not be above delayMaxMs."]},
        )
    if delay_ms[1] > MAX_FAULT_DELAY_MS:
        field = "delayMaxMs" if delay_ms[0] != delay_ms[1] else "delayMs"
        raise Invalid(
            f"A fault's delay of {delay_ms[1]} ms is longer than {MAX_FAULT_DELAY_MS} ms, the "
            f"most a call may wait: a worker gives up on a call after {WORKER_TIMEOUT_S} s. "
            "Inject a shorter delay, or a status such as 504 for a call that never answers.",
            fields={field: [f"At most {MAX_FAULT_DELAY_MS} ms."]},
        )
    path = path or "*"
    _check_path(path)
    rule = FaultRule(
        method=method.upper() if method else None,
        path=path,
        action=normalize_action(action),
        array=array,
        status=status,
        message=message,
        delay_min_ms=delay_ms[0],
        delay_max_ms=delay_ms[1],
        remaining=times,
        probability=probability,
    )
    session.add(rule)
    session.flush()
    return rule


#: The prefix fault paths are below (the plugin API's).
API_PREFIX = "/storageplugin/api"


def _check_path(path: str) -> None:
    """A glob that can match a path below the API prefix (``/server/*``)."""
    if not path.startswith(("/", "*")):
        raise Invalid(
            f"The path glob '{path}' never matches: paths start with '/' "
            f"(write '/{path}'). They are below {API_PREFIX}, e.g. '/server/*/volume/*'.",
            fields={"path": ["Must start with '/' (or '*')."]},
        )
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        below = path[len(API_PREFIX) :] or "/"
        raise Invalid(
            f"The path glob '{path}' never matches: paths are below {API_PREFIX} "
            f"(write '{below}').",
            fields={"path": [f"Leave out {API_PREFIX}."]},
        )


def list_rules(session: Session) -> list[FaultRule]:
    return list(session.scalars(select(FaultRule).order_by(FaultRule.id)))


def remove_rule(session: Session, rule_id: int) -> None:
    removed = session.execute(delete(FaultRule).where(FaultRule.id == rule_id)).rowcount
    if not removed:
        raise NotFound(f"Fault rule {rule_id} does not exist.")


def clear(session: Session) -> int:
    return session.execute(delete(FaultRule)).rowcount


@dataclass(frozen=True)
class Fault:
    rule_id: int
    status: int | None
    message: str
    delay_ms: float


#: ``candidates(array=ANY_ARRAY)``: do not look at the rules' array yet.
ANY_ARRAY = object()


def candidates(
    session: Session, *, method: str, path: str, action: str | None, array=ANY_ARRAY
) -> list[FaultRule]:
    """The live rules that match the call, first added first (one query).

    With ``array=ANY_ARRAY`` rules for any array are kept: the caller learns
    the call's array only when some rule needs it.
    """
    rules = session.scalars(
        select(FaultRule)
        .where(or_(FaultRule.remaining.is_(None), FaultRule.remaining > 0))
        .order_by(FaultRule.id)
    )
    wanted_action = normalize_action(action)
    return [
        rule
        for rule in rules
        if (rule.method is None or rule.method == method.upper())
        and fnmatchcase(path, rule.path)
        and (rule.action is None or rule.action == wanted_action)
        and (array is ANY_ARRAY or rule.array is None or rule.array == array)
    ]


def claim(session: Session, rule: FaultRule) -> Fault | None:
    """Take one application of ``rule`` (``None`` when its probability says no,
    or another worker took its last one)."""
    if rule.probability is not None and random.random() >= rule.probability:
        return None
    statement = update(FaultRule).where(FaultRule.id == rule.id)
    if rule.remaining is not None:
        statement = statement.where(FaultRule.remaining > 0).values(
            remaining=FaultRule.remaining - 1
        )
    taken = session.execute(statement.values(applied=FaultRule.applied + 1)).rowcount
    if not taken:
        return None
    delay = random.uniform(rule.delay_min_ms, rule.delay_max_ms) if rule.delay_max_ms else 0.0
    message = rule.message or f"Fault injected by mockarray rule {rule.id}."
    return Fault(rule.id, rule.status, message, delay)
