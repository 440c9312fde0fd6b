"""The complaints schema of the first release, as the tables were before migrations.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('complaint',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tracking_code', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_seq', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('mobile', sa.String(length=11), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('description', sa.String(length=4000), nullable=False),
    sa.Column('amount_charged', sa.Integer(), nullable=True),
    sa.Column('service_name', sa.String(length=200), nullable=True),
    sa.Column('filed_by', sa.String(length=100), nullable=True),
    sa.Column('client_address', sa.String(length=45), nullable=True),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.Column('license_number', sa.String(length=30), nullable=False),
    sa.Column('office_name', sa.String(length=200), nullable=True),
    sa.Column('county', sa.String(length=50), nullable=False),
    sa.Column('holder_national_code', sa.String(length=10), nullable=False),
    sa.Column('office_response_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('office_response', sa.String(length=4000), nullable=True),
    sa.Column('office_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duplicate_of', sa.String(length=20), nullable=True),
    sa.Column('resolution', sa.JSON(), nullable=True),
    sa.Column('resolution_round', sa.Integer(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reopen_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reopen_requested_round', sa.Integer(), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tracking_code')
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_address_filed', ['client_address', 'filed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_county'), ['county'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_license_number'), ['license_number'], unique=False)
        batch_op.create_index('ix_complaint_mobile_filed', ['mobile', 'filed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_status'), ['status'], unique=False)

    op.create_table('complaint_license_view',
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.Column('office_name', sa.String(length=200), nullable=True),
    sa.Column('county', sa.String(length=50), nullable=False),
    sa.Column('area', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('holder_national_code', sa.String(length=10), nullable=False),
    sa.Column('holder_name', sa.String(length=120), nullable=False),
    sa.Column('holder_mobile', sa.String(length=11), nullable=False),
    sa.Column('office_manager_mobile', sa.String(length=11), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('number')
    )
    with op.batch_alter_table('complaint_license_view', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_license_view_holder_national_code'), ['holder_national_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_license_view_office_id'), ['office_id'], unique=False)

    op.create_table('complaint_lookup_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_address', sa.String(length=45), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('complaint_lookup_failure', schema=None) as batch_op:
        batch_op.create_index('ix_lookup_failure_address_at', ['client_address', 'at'], unique=False)

    op.create_table('inbox',
    sa.Column('consumer', sa.String(length=200), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('message_type', sa.String(length=200), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'message_id')
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('routing_key', sa.String(length=200), nullable=False),
    sa.Column('correlation_id', sa.String(length=200), nullable=False),
    sa.Column('envelope', sa.Text(), nullable=False),
    sa.Column('mandatory', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['sent_at', 'id'], unique=False)

    op.create_table('staff_member',
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('county', sa.String(length=50), nullable=True),
    sa.Column('mobile', sa.String(length=11), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('username')
    )
    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_member_county'), ['county'], unique=False)

    op.create_table('task',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('task_key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('case_id', sa.String(length=200), nullable=False),
    sa.Column('application_id', sa.String(length=200), nullable=True),
    sa.Column('candidate_role', sa.String(length=50), nullable=False),
    sa.Column('county', sa.String(length=50), nullable=False),
    sa.Column('assignee', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=50), nullable=True),
    sa.Column('reason', sa.String(length=2000), nullable=True),
    sa.Column('completed_by', sa.String(length=100), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('task_key')
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_assignee'), ['assignee'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_county'), ['county'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_status'), ['status'], unique=False)

    op.create_table('complaint_attachment',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('complaint_id', sa.String(length=32), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('original_name', sa.String(length=120), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('complaint_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_attachment_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('complaint_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.String(length=32), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('comment', sa.String(length=1000), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('complaint_id', 'round')
    )
    with op.batch_alter_table('complaint_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_rating_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('complaint_timeline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.String(length=32), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('step', sa.String(length=50), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('complaint_id', 'seq')
    )
    with op.batch_alter_table('complaint_timeline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_timeline_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('task_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('task_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_event_task_id'), ['task_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('task_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_event_task_id'))

    op.drop_table('task_event')
    with op.batch_alter_table('complaint_timeline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_timeline_complaint_id'))

    op.drop_table('complaint_timeline')
    with op.batch_alter_table('complaint_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_rating_complaint_id'))

    op.drop_table('complaint_rating')
    with op.batch_alter_table('complaint_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_attachment_complaint_id'))

    op.drop_table('complaint_attachment')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_status'))
        batch_op.drop_index(batch_op.f('ix_task_kind'))
        batch_op.drop_index(batch_op.f('ix_task_due_at'))
        batch_op.drop_index(batch_op.f('ix_task_county'))
        batch_op.drop_index(batch_op.f('ix_task_case_id'))
        batch_op.drop_index(batch_op.f('ix_task_assignee'))
        batch_op.drop_index(batch_op.f('ix_task_application_id'))

    op.drop_table('task')
    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_member_county'))

    op.drop_table('staff_member')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')

    op.drop_table('outbox')
    op.drop_table('inbox')
    with op.batch_alter_table('complaint_lookup_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_lookup_failure_address_at')

    op.drop_table('complaint_lookup_failure')
    with op.batch_alter_table('complaint_license_view', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_license_view_office_id'))
        batch_op.drop_index(batch_op.f('ix_complaint_license_view_holder_national_code'))

    op.drop_table('complaint_license_view')
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_status'))
        batch_op.drop_index(batch_op.f('ix_complaint_office_id'))
        batch_op.drop_index('ix_complaint_mobile_filed')
        batch_op.drop_index(batch_op.f('ix_complaint_license_number'))
        batch_op.drop_index(batch_op.f('ix_complaint_county'))
        batch_op.drop_index(batch_op.f('ix_complaint_channel'))
        batch_op.drop_index(batch_op.f('ix_complaint_category'))
        batch_op.drop_index('ix_complaint_address_filed')

    op.drop_table('complaint')
