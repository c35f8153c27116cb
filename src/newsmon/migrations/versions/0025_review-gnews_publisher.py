"""Articles: the publisher an aggregator's item names (`<source>Publisher</source>`, Google News
searches and look-alikes). The alert of a story only such a feed carried named the feed as its
source, never the publisher. NULL for every other article, and for rows stored before.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("publisher", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("publisher")
