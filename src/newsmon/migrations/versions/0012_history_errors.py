"""Channels whose history cannot be read: why and since when, so health can say that a post
whose answer was lost cannot be checked there (the bot lacks channels:history, …).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("slack_channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("history_error", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("history_error_since", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("slack_channels", schema=None) as batch_op:
        batch_op.drop_column("history_error_since")
        batch_op.drop_column("history_error")
