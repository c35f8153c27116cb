"""runs: status (running, completed, failed, crashed) and error; finished_at empty while running

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Runs recorded before this revision all completed (only completed runs were written).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="completed")
        )
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch_op.alter_column(
            "finished_at", existing_type=sa.DateTime(timezone=True), nullable=True
        )
        batch_op.create_index("ix_runs_flow_started", ["flow", "started_at"], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM runs WHERE finished_at IS NULL")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_flow_started")
        batch_op.alter_column(
            "finished_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.drop_column("error")
        batch_op.drop_column("status")
