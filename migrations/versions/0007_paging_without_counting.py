"""paging without counting: each server's volume count, and an index in list order

A page of a server's volumes is read off an index in the list's order
(creation time, then id) instead of sorting the server's volumes, and its
total comes from ``server.volume_count`` instead of counting them all.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 06:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        'server', sa.Column('volume_count', sa.Integer(), nullable=False, server_default='0')
    )
    op.execute(
        'UPDATE server SET volume_count = '
        '(SELECT count(*) FROM volume WHERE volume.server_id = server.id)'
    )
    op.create_index('ix_volume_server_order', 'volume', ['server_id', 'created_ms', 'id'])


def downgrade() -> None:
    op.drop_index('ix_volume_server_order', table_name='volume')
    # ALTER TABLE, not a batch copy of the table: copying "server" would delete
    # everything on it (ON DELETE CASCADE).
    op.drop_column('server', 'volume_count')
