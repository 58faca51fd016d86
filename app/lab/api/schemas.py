"""Bodies of the control plane (the lists it shares with the command line are in
``mockarray.lab.answers``)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from mockarray.fields import Boolean, Duration, IdString, Size, WholeNumber
from mockarray.lab.seeding.schema import ArrayFixture, Strict
from mockarray.plugin.schemas import NAME, Schema
from mockarray.units import SPEED_MAX, SPEED_MIN


def _http_method(value: str) -> None:
    if value.upper() not in {"GET", "POST", "PUT", "DELETE"}:
        raise ma.ValidationError("Must be GET, POST, PUT or DELETE (any case).")


class ResetRequestSchema(Schema):
    empty = Boolean(load_default=False)


class ResetSchema(Schema):
    arrays = fields.List(fields.String())


class SeedQuerySchema(Schema):
    replace = Boolean(
        load_default=False,
        metadata={"description": "Empty the lab first: every array goes ('seed --replace')."},
    )
    check = Boolean(
        load_default=False,
        metadata={"description": "Only validate the document; load nothing ('seed --check')."},
    )
    ifEmpty = Boolean(
        load_default=False,
        metadata={"description": "Seed only an empty lab ('seed --if-empty')."},
    )
    source = fields.String(
        load_default="request body",
        validate=validate.Length(min=1, max=1024),
        metadata={
            "description": "The document's name in problems and in what is kept "
            "for a reset (lab.yaml); default 'request body'."
        },
    )


class SeedSchema(Schema):
    source = fields.String()
    arrays = fields.List(
        fields.String(),
        metadata={"description": "The arrays seeded (with check: that the document makes)."},
    )
    volumes = fields.Integer(metadata={"description": "Volumes seeded; 0 when none loaded."})
    loaded = fields.Boolean(
        metadata={"description": "false with check, or ifEmpty on a lab that holds arrays."}
    )
    message = fields.String(metadata={"description": "What 'mockarray seed' says."})


class SeededArraySchema(ArrayFixture):
    """An array as it was seeded, without its password."""

    class Meta(Strict.Meta):
        exclude = ("password",)


class SeededFixtureSchema(Strict):
    arrays = fields.List(fields.Nested(SeededArraySchema), required=True)


class CheckpointRequestSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    replace = Boolean(load_default=False)


class FaultRequestSchema(Schema):
    method = fields.String(load_default=None, validate=_http_method)
    path = fields.String(
        load_default="*",
        validate=validate.Length(max=1024),
        metadata={
            "description": "Glob below /storageplugin/api, starting with '/' (or '*'), "
            "e.g. /server/*/volume/*"
        },
    )
    action = fields.String(load_default=None, validate=validate.Length(max=64))
    array = fields.String(
        load_default=None,
        validate=validate.Length(max=255),
        metadata={"description": "Array name."},
    )
    status = WholeNumber(bits=32, load_default=None, validate=validate.Range(min=400, max=599))
    message = fields.String(load_default=None, validate=validate.Length(max=1024))
    delayMs = WholeNumber(bits=32, load_default=0, validate=validate.Range(min=0, max=600_000))
    delayMaxMs = WholeNumber(
        bits=32,
        load_default=None,
        validate=validate.Range(min=0, max=600_000),
        metadata={"description": "With delayMs: a random delay in [delayMs, delayMaxMs]."},
    )
    times = WholeNumber(
        bits=32,
        load_default=None,
        validate=validate.Range(min=1),
        metadata={"description": "Apply to the next N matching calls; default until removed."},
    )
    probability = fields.Float(
        load_default=None, validate=validate.Range(min=0, max=1, min_inclusive=False)
    )


class RemovedSchema(Schema):
    removed = fields.Integer()


class AdvanceSchema(Schema):
    by = Duration(
        required=True, metadata={"description": "90s, 15m, 1h, 2d; a bare number is milliseconds"}
    )


class ClockSettingsSchema(Schema):
    speed = fields.Float(
        load_default=None,
        validate=validate.Range(min=SPEED_MIN, max=SPEED_MAX),
        metadata={"description": f"Factor from {SPEED_MIN:g} to {SPEED_MAX:g}; 1 is real time."},
    )
    instant = Boolean(load_default=None)


class FinishedSchema(Schema):
    finished = fields.Integer()


class JournalQuerySchema(Schema):
    since = WholeNumber(load_default=None, metadata={"description": "epoch ms"})
    until = WholeNumber(load_default=None, metadata={"description": "epoch ms"})
    method = fields.String(load_default=None)
    path = fields.String(load_default=None, metadata={"description": "glob ('*')"})
    action = fields.String(load_default=None)
    status = WholeNumber(bits=32, load_default=None)
    array = fields.String(load_default=None)
    after = WholeNumber(load_default=None, metadata={"description": "entries after this id"})


class JournalEntrySchema(Schema):
    id = IdString()
    time = fields.Integer(attribute="at_ms")
    array = fields.String(allow_none=True)
    session = fields.String(allow_none=True)
    method = fields.String()
    path = fields.String()
    action = fields.String(allow_none=True)
    status = fields.Integer()
    durationMs = fields.Float(attribute="duration_ms")
    body = fields.String(allow_none=True, metadata={"description": "credentials redacted"})
    faultId = IdString(attribute="fault_id", allow_none=True)
    notes = fields.List(
        fields.String(),
        allow_none=True,
        metadata={
            "description": "what the array did on its own during the call, one sentence "
            "each (snapshots auto-deleted to make room); null when nothing"
        },
    )


class JournalSchema(Schema):
    entries = fields.List(fields.Nested(JournalEntrySchema))


class CountSchema(Schema):
    count = fields.Integer()


class WriteRequestSchema(Schema):
    bytes = Size(required=True)
    append = Boolean(load_default=False)


class WriteSchema(Schema):
    volumeId = IdString(attribute="id")
    name = fields.String()
    size = fields.Integer(attribute="size_bytes")
    usedSize = fields.Integer(attribute="used_bytes")
    autoDeleted = fields.List(
        fields.String(),
        attribute="auto_deleted",
        metadata={"description": "snapshots auto-deleted to make room for the write"},
    )


class HealthSchema(Schema):
    status = fields.String(
        metadata={
            "enum": ["ok", "unavailable"],
            "description": "ok (200): the server can serve; unavailable (503): see reason.",
        }
    )
    database = fields.String(metadata={"enum": ["reachable", "unreachable"]})
    schema = fields.String(
        allow_none=True,
        metadata={
            "description": "The schema's revision: '0006 (head)', or where it is against "
            "the head ('0005 (head is 0006)', 'none (head is 0006)'); null when the "
            "database cannot be reached."
        },
    )
    arrays = fields.Integer(
        allow_none=True, metadata={"description": "How many arrays the lab holds."}
    )
    reason = fields.String(
        allow_none=True,
        metadata={"description": "Why the server cannot serve, and what to do; null when ok."},
    )


class TaskSchema(Schema):
    id = IdString()
    kind = fields.String(metadata={"description": "split or replication"})
    array = fields.String()
    volume = fields.String(
        allow_none=True,
        metadata={"description": "The clone being split, or the volume whose snapshot is sent."},
    )
    snapshot = fields.String(
        allow_none=True, metadata={"description": "replication: the snapshot sent"}
    )
    partner = fields.String(
        allow_none=True, metadata={"description": "replication: the remote array"}
    )
    startedTime = fields.Integer(attribute="started_ms", metadata={"description": "epoch ms"})
    completeTime = fields.Integer(attribute="completes_ms", metadata={"description": "epoch ms"})
    totalBytes = fields.Integer(attribute="total_bytes")
    percentComplete = fields.Integer(attribute="percent_complete")


class TaskListSchema(Schema):
    now = fields.Integer(metadata={"description": "The lab clock's now, epoch ms."})
    tasks = fields.List(fields.Nested(TaskSchema))
