"""Retention of the near-duplicate index: an article remembers when its band rows were
dropped (an old story's bands are never looked up again), and a partial index finds the old
articles still indexed without reading the others.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

STILL_INDEXED = sa.text("bands_dropped_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("bands_dropped_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_articles_indexed_seen",
            ["first_seen_at"],
            unique=False,
            sqlite_where=STILL_INDEXED,
            postgresql_where=STILL_INDEXED,
        )


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index("ix_articles_indexed_seen")
        batch_op.drop_column("bands_dropped_at")
