"""Articles: what `published_at` is: the date the feed's entry states (`feed`), its page's
(`page`), or none stated, when it was first seen (`seen`; `unknown` on the feed's first read,
its age unknown). A page read on a later try that states the date of a story dated only when
first seen then dates it, and its age is judged by it: an old story stored from its teaser
was announced as new. NULL for rows stored before (their dates are believed as stored).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dated_by", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("dated_by")
