"""``POST /session``: log in to one array."""

from __future__ import annotations

from flask import current_app, request
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from mockarray.array import sessions
from mockarray.plugin.core import API_PREFIX, opened_session, public
from mockarray.plugin.schemas import SessionRequestSchema, SessionSchema
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.transaction import db_session, defer_write

blp = ApiBlueprint("session", __name__, description="Log in to an array.")


@blp.route("/session", methods=["POST"])
@public
@blp.arguments(SessionRequestSchema)
@blp.response(201, SessionSchema)
@blp.refuses(
    401,
    description="No array answers to that hostname, ipAddress and port, or the username "
    "or password is wrong.",
)
@blp.refuses(
    429,
    description="Too many wrong passwords for this array in a row: its logins are refused "
    "for the Retry-After seconds.",
)
@blp.doc(security=[{}, {"basic": []}])
def create_session(body):
    """Open a session to the array named by ``hostname`` and/or ``ipAddress``.

    Credentials travel as HTTP Basic authorization or as ``username`` and
    ``password`` in the body. The answer's ``Location`` is the array's
    ``/storage``.
    """
    basic = request.authorization
    username = basic.username if basic and basic.type == "basic" else body["username"]
    password = basic.password if basic and basic.type == "basic" else body["password"]
    try:
        token, array = sessions.open_session(
            db_session(),
            hostname=body["hostname"],
            ip_address=body["ipAddress"],
            port=body["port"],
            username=username,
            password=password,
            idle_timeout_s=int(current_app.config["SESSION_TIMEOUT"]),
        )
    except sessions.WrongCredentials as wrong:
        # The refused call is rolled back; the count is kept all the same.
        array_id = wrong.array_id
        defer_write(lambda connection: count_failure(connection, array_id))
        raise
    opened_session(array.name)
    return {"sessionId": token, "storageId": array.id}, {"Location": f"{API_PREFIX}/storage"}


def count_failure(connection: Connection, array_id: int) -> None:
    """Count a wrong password, in the transaction ``connection`` is in."""
    with Session(bind=connection) as session:
        sessions.note_failure(session, array_id)
