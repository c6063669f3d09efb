"""sms and citizens: citizens and their identities, ticket → citizen, phone verification codes, SMS outbox

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-02 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import gateway.tables

revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, gateway.tables.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table('citizens',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    _time('created_at'), _time('updated_at'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_citizens'))
    )
    op.create_table('citizen_identities',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('citizen_id', ID, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    _time('verified_at', True),
    sa.Column('source', sa.String(length=32), nullable=True),
    _time('created_at'),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_citizen_identities_citizen_id_citizens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_citizen_identities')),
    sa.UniqueConstraint('kind', 'value', name=op.f('uq_citizen_identities_kind_value'))
    )
    op.create_index(op.f('ix_citizen_identities_citizen_id'), 'citizen_identities', ['citizen_id'], unique=False)
    op.create_table('ticket_citizens',
    sa.Column('ticket_id', ID, nullable=False),
    sa.Column('citizen_id', ID, nullable=False),
    sa.Column('identity', sa.String(length=200), nullable=False),
    _time('created_at'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_citizens_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_ticket_citizens_citizen_id_citizens')),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_ticket_citizens'))
    )
    op.create_index(op.f('ix_ticket_citizens_citizen_id'), 'ticket_citizens', ['citizen_id'], unique=False)
    op.create_table('phone_verifications',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('requester', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    _time('expires_at'), _time('confirmed_at', True), _time('created_at'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_verifications'))
    )
    op.create_index(op.f('ix_phone_verifications_requester_phone'), 'phone_verifications', ['requester', 'phone'],
                    unique=False)
    op.create_table('sms_outbox',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('idem_key', sa.String(length=300), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('to_phone', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('ticket_id', ID, nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    _time('next_attempt_at'), _time('lease_until', True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('provider_message_id', sa.String(length=100), nullable=True),
    _time('created_at'), _time('sent_at', True), _time('failed_at', True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_sms_outbox_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_outbox')),
    sa.UniqueConstraint('idem_key', name=op.f('uq_sms_outbox_idem_key'))
    )
    op.create_index(op.f('ix_sms_outbox_status_next_attempt_at'), 'sms_outbox', ['status', 'next_attempt_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sms_outbox_status_next_attempt_at'), table_name='sms_outbox')
    op.drop_table('sms_outbox')
    op.drop_index(op.f('ix_phone_verifications_requester_phone'), table_name='phone_verifications')
    op.drop_table('phone_verifications')
    op.drop_index(op.f('ix_ticket_citizens_citizen_id'), table_name='ticket_citizens')
    op.drop_table('ticket_citizens')
    op.drop_index(op.f('ix_citizen_identities_citizen_id'), table_name='citizen_identities')
    op.drop_table('citizen_identities')
    op.drop_table('citizens')
