"""hot term groups: the cases each group of cases sharing a rare term holds (the groups themselves are
hot_groups rows with an empty category and the term as district)

Revision ID: 0081
Revises: 0073
Create Date: 2026-12-07 00:30:00
"""
from alembic import op
import sqlalchemy as sa
import gateway.tables

revision = '0081'
down_revision = '0073'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('hot_group_cases',
    sa.Column('group_id', ID, nullable=False),
    sa.Column('case_id', ID, autoincrement=False, nullable=False),
    sa.Column('opened_at', gateway.tables.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['hot_groups.id'], name=op.f('fk_hot_group_cases_group_id_hot_groups')),
    sa.PrimaryKeyConstraint('group_id', 'case_id', name=op.f('pk_hot_group_cases'))
    )


def downgrade() -> None:
    op.drop_table('hot_group_cases')
