"""An index on the inbox's received_at, for retention to prune it by age; content_pruned_at
on delivery and inbox_item, set when retention blanks a body after its legal keep period.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_pruned_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_received_at', ['received_at'], unique=False)

    with op.batch_alter_table('inbox_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_pruned_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('inbox_item', schema=None) as batch_op:
        batch_op.drop_column('content_pruned_at')

    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_received_at')

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_column('content_pruned_at')
