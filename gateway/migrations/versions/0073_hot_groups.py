"""hot groups: a summary row per category × district (upper bounds of its new cases per window) and its counts
keyed by the group's id, replacing the per-name buckets of 0071 (groups are ranked by bound, like cases)

Revision ID: 0073
Revises: 0072
Create Date: 2026-12-06 23:05:00
"""
from alembic import op
import sqlalchemy as sa
import gateway.tables

revision = '0073'
down_revision = '0072'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.drop_index(op.f('ix_hot_group_buckets_span_bucket'), table_name='hot_group_buckets')
    op.drop_table('hot_group_buckets')
    op.create_table('hot_groups',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('category', sa.String(length=200), nullable=False),
    sa.Column('district', sa.String(length=50), nullable=False),
    sa.Column('last_at', gateway.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('bound_1h', sa.Integer(), nullable=False),
    sa.Column('bound_24h', sa.Integer(), nullable=False),
    sa.Column('bound_7d', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hot_groups')),
    sa.UniqueConstraint('category', 'district', name=op.f('uq_hot_groups_category_district'))
    )
    for window in ('1h', '24h', '7d'):
        op.create_index(op.f(f'ix_hot_groups_bound_{window}'), 'hot_groups', [f'bound_{window}'], unique=False)
    op.create_table('hot_group_counts',
    sa.Column('group_id', ID, nullable=False),
    sa.Column('span', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('bucket', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['hot_groups.id'], name=op.f('fk_hot_group_counts_group_id_hot_groups')),
    sa.PrimaryKeyConstraint('group_id', 'span', 'bucket', name=op.f('pk_hot_group_counts'))
    )


def downgrade() -> None:
    op.drop_table('hot_group_counts')
    for window in ('1h', '24h', '7d'):
        op.drop_index(op.f(f'ix_hot_groups_bound_{window}'), table_name='hot_groups')
    op.drop_table('hot_groups')
    op.create_table('hot_group_buckets',
    sa.Column('category', sa.String(length=200), nullable=False),
    sa.Column('district', sa.String(length=50), nullable=False),
    sa.Column('span', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('bucket', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('category', 'district', 'span', 'bucket', name=op.f('pk_hot_group_buckets'))
    )
    op.create_index(op.f('ix_hot_group_buckets_span_bucket'), 'hot_group_buckets', ['span', 'bucket'], unique=False)
