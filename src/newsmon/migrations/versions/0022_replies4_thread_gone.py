"""Alerts: why the story's Slack message takes no more thread replies (`thread_gone`). A reply
refused `thread_not_found`, or one Slack posted at the channel's top level (the message
deleted), was dropped, but nothing stored said the thread was gone: each later copy of the
story, pass after pass, was posted again at the top level (then deleted) or refused again.
Alerts stored before keep NULL: the next reply refused so records it.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thread_gone", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("thread_gone")
