"""The lab's lists as the outside sees them: the control plane answers them
(``GET /mockarray/api/checkpoints``, ``/faults``, ``/clock``) and the command
line prints the same with ``--json``, so both keep the same keys.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from mockarray.fields import Boolean, IdString


class Schema(ma.Schema):
    class Meta:
        ordered = True


class CheckpointSchema(Schema):
    name = fields.String()
    createdTime = fields.Integer(attribute="created_ms", metadata={"description": "epoch ms"})
    arrays = fields.Integer()
    volumes = fields.Integer()
    sizeBytes = fields.Integer(attribute="size_bytes")


class CheckpointListSchema(Schema):
    checkpoints = fields.List(fields.Nested(CheckpointSchema))


class FaultSchema(Schema):
    id = IdString()
    method = fields.String(allow_none=True)
    path = fields.String()
    action = fields.String(allow_none=True)
    array = fields.String(allow_none=True)
    status = fields.Integer(allow_none=True)
    message = fields.String(allow_none=True)
    delayMs = fields.Integer(attribute="delay_min_ms")
    delayMaxMs = fields.Integer(attribute="delay_max_ms")
    remaining = fields.Integer(allow_none=True)
    probability = fields.Float(allow_none=True)
    applied = fields.Integer()
    createdTime = fields.Integer(attribute="created_ms")


class FaultListSchema(Schema):
    faults = fields.List(fields.Nested(FaultSchema))


class ClockSchema(Schema):
    now = fields.Integer(metadata={"description": "Simulated time, epoch ms."})
    offsetMs = fields.Integer(attribute="offset_ms")
    speed = fields.Float()
    instant = Boolean()
