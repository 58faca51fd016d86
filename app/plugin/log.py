"""``GET /log``: the plugin's log files, zipped."""

from __future__ import annotations

from flask import Response, current_app

from mockarray.plugin.calllog import zip_logs
from mockarray.plugin.core import caller
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.media import admits, media_types

ZIP = "application/zip"
OCTET_STREAM = "application/octet-stream"

blp = ApiBlueprint("log", __name__, description="The plugin's logs.")


@blp.route("/log", methods=["GET"])
@media_types(ZIP, OCTET_STREAM)
@blp.response(200, description="A zip of the log files.", content_type=ZIP)
def get_log():
    """The plugin's log files (one line per API call), zipped.

    The lines of the session's array's calls and of the calls made without a
    session, never another array's. Answered as ``application/zip``, or
    ``application/octet-stream`` when the ``Accept`` header asks for that and
    not for zip.
    """
    mimetype = ZIP if admits(ZIP) else OCTET_STREAM
    return Response(
        zip_logs(current_app, caller().array_name),
        mimetype=mimetype,
        headers={"Content-Disposition": 'attachment; filename="mockarray-logs.zip"'},
    )
