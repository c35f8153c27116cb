"""Runs: the Prefect flow run a row belongs to, so that when the worker sees a run's process die
(SIGKILL, out of memory) or cancels it, the row is marked crashed at once instead of staying
`running` until a pass an hour later finds it abandoned.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flow_run_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("flow_run_id")
