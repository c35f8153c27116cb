"""Entries that keep failing: a feed counts the passes in a row in which one of its entries was
stopped by an unexpected error (its story not stored), and since when, so health can say so.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("entry_failure_passes", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("entries_failing_since", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.drop_column("entries_failing_since")
        batch_op.drop_column("entry_failure_passes")
