"""conversations (assembly of chat bursts), ratings, WeChat followers, media and access-token storage

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 02:13:39.921856
"""
from alembic import op
import sqlalchemy as sa
import gateway.tables
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('wechat_session',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('expires_at', gateway.tables.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_wechat_session'))
    )
    op.create_table('wechat_users',
    sa.Column('openid', sa.String(length=128), nullable=False),
    sa.Column('subscribed', sa.Boolean(), nullable=False),
    sa.Column('scene', sa.String(length=128), nullable=True),
    sa.Column('last_lat', sa.Float(), nullable=True),
    sa.Column('last_lng', sa.Float(), nullable=True),
    sa.Column('last_crs', sa.String(length=8), nullable=True),
    sa.Column('last_precision', sa.Float(), nullable=True),
    sa.Column('last_location_at', gateway.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', gateway.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gateway.tables.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('openid', name=op.f('pk_wechat_users'))
    )
    op.create_table('case_ratings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('citizen', sa.String(length=200), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', gateway.tables.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_ratings_case_id_cases')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_case_ratings_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_ratings')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_case_ratings_ticket_id'))
    )
    op.create_table('conversation_parts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('idem_key', sa.String(length=300), nullable=False),
    sa.Column('part', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('applied_as', sa.String(length=8), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', gateway.tables.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_conversation_parts_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_parts'))
    )
    with op.batch_alter_table('conversation_parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_parts_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('conversations',
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('citizen', sa.String(length=200), nullable=False),
    sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('opened_at', gateway.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_message_at', gateway.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', gateway.tables.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_conversations_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('channel', 'citizen', name=op.f('pk_conversations'))
    )
    op.create_table('wechat_media',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('media_id', sa.String(length=512), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('attachment_id', sa.String(length=32), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', gateway.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_at', gateway.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gateway.tables.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_wechat_media_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wechat_media')),
    sa.UniqueConstraint('ticket_id', 'media_id', name=op.f('uq_wechat_media_ticket_id_media_id'))
    )
    with op.batch_alter_table('wechat_media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wechat_media_status_next_attempt_at'), ['status', 'next_attempt_at'], unique=False)




def downgrade() -> None:
    
    with op.batch_alter_table('wechat_media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wechat_media_status_next_attempt_at'))

    op.drop_table('wechat_media')
    op.drop_table('conversations')
    with op.batch_alter_table('conversation_parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_parts_ticket_id'))

    op.drop_table('conversation_parts')
    op.drop_table('case_ratings')
    op.drop_table('wechat_users')
    op.drop_table('wechat_session')

