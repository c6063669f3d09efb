"""dedupe_frequencies.seq: the write that last changed each bigram's count, so a worker reads back only what
changed since its last read (not the whole table every df_batch reports)

Revision ID: 0092
Revises: 0031
Create Date: 2026-12-07 10:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0092'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dedupe_frequencies') as batch:
        batch.add_column(sa.Column('seq', sa.BigInteger(), server_default='0', nullable=False))
        batch.create_index('ix_dedupe_frequencies_seq', ['seq'])


def downgrade() -> None:
    with op.batch_alter_table('dedupe_frequencies') as batch:
        batch.drop_index('ix_dedupe_frequencies_seq')
        batch.drop_column('seq')
