"""Articles: whether nothing dated the story (neither its feed nor its page), its
`published_at` only when it was first seen. A page read on a later try that states the
story's date then dates it, and its age is judged by it: an old story stored from its teaser
was announced as new. False for rows stored before (their dates are believed as stored).

Revision ID: 0027
Revises: 0025 (0026 is taken by another branch: the merger renumbers)
Create Date: 2026-12-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("undated", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("undated")
