"""Health problems: since when every pass has found one (`present_since`), since when none has
(`absent_since`), and when a flapping one was said to be steady (`steady_at`). A flapping
problem was resolved after 9 passes without it (45 minutes on a 5-minute schedule, 9 hours on
an hourly one) and never said to be there for good; now both go by a duration. Problems stored
before keep NULLs: the next pass that finds one starts its run, and a run of passes without one
is timed from the next pass that misses it.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

COLUMNS = ("present_since", "absent_since", "steady_at")


def upgrade() -> None:
    with op.batch_alter_table("health_problems", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("health_problems", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
