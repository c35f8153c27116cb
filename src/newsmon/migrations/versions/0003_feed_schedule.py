"""Feed polling schedule and health: config URL, next check, failure kind, last status.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("config_url", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("schedule_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("failure_kind", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("last_status", sa.Integer(), nullable=True))
    # Existing feeds were fetched from their configured URL.
    op.execute("UPDATE feeds SET config_url = url WHERE config_url IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.drop_column("last_status")
        batch_op.drop_column("failure_kind")
        batch_op.drop_column("schedule_note")
        batch_op.drop_column("next_check_at")
        batch_op.drop_column("config_url")
