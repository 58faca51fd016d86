"""``…/volumes/{vid}/writes``: a host writes to a volume."""

from __future__ import annotations

from mockarray.array import capacity, clock
from mockarray.lab import host_writes
from mockarray.lab.api.schemas import WriteRequestSchema, WriteSchema
from mockarray.plugin import calllog
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.transaction import db_session

blp = ApiBlueprint(
    "control_writes", __name__, description="Hosts writing to volumes: used space changes."
)


@blp.route("/arrays/<array>/servers/<sid>/volumes/<vid>/writes", methods=["POST"])
@blp.arguments(WriteRequestSchema)
@blp.response(200, WriteSchema)
@blp.refuses(507)
def write_to_volume(body, array, sid, vid):
    """A host writes to a volume.

    ``bytes`` overwrite the volume's data, or add to it with ``append``: its
    used size, its snapshots' space, the pool's free space and its content
    change. ``vid`` is the volume's id, or its name (as ``mockarray write`` takes it).
    Snapshots auto-deleted to make room are listed in ``autoDeleted`` and logged
    in the plugin's call log (``GET /log``)."""
    session = db_session()
    volume = host_writes.host_write(
        session, array, vid, size=body["bytes"], server_key=sid, append=body["append"]
    )
    deleted = capacity.take_auto_deleted(session)
    if deleted:
        calllog.log_auto_deleted(clock.now(session), array, deleted)
    return {
        "id": volume.id,
        "name": volume.name,
        "size_bytes": volume.size_bytes,
        "used_bytes": volume.used_bytes,
        "auto_deleted": [entry.sentence() for entry in deleted],
    }
