"""feedback: notices to citizens, SMS opt-outs, case due dates and overdue levels, rating channel, WeChat last message

Revision ID: 0061
Revises: 0002
Create Date: 2026-12-06 22:40:00
"""
from alembic import op
import sqlalchemy as sa
import gateway.tables
from sqlalchemy.dialects import postgresql

revision = '0061'
down_revision = '0002'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, gateway.tables.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.add_column(_time('due_at', True))
        batch.add_column(sa.Column('overdue_level', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(_time('next_overdue_at', True))
        batch.create_index(batch.f('ix_cases_next_overdue_at'), ['next_overdue_at'])
    with op.batch_alter_table('case_ratings') as batch:
        batch.add_column(sa.Column('channel', sa.String(length=32), nullable=True))
    with op.batch_alter_table('wechat_users') as batch:
        batch.add_column(_time('last_message_at', True))
    op.create_table('notices',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', ID, nullable=False),
    sa.Column('update_key', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('route', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.String(length=200), nullable=False),
    sa.Column('refs', JSON, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('asks_rating', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    _time('next_attempt_at'), _time('lease_until', True),
    sa.Column('last_error', sa.Text(), nullable=True),
    _time('created_at'), _time('updated_at'), _time('sent_at', True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_notices_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices')),
    sa.UniqueConstraint('event_id', name=op.f('uq_notices_event_id')),
    sa.UniqueConstraint('update_key', 'route', 'recipient', name=op.f('uq_notices_update_key_route_recipient')),
    )
    op.create_index(op.f('ix_notices_state_next_attempt_at'), 'notices', ['state', 'next_attempt_at'])
    op.create_index(op.f('ix_notices_case_id'), 'notices', ['case_id'])
    op.create_table('sms_optouts',
    sa.Column('phone', sa.String(length=64), nullable=False),
    _time('created_at'),
    sa.PrimaryKeyConstraint('phone', name=op.f('pk_sms_optouts')),
    )


def downgrade() -> None:
    op.drop_table('sms_optouts')
    op.drop_index(op.f('ix_notices_case_id'), table_name='notices')
    op.drop_index(op.f('ix_notices_state_next_attempt_at'), table_name='notices')
    op.drop_table('notices')
    with op.batch_alter_table('wechat_users') as batch:
        batch.drop_column('last_message_at')
    with op.batch_alter_table('case_ratings') as batch:
        batch.drop_column('channel')
    with op.batch_alter_table('cases') as batch:
        batch.drop_index(batch.f('ix_cases_next_overdue_at'))
        batch.drop_column('next_overdue_at')
        batch.drop_column('overdue_level')
        batch.drop_column('due_at')
