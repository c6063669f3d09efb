"""operators: console accounts with hashed passwords and roles

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-01 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import gateway.tables

revision = '0003'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('operators',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('locked_until', gateway.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', gateway.tables.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operators')),
    sa.UniqueConstraint('name', name=op.f('uq_operators_name'))
    )


def downgrade() -> None:
    op.drop_table('operators')
