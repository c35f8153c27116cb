"""Articles: the site of the publisher an aggregator's item names (`<source url="…">`, its
registered domain). Without it a headline-only item joined a same-headline story of any other
outlet; now only its publisher's. NULL for every other article, and for rows stored before
(those join by the publisher's name, as before).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("publisher_site", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("publisher_site")
