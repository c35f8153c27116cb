"""Slack channels: until when Slack asked a channel to wait (Retry-After), since when and why,
one record every sender (alerts, thread replies, digests, ops notices) reads before posting:
kept before on the channel's queued alerts only, a later pass's new alerts, a separate digest
run and the ops notices posted into the wait.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-16
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("slack_channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wait_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("wait_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("wait_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("slack_channels", schema=None) as batch_op:
        batch_op.drop_column("wait_reason")
        batch_op.drop_column("wait_since")
        batch_op.drop_column("wait_until")
