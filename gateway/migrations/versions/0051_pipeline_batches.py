"""pipeline batches: a ticket the pipeline keeps failing on is set aside with a backoff

Revision ID: 0051
Revises: 0001
Create Date: 2026-12-06 23:00:00
"""
from alembic import op
import sqlalchemy as sa
import gateway.tables

revision = '0051'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('pipeline_failures', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('pipeline_retry_at', gateway.tables.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('pipeline_retry_at')
        batch.drop_column('pipeline_failures')
