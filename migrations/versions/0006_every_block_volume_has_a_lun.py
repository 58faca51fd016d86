"""every block volume has its LUN: give one to the volumes made before that rule

Before this revision a volume got its LUN on its first mapping. Now every
block volume has one from the moment it exists; the block volumes of an older
database that have none get theirs here: a fresh serial number and NAA-6 id,
online (such a volume was writable before), made at the volume's time.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 04:20:00
"""

import secrets

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

#: ``volumeType`` values (any case) of file volumes, which have no LUN.
FILE_VOLUME_TYPES = ("file", "nas")


def upgrade() -> None:
    bind = op.get_bind()
    missing = bind.execute(
        sa.text(
            # "array" is a reserved word in PostgreSQL: quoted.
            'SELECT v.id, v.name, v.created_ms, a.naa_oui FROM volume v '
            'JOIN server s ON s.id = v.server_id JOIN "array" a ON a.id = s.array_id '
            "LEFT JOIN lun l ON l.volume_id = v.id "
            "WHERE l.id IS NULL AND lower(coalesce(v.volume_type, 'block')) NOT IN :file_types"
        ).bindparams(sa.bindparam("file_types", expanding=True)),
        {"file_types": list(FILE_VOLUME_TYPES)},
    ).all()
    insert = sa.text(
        "INSERT INTO lun (volume_id, name, serial_number, naa_id, online, created_ms) "
        "VALUES (:volume_id, :name, :serial, :naa, :online, :created_ms)"
    )
    for volume_id, name, created_ms, oui in missing:
        serial = secrets.token_hex(12).upper()
        bind.execute(
            insert,
            {
                "volume_id": volume_id,
                "name": name,
                "serial": serial,
                "naa": f"6{oui.lower()}0{serial.lower()}",
                "online": True,
                "created_ms": created_ms,
            },
        )


def downgrade() -> None:
    # The LUNs stay: an older revision reads them as it reads any volume's LUN.
    pass
