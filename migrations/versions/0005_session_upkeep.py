"""session upkeep: expired sessions found by their last use; wrong passwords counted per array

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 04:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('plugin_session', schema=None) as batch_op:
        batch_op.create_index('ix_plugin_session_last_seen_ms', ['last_seen_ms'], unique=False)

    op.create_table('login_failures',
    sa.Column('array_id', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_ms', sa.BigInteger(), nullable=False),
    sa.Column('blocked_until_ms', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['array_id'], ['array.id'], name=op.f('fk_login_failures_array_id_array'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('array_id', name=op.f('pk_login_failures')),
    sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table('login_failures')
    with op.batch_alter_table('plugin_session', schema=None) as batch_op:
        batch_op.drop_index('ix_plugin_session_last_seen_ms')
