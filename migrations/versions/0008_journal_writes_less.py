"""the journal writes less: no index on its path or array

Every plugin call inserts a journal row, and every index is one more page
written on each insert. The journal keeps at most JOURNAL_SIZE rows (10,000 by
default): a query by path or array scans them in milliseconds.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 07:00:00
"""

from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_journal_entry_path', table_name='journal_entry')
    op.drop_index('ix_journal_entry_array', table_name='journal_entry')


def downgrade() -> None:
    op.create_index('ix_journal_entry_array', 'journal_entry', ['array'], unique=False)
    op.create_index('ix_journal_entry_path', 'journal_entry', ['path'], unique=False)
