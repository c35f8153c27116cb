"""Health problems: how many passes in a row have not found an announced problem, so that one
is resolved only when it stays gone (a share hovering at its threshold announced and resolved
pass after pass).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("health_problems", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("absent_passes", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("health_problems", schema=None) as batch_op:
        batch_op.drop_column("absent_passes")
