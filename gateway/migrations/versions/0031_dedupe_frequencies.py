"""dedupe: document frequencies of character bigrams (IDF weights shared by every worker)

Revision ID: 0031
Revises: 0001
Create Date: 2026-12-06 23:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0031'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dedupe_frequencies',
    sa.Column('gram', sa.String(length=8), nullable=False),
    sa.Column('df', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('gram', name=op.f('pk_dedupe_frequencies'))
    )


def downgrade() -> None:
    op.drop_table('dedupe_frequencies')
