"""Pages tried again: an article stored from its teaser because its page could not be
downloaded (a timeout, a 5xx) keeps when its page is due for another try and how many tries
it has had, so a later pass can read the article and announce what the teaser hid.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page_retry_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("page_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_articles_page_retry_at"), ["page_retry_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articles_page_retry_at"))
        batch_op.drop_column("page_attempts")
        batch_op.drop_column("page_retry_at")
