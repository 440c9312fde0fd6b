"""The licensing schema of the first release, as the tables were before migrations.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('office_id', sa.String(length=32), nullable=True),
    sa.Column('application_id', sa.String(length=32), nullable=True),
    sa.Column('case_id', sa.String(length=200), nullable=False),
    sa.Column('task_id', sa.String(length=32), nullable=False),
    sa.Column('county', sa.String(length=50), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('found_by', sa.String(length=100), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('open', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_county'), ['county'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_office_id'), ['office_id'], unique=False)

    op.create_table('inbox',
    sa.Column('consumer', sa.String(length=200), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('message_type', sa.String(length=200), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'message_id')
    )
    op.create_table('inspection_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=32), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('uploaded_by', sa.String(length=100), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inspection_photo', schema=None) as batch_op:
        batch_op.create_index('ux_inspection_photo_task_sha256', ['task_id', 'sha256'], unique=True)

    op.create_table('office',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('county', sa.String(length=50), nullable=False),
    sa.Column('county_serial', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('search_name', sa.String(length=500), nullable=False),
    sa.Column('sort_name', sa.String(length=250), nullable=False),
    sa.Column('area', sa.String(length=10), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('manager_name', sa.String(length=120), nullable=True),
    sa.Column('manager_mobile', sa.String(length=11), nullable=True),
    sa.Column('opening_hours', sa.String(length=300), nullable=True),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('listing', sa.String(length=20), nullable=False),
    sa.Column('last_activity_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('office', schema=None) as batch_op:
        batch_op.create_index('ix_office_registry', ['listing', 'county', 'sort_name', 'id'], unique=False)
        batch_op.create_index('ix_office_registry_area', ['listing', 'county', 'area', 'sort_name', 'id'], unique=False)
        batch_op.create_index('ux_office_code', ['code'], unique=True)
        batch_op.create_index('ux_office_county_serial', ['county', 'county_serial'], unique=True)

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

    op.create_table('upheld_complaint',
    sa.Column('complaint_id', sa.String(length=200), nullable=False),
    sa.Column('office_id', sa.String(length=32), nullable=False),
    sa.Column('upheld_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('complaint_id')
    )
    with op.batch_alter_table('upheld_complaint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_upheld_complaint_office_id'), ['office_id'], unique=False)

    op.create_table('license',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=True),
    sa.Column('office_id', sa.String(length=32), nullable=False),
    sa.Column('application_id', sa.String(length=32), nullable=True),
    sa.Column('holder_national_code', sa.String(length=10), nullable=False),
    sa.Column('holder_name', sa.String(length=120), nullable=False),
    sa.Column('holder_mobile', sa.String(length=11), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('approved_by', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('license', schema=None) as batch_op:
        batch_op.create_index('ix_license_holder', ['holder_national_code'], unique=False)
        batch_op.create_index('ix_license_status', ['status'], unique=False)
        batch_op.create_index('ux_license_application', ['application_id'], unique=True)
        batch_op.create_index('ux_license_number', ['number'], unique=True)
        batch_op.create_index('ux_license_office', ['office_id'], unique=True)

    op.create_table('office_activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('service_count', sa.Integer(), nullable=False),
    sa.Column('reported_by', sa.String(length=100), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('office_activity', schema=None) as batch_op:
        batch_op.create_index('ux_office_activity_month', ['office_id', 'year', 'month'], unique=True)

    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.String(length=40), nullable=True),
    sa.Column('office_id', sa.String(length=32), nullable=False),
    sa.Column('open_office_id', sa.String(length=32), nullable=True),
    sa.Column('license_number', sa.String(length=30), nullable=False),
    sa.Column('county', sa.String(length=50), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('recommended', sa.String(length=20), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('sweep_id', sa.String(length=200), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.String(length=4000), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('suspension_days', sa.Integer(), nullable=True),
    sa.Column('suspended_until', sa.Date(), nullable=True),
    sa.Column('decision_reason', sa.String(length=2000), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('applied', sa.Boolean(), nullable=True),
    sa.Column('refusal', sa.String(length=50), nullable=True),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index('ix_review_county', ['county', 'status'], unique=False)
        batch_op.create_index('ix_review_office', ['office_id', 'status'], unique=False)
        batch_op.create_index('ix_review_sweep', ['sweep_id'], unique=False)
        batch_op.create_index('ux_review_case', ['case_id'], unique=True)
        batch_op.create_index('ux_review_open_office', ['open_office_id'], unique=True)

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

    op.create_table('license_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('license_id', sa.Integer(), nullable=False),
    sa.Column('license_number', sa.String(length=30), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('change', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=2000), nullable=True),
    sa.Column('case_id', sa.String(length=200), nullable=True),
    sa.Column('application_id', sa.String(length=32), nullable=True),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['license_id'], ['license.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('license_event', schema=None) as batch_op:
        batch_op.create_index('ix_license_event_application', ['application_id', 'change'], unique=False)
        batch_op.create_index('ux_license_event_version', ['license_id', 'version'], unique=True)
    trigram_index()


def trigram_index() -> None:
    """On PostgreSQL, a trigram index lets the registry's name search (a substring anywhere
    in the name) use an index. It needs the pg_trgm extension: without the right to create
    it, searches still work, by scanning; so a refusal only rolls back to a savepoint."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            op.execute("CREATE INDEX IF NOT EXISTS ix_office_search_name_trgm "
                       "ON office USING gin (search_name gin_trgm_ops)")
    except DBAPIError as exc:  # no privilege, or no such extension
        log.warning("no trigram index for the registry's name search: %r", exc)



def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_office_search_name_trgm")
    with op.batch_alter_table('license_event', schema=None) as batch_op:
        batch_op.drop_index('ux_license_event_version')
        batch_op.drop_index('ix_license_event_application')

    op.drop_table('license_event')
    with op.batch_alter_table('task_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_event_task_id'))

    op.drop_table('task_event')
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index('ux_review_open_office')
        batch_op.drop_index('ux_review_case')
        batch_op.drop_index('ix_review_sweep')
        batch_op.drop_index('ix_review_office')
        batch_op.drop_index('ix_review_county')

    op.drop_table('review')
    with op.batch_alter_table('office_activity', schema=None) as batch_op:
        batch_op.drop_index('ux_office_activity_month')

    op.drop_table('office_activity')
    with op.batch_alter_table('license', schema=None) as batch_op:
        batch_op.drop_index('ux_license_office')
        batch_op.drop_index('ux_license_number')
        batch_op.drop_index('ux_license_application')
        batch_op.drop_index('ix_license_status')
        batch_op.drop_index('ix_license_holder')

    op.drop_table('license')
    with op.batch_alter_table('upheld_complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_upheld_complaint_office_id'))

    op.drop_table('upheld_complaint')
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
    with op.batch_alter_table('office', schema=None) as batch_op:
        batch_op.drop_index('ux_office_county_serial')
        batch_op.drop_index('ux_office_code')
        batch_op.drop_index('ix_office_registry_area')
        batch_op.drop_index('ix_office_registry')

    op.drop_table('office')
    with op.batch_alter_table('inspection_photo', schema=None) as batch_op:
        batch_op.drop_index('ux_inspection_photo_task_sha256')

    op.drop_table('inspection_photo')
    op.drop_table('inbox')
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_office_id'))
        batch_op.drop_index(batch_op.f('ix_finding_kind'))
        batch_op.drop_index(batch_op.f('ix_finding_county'))
        batch_op.drop_index(batch_op.f('ix_finding_case_id'))
        batch_op.drop_index(batch_op.f('ix_finding_application_id'))

    op.drop_table('finding')
