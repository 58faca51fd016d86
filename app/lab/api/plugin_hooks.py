"""How the lab attaches to every plugin API call, through the plugin API's hooks
(``mockarray.plugin.core.CallHooks``): the fault gate before the call, the
request journal after it. The plugin API knows nothing of either.
"""

from __future__ import annotations

import time

from flask import Flask, Response, current_app, g, request

from mockarray.array import clock
from mockarray.lab import faults, journal
from mockarray.naming import normalize_action
from mockarray.plugin.core import call_hooks, call_path, caller
from mockarray.web.transaction import database, db_session, defer_write, is_read


def attach(app: Flask) -> None:
    hooks = call_hooks(app)
    hooks.before.append(fault_gate)
    hooks.after.append(journal_call)


def fault_gate() -> None:
    """Fault rules, checked before the array acts, so a faulted call changes nothing.

    The rules are read in the call's own transaction: one cheap query when
    there are none. Applying one (rare) is claimed in a short transaction of
    its own, so that it counts even though the call is then refused.
    """
    session = db_session()
    action = request.args.get("action")
    rules = faults.candidates(session, method=request.method, path=call_path(), action=action)
    if any(rule.array is not None for rule in rules):
        array = caller().array_name
        rules = [rule for rule in rules if rule.array in (None, array)]
    if rules and not is_read():
        # A write call holds the write lock from its first query: let it go (nothing
        # was changed yet) so the claim can commit, and no delay runs under it. The
        # rules are detached first, so the rollback does not expire them.
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
            time.sleep(fault.delay_ms / 1000)
        if fault.status is not None:
            raise faults.InjectedFault(fault.status, fault.message)
        return


def journal_call(response: Response, duration_ms: float) -> None:
    """One journal row for the call, whatever its outcome."""
    length = request.content_length or 0
    # A body refused as too large (413) is not read; neither is an empty one.
    fits = 0 < length <= (request.max_content_length or length)
    body = request.get_data(cache=True, as_text=True) if fits else None
    who = caller()
    action = normalize_action(request.args.get("action"))
    entry = {
        "array": who.array_name,
        "session": who.session_tag,
        # Cut to the columns' lengths: a call refused for a long path is journaled too.
        "method": request.method[:10],
        "path": call_path()[:1024],
        "action": action[:64] if action is not None else None,
        "status": response.status_code,
        "duration_ms": round(duration_ms, 3),
        "body": journal.redact(body),
        "fault_id": g.get("fault_id"),
    }
    keep = int(current_app.config["JOURNAL_SIZE"])
    defer_write(
        lambda session: journal.record(session, keep=keep, at_ms=clock.now(session), **entry)
    )
