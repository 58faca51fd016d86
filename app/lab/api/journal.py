"""``/mockarray/api/journal``: every plugin API call, queryable."""

from __future__ import annotations

from mockarray.lab import journal
from mockarray.lab.api.schemas import CountSchema, JournalQuerySchema, JournalSchema, RemovedSchema
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.pagination import PageQuery, listing
from mockarray.web.transaction import db_session

blp = ApiBlueprint(
    "control_journal",
    __name__,
    description="The request journal: every plugin API call, queryable.",
)


def _query(args) -> journal.JournalQuery:
    return journal.JournalQuery(
        since_ms=args["since"],
        until_ms=args["until"],
        method=args["method"],
        path=args["path"],
        action=args["action"],
        status=args["status"],
        array=args["array"],
        after_id=args["after"],
    )


@blp.route("/journal", methods=["GET"])
@blp.arguments(JournalQuerySchema, location="query")
@blp.arguments(PageQuery, location="query")
@blp.response(200, JournalSchema)
def list_journal_entries(args, page):
    """The plugin API calls the journal holds that match the filters, oldest first.

    Filters: a time range, method, path glob, action, status, array, and
    ``after`` an entry's id (to follow the journal). Paged with ``limit`` and
    ``start``, the total in ``X-Total-Count``. Passwords in bodies show as
    ``***``.
    """
    entries, total = journal.entries(db_session(), _query(args), page)
    return listing("entries", entries, total)


@blp.route("/journal/count", methods=["GET"])
@blp.arguments(JournalQuerySchema, location="query")
@blp.response(200, CountSchema)
def count_journal_entries(args):
    """How many journaled calls match the filters.

    The same filters as ``GET /journal``; only the count is answered, which
    is cheaper than reading the entries (a test's "called twice" check).
    """
    return {"count": journal.count(db_session(), _query(args))}


@blp.route("/journal", methods=["DELETE"])
@blp.response(200, RemovedSchema)
def clear_journal():
    """Empty the journal.

    Every journaled call goes (the call log behind the plugin API's
    ``GET /log`` is left as it is). Answers how many entries were removed.
    """
    return {"removed": journal.clear(db_session())}
