"""attachments.claimed_at: when the orphan sweep found a ticket referencing the file

Revision ID: 0041
Revises: 0001
Create Date: 2026-12-06 23:00:00
"""
from alembic import op
import sqlalchemy as sa
import gateway.tables

revision = '0041'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attachments') as batch:
        batch.add_column(sa.Column('claimed_at', gateway.tables.UtcDateTime(timezone=True), nullable=True))
    op.create_index('ix_attachments_unclaimed', 'attachments', ['created_at'],
                    postgresql_where=sa.text('claimed_at IS NULL'), sqlite_where=sa.text('claimed_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_attachments_unclaimed', 'attachments')
    with op.batch_alter_table('attachments') as batch:
        batch.drop_column('claimed_at')
