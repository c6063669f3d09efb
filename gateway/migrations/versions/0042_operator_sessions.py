"""operators.session_generation (sign-out, passwd and disable end every session); sign_in_attempts per
(name, client address), counted before the password is checked

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-06 23:30:00
"""
from alembic import op
import sqlalchemy as sa
import gateway.tables

revision = '0042'
down_revision = '0041'
branch_labels = None
depends_on = '0003'   # operators


def upgrade() -> None:
    with op.batch_alter_table('operators') as batch:
        batch.add_column(sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0'))
    op.create_table('sign_in_attempts',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', gateway.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', gateway.tables.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', 'address', name=op.f('pk_sign_in_attempts')),
    )
    op.create_index('ix_sign_in_attempts_updated_at', 'sign_in_attempts', ['updated_at'])


def downgrade() -> None:
    op.drop_index('ix_sign_in_attempts_updated_at', 'sign_in_attempts')
    op.drop_table('sign_in_attempts')
    with op.batch_alter_table('operators') as batch:
        batch.drop_column('session_generation')
