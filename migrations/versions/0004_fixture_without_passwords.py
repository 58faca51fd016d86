"""keep seeded fixtures without their passwords: each array's salted hash instead

``lab_fixture.document`` held the fixture as seeded, passwords in clear. It
now holds each array's ``passwordHash`` (the salted hash its array stores)
instead of its ``password``; the loader reads that form on a reset only.
Old rows are rewritten: with the hash of the array of that name when it
matches the password, else with a new salted hash of it.

The downgrade cannot bring the passwords back: the rows stay hashed (a
reset by older code would refuse them; seed the fixture again there).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 04:00:00
"""

from alembic import op
import sqlalchemy as sa
import yaml
from werkzeug.security import check_password_hash, generate_password_hash


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

#: The array's own hashing (mockarray.array.sessions.PASSWORD_METHOD when written).
PASSWORD_METHOD = "pbkdf2:sha256:60000"

fixture = sa.table(
    'lab_fixture', sa.column('id', sa.Integer), sa.column('document', sa.Text)
)
array = sa.table('array', sa.column('name', sa.String), sa.column('password_hash', sa.String))


def _without_passwords(connection, text: str) -> str | None:
    """The document with each ``password`` replaced by ``passwordHash``; None: unchanged."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    specs = document.get("arrays") if isinstance(document, dict) else None
    if not isinstance(specs, list):
        return None
    changed = False
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict) or "password" not in spec:
            continue
        password = str(spec["password"])
        stored = connection.scalar(
            sa.select(array.c.password_hash).where(array.c.name == spec.get("name"))
        )
        if not stored or not check_password_hash(stored, password):
            stored = generate_password_hash(password, method=PASSWORD_METHOD)
        specs[i] = {
            **{key: value for key, value in spec.items() if key != "password"},
            "passwordHash": stored,
        }
        changed = True
    if not changed:
        return None
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def upgrade() -> None:
    connection = op.get_bind()
    for row in connection.execute(sa.select(fixture.c.id, fixture.c.document)).all():
        rewritten = _without_passwords(connection, row.document)
        if rewritten is not None:
            connection.execute(
                fixture.update().where(fixture.c.id == row.id).values(document=rewritten)
            )


def downgrade() -> None:
    # The passwords are gone: nothing to put back.
    pass
