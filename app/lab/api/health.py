"""``/mockarray/api/health``: whether this server can serve, for probes and
wait-for scripts. Public: no token, any client (it reveals nothing of the lab
but how many arrays it holds)."""

from __future__ import annotations

from mockarray.lab import health
from mockarray.lab.api.core import public
from mockarray.lab.api.schemas import HealthSchema
from mockarray.migrate import shipped_revisions
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.transaction import db_session

blp = ApiBlueprint("control_health", __name__, description="Whether the server can serve.")


@blp.route("/health", methods=["GET"])
@public
@blp.doc(security=[])
@blp.response(200, HealthSchema)
@blp.alt_response(
    503,
    schema=HealthSchema,
    description="The server cannot serve: the database is unreachable, not migrated, or "
    "its schema is not at the head revision; 'reason' says which and what to do.",
)
def get_health():
    """Whether this server can serve; no token needed, any client.

    ``200`` when the database is reachable and its schema at the head revision
    (with the number of arrays), ``503`` with the reason otherwise: for
    readiness probes and wait-for scripts.
    """
    shipped = shipped_revisions()
    found = health.check(db_session(), head=shipped.head, known=shipped.known)
    answer = {
        "status": found.status,
        "database": found.database,
        "schema": found.schema,
        "arrays": found.arrays,
        "reason": found.reason,
    }
    return answer, 200 if found.ok else 503, {"Cache-Control": "no-store"}
