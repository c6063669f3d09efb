"""tickets.personal_erased_at (retention); personal_reads: who read contact details, when

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-06 23:40:00
"""
from alembic import op
import sqlalchemy as sa
import gateway.tables

revision = '0043'
down_revision = '0042'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('personal_erased_at', gateway.tables.UtcDateTime(timezone=True), nullable=True))
    op.create_table('personal_reads',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', gateway.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('via', sa.String(length=100), nullable=False),
    sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_personal_reads')),
    )
    op.create_index('ix_personal_reads_at', 'personal_reads', ['at'])


def downgrade() -> None:
    op.drop_index('ix_personal_reads_at', 'personal_reads')
    op.drop_table('personal_reads')
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('personal_erased_at')
