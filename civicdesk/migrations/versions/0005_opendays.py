"""open days: events, registrations, feedback, announcement subscriptions

Revision ID: 0005_opendays
Revises: 0001_initial
Create Date: 2026-11-25 02:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0005_opendays"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('openday_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('site_name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('starts_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('seats_taken', sa.Integer(), nullable=False),
    sa.Column('max_party_size', sa.Integer(), nullable=True),
    sa.Column('registration_opens_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('registration_closes_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('audience', sa.String(length=500), nullable=False),
    sa.Column('requires_id', sa.Boolean(), nullable=False),
    sa.Column('min_age', sa.Integer(), nullable=True),
    sa.Column('safety_gear_provided', sa.Boolean(), nullable=False),
    sa.Column('accessibility_notes', sa.Text(), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('minutes', sa.Text(), nullable=True),
    sa.Column('minutes_by', sa.String(length=80), nullable=True),
    sa.Column('minutes_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_openday_events')),
    sa.UniqueConstraint('uid', name=op.f('uq_openday_events_uid'))
    )
    op.create_index('ix_openday_events_status_start', 'openday_events', ['status', 'starts_at'], unique=False)
    op.create_table('openday_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('recipient', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_openday_subscriptions')),
    sa.UniqueConstraint('channel', 'recipient', name=op.f('uq_openday_subscriptions_channel'))
    )
    op.create_table('openday_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('party_size', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('channel_user_id', sa.String(length=64), nullable=True),
    sa.Column('chat_id', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('person_key', sa.String(length=140), nullable=False),
    sa.Column('check_in_code', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('promoted_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.String(length=80), nullable=True),
    sa.Column('attended_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('checked_in_by', sa.String(length=80), nullable=True),
    sa.Column('reminder_sent_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('feedback_requested_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['openday_events.id'], name=op.f('fk_openday_registrations_event_id_openday_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_openday_registrations')),
    sa.UniqueConstraint('event_id', 'check_in_code', name=op.f('uq_openday_registrations_event_id'))
    )
    op.create_index('ix_openday_registrations_channel_user', 'openday_registrations', ['channel', 'channel_user_id'], unique=False)
    op.create_index('ix_openday_registrations_event_status', 'openday_registrations', ['event_id', 'status', 'id'], unique=False)
    op.create_index('uq_openday_registrations_active_person', 'openday_registrations', ['event_id', 'person_key'], unique=True, postgresql_where=sa.text("status <> 'cancelled'"), sqlite_where=sa.text("status <> 'cancelled'"))
    op.create_table('openday_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['openday_events.id'], name=op.f('fk_openday_feedback_event_id_openday_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['openday_registrations.id'], name=op.f('fk_openday_feedback_registration_id_openday_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_openday_feedback')),
    sa.UniqueConstraint('registration_id', name=op.f('uq_openday_feedback_registration_id'))
    )
    op.create_index(op.f('ix_openday_feedback_event_id'), 'openday_feedback', ['event_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_openday_feedback_event_id'), table_name='openday_feedback')
    op.drop_table('openday_feedback')
    op.drop_index('uq_openday_registrations_active_person', table_name='openday_registrations', postgresql_where=sa.text("status <> 'cancelled'"), sqlite_where=sa.text("status <> 'cancelled'"))
    op.drop_index('ix_openday_registrations_event_status', table_name='openday_registrations')
    op.drop_index('ix_openday_registrations_channel_user', table_name='openday_registrations')
    op.drop_table('openday_registrations')
    op.drop_table('openday_subscriptions')
    op.drop_index('ix_openday_events_status_start', table_name='openday_events')
    op.drop_table('openday_events')
