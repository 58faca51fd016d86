"""lab control: the simulated clock, checkpoints, fault rules and the request journal

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 05:20:15.186494
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Indexes on foreign keys that cascades and lookups follow.
    op.create_index('ix_snapshot_pool_id', 'snapshot', ['pool_id'], unique=False)
    op.create_index('ix_long_task_remote_array_id', 'long_task', ['remote_array_id'], unique=False)
    op.create_index(
        'ix_long_task_destination_snapshot_id', 'long_task', ['destination_snapshot_id'],
        unique=False,
    )
    op.create_table('checkpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('created_ms', sa.BigInteger(), nullable=False),
    sa.Column('arrays', sa.Integer(), nullable=False),
    sa.Column('volumes', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkpoint')),
    sa.UniqueConstraint('name', name=op.f('uq_checkpoint_name')),
    sqlite_autoincrement=True
    )
    op.create_table('fault_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=True),
    sa.Column('path', sa.String(length=1024), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=True),
    sa.Column('array', sa.String(length=255), nullable=True),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('message', sa.String(length=1024), nullable=True),
    sa.Column('delay_min_ms', sa.Integer(), nullable=False),
    sa.Column('delay_max_ms', sa.Integer(), nullable=False),
    sa.Column('remaining', sa.Integer(), nullable=True),
    sa.Column('probability', sa.Float(), nullable=True),
    sa.Column('applied', sa.Integer(), nullable=False),
    sa.Column('created_ms', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('delay_min_ms >= 0 AND delay_max_ms >= delay_min_ms', name=op.f('ck_fault_rule_delay_range')),
    sa.CheckConstraint('probability IS NULL OR (probability > 0 AND probability <= 1)', name=op.f('ck_fault_rule_probability')),
    sa.CheckConstraint('remaining IS NULL OR remaining >= 0', name=op.f('ck_fault_rule_remaining_not_negative')),
    sa.CheckConstraint('status IS NULL OR (status >= 400 AND status <= 599)', name=op.f('ck_fault_rule_status_error')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fault_rule')),
    sqlite_autoincrement=True
    )
    op.create_table('journal_entry',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at_ms', sa.BigInteger(), nullable=False),
    sa.Column('array', sa.String(length=255), nullable=True),
    sa.Column('session', sa.String(length=16), nullable=True),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('path', sa.String(length=1024), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=True),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Float(), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('fault_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_entry')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('journal_entry', schema=None) as batch_op:
        batch_op.create_index('ix_journal_entry_array', ['array'], unique=False)
        batch_op.create_index('ix_journal_entry_at_ms', ['at_ms'], unique=False)
        batch_op.create_index('ix_journal_entry_path', ['path'], unique=False)

    op.create_table('lab_clock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('offset_ms', sa.BigInteger(), nullable=False),
    sa.Column('speed', sa.Float(), nullable=False),
    sa.Column('instant', sa.Boolean(), nullable=False),
    sa.CheckConstraint('speed > 0', name=op.f('ck_lab_clock_speed_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_clock')),
    sqlite_autoincrement=True
    )


def downgrade() -> None:
    op.drop_index('ix_long_task_destination_snapshot_id', table_name='long_task')
    op.drop_index('ix_long_task_remote_array_id', table_name='long_task')
    op.drop_index('ix_snapshot_pool_id', table_name='snapshot')
    op.drop_table('lab_clock')
    with op.batch_alter_table('journal_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_journal_entry_path')
        batch_op.drop_index('ix_journal_entry_at_ms')
        batch_op.drop_index('ix_journal_entry_array')

    op.drop_table('journal_entry')
    op.drop_table('fault_rule')
    op.drop_table('checkpoint')
