"""How the lab attaches to every plugin API call, through the plugin API's hooks
(``mockarray.plugin.core.CallHooks``): the fault gate before the call, the
request journal after it. The plugin API knows nothing of either.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, Response, current_app, g, request

from mockarray.config.serving import DELAY_THREADS
from mockarray.lab import faults, journal, percall
from mockarray.naming import normalize_action
from mockarray.plugin.core import call_hooks, call_notes, call_path, caller, opening_read
from mockarray.turns import turn_given_up
from mockarray.web.transaction import database, db_session, defer_write

log = logging.getLogger(__name__)

#: Threads of this worker that may sleep in injected delays at once (the others
#: stay free for the control plane and undelayed calls; docs/ci.md).
_delay_slots = threading.BoundedSemaphore(DELAY_THREADS)


def attach(app: Flask) -> None:
    hooks = call_hooks(app)
    hooks.reads.extend(percall.COLUMNS)
    hooks.before.append(fault_gate)
    hooks.after.append(journal_call)


def fault_gate() -> None:
    """Fault rules, checked before the array acts, so a faulted call changes nothing.

    The rules are read in the call's own transaction: whether there are any is
    read with the caller's session (``opening_read``), and they are read only
    then. Applying one (rare) is claimed
    in a short transaction of its own, so that it counts even though the call
    is then refused.

    A delay sleeps holding no database connection, and only while fewer than
    ``DELAY_THREADS`` calls of this worker sleep in one: beyond that the call
    goes on at once (logged), so delays never starve the control plane.
    """
    session = db_session()
    if not percall.any_fault_rule(session, opening_read()):
        return
    action = request.args.get("action")
    rules = faults.candidates(session, method=request.method, path=call_path(), action=action)
    if any(rule.array is not None for rule in rules):
        array = caller().array_name
        rules = [rule for rule in rules if rule.array in (None, array)]
    if rules:
        # A write call holds the write lock from its first query: let it go (nothing
        # was changed yet) so the claim can commit, and no delay runs under it; a read
        # gives its connection back while it sleeps. The rules are detached first, so
        # the rollback does not expire them.
        for rule in rules:
            session.expunge(rule)
        session.rollback()
    for rule in rules:
        with database().transaction(write=True) as claiming:
            fault = faults.claim(claiming, rule)
        if fault is None:
            continue
        g.fault_id = fault.rule_id
        if fault.delay_ms:
            _sleep(fault.delay_ms, fault.rule_id)
        if fault.status is not None:
            raise faults.InjectedFault(fault.status, fault.message)
        return


def _sleep(delay_ms: float, rule_id: int) -> None:
    if not _delay_slots.acquire(blocking=False):
        log.warning(
            "fault rule %d: delay of %.0f ms skipped on %s %s: %d calls of this worker "
            "already sleep in injected delays",
            rule_id,
            delay_ms,
            request.method,
            request.path,
            DELAY_THREADS,
        )
        return
    try:
        with turn_given_up():  # the worker's other calls answer meanwhile
            time.sleep(delay_ms / 1000)
    finally:
        _delay_slots.release()


def journal_call(response: Response, duration_ms: float, at_ms: int) -> None:
    """One journal row for the call, whatever its outcome, at the call's moment.

    It runs on every call, inside a write call's transaction (SQLite's write lock
    held): the request is looked up once, not once per field.
    """
    asked = request._get_current_object()  # one lookup, not one per field
    length = asked.content_length or 0
    # A body refused as too large (413) is not read; neither is an empty one.
    fits = 0 < length <= (asked.max_content_length or length)
    body = asked.get_data(cache=True, as_text=True) if fits else None
    who = caller()
    action = normalize_action(asked.args.get("action"))
    entry = {
        "array": who.array_name,
        "session": who.session_tag,
        # Cut to the columns' lengths: a call refused for a long path is journaled too.
        "method": asked.method[:10],
        "path": call_path()[:1024],
        "action": action[:64] if action is not None else None,
        "status": response.status_code,
        "duration_ms": round(duration_ms, 3),
        "body": journal.redact(body),
        "fault_id": g.get("fault_id"),
        # The snapshots the array auto-deleted to make room, if any.
        "notes": call_notes() or None,
    }
    keep = int(current_app.config["JOURNAL_SIZE"])
    defer_write(lambda connection: journal.record(connection, keep=keep, at_ms=at_ms, **entry))
