"""hot groups: the window index carries the group and its counts, so the groups of a window are an index-only read

Revision ID: 0072
Revises: 0071
Create Date: 2026-12-06 23:00:00
"""
from alembic import op

revision = '0072'
down_revision = '0071'
branch_labels = None
depends_on = None

COLUMNS = ['category', 'district', 'reports', 'cases']


def upgrade() -> None:
    op.drop_index(op.f('ix_hot_group_buckets_span_bucket'), table_name='hot_group_buckets')
    op.create_index(op.f('ix_hot_group_buckets_span_bucket'), 'hot_group_buckets', ['span', 'bucket'], unique=False,
                    postgresql_include=COLUMNS)


def downgrade() -> None:
    op.drop_index(op.f('ix_hot_group_buckets_span_bucket'), table_name='hot_group_buckets')
    op.create_index(op.f('ix_hot_group_buckets_span_bucket'), 'hot_group_buckets', ['span', 'bucket'], unique=False)
