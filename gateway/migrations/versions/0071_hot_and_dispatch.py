"""hot cases and dispatch suggestions: report buckets per case and per group, hot levels, learned unit counts

Revision ID: 0071
Revises: 0001
Create Date: 2026-12-06 22:40:00
"""
from alembic import op
import sqlalchemy as sa
import gateway.tables

revision = '0071'
down_revision = '0001'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, gateway.tables.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table('hot_buckets',
    sa.Column('case_id', ID, nullable=False),
    sa.Column('span', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('bucket', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_hot_buckets_case_id_cases')),
    sa.PrimaryKeyConstraint('case_id', 'span', 'bucket', name=op.f('pk_hot_buckets'))
    )
    op.create_table('hot_cases',
    sa.Column('case_id', ID, nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('district', sa.String(length=50), nullable=True),
    sa.Column('category', sa.String(length=200), nullable=True),
    sa.Column('reports', sa.Integer(), nullable=False),
    _time('first_at', True), _time('last_at', True),
    sa.Column('bound_1h', sa.Integer(), nullable=False),
    sa.Column('bound_24h', sa.Integer(), nullable=False),
    sa.Column('bound_7d', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_hot_cases_case_id_cases')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_hot_cases'))
    )
    for window in ('1h', '24h', '7d'):
        op.create_index(op.f(f'ix_hot_cases_bound_{window}'), 'hot_cases', [f'bound_{window}'], unique=False)
    op.create_table('hot_levels',
    sa.Column('case_id', ID, nullable=False),
    sa.Column('level', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('reports_in_window', sa.Integer(), nullable=False),
    _time('reached_at'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_hot_levels_case_id_cases')),
    sa.PrimaryKeyConstraint('case_id', 'level', name=op.f('pk_hot_levels'))
    )
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
    op.create_table('dispatch_counts',
    sa.Column('feature', sa.String(length=300), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('feature', 'unit', name=op.f('pk_dispatch_counts'))
    )
    op.create_table('dispatch_learned',
    sa.Column('case_id', ID, nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('features', sa.JSON(), nullable=False),
    _time('learned_at'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_dispatch_learned_case_id_cases')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_dispatch_learned'))
    )


def downgrade() -> None:
    op.drop_table('dispatch_learned')
    op.drop_table('dispatch_counts')
    op.drop_index(op.f('ix_hot_group_buckets_span_bucket'), table_name='hot_group_buckets')
    op.drop_table('hot_group_buckets')
    op.drop_table('hot_levels')
    for window in ('1h', '24h', '7d'):
        op.drop_index(op.f(f'ix_hot_cases_bound_{window}'), table_name='hot_cases')
    op.drop_table('hot_cases')
    op.drop_table('hot_buckets')
