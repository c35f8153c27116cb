"""Articles: whether the page was downloaded and held no article text (`page_textless`), the
teaser standing for it. Health's `pages_unread` told these apart from download failures by
nothing, so a feed whose pages never held text (links to X posts, videos, PDFs; short briefs)
was reported for ever; now they count only for a feed whose pages used to hold text.

Rows stored before: a teaser after a page that was read is marked by the note extraction
wrote with it (the one time that wording is read; new rows are marked when stored).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-17
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

# What extraction noted of a page it read without finding its text (frozen copies of
# `newsmon.extract`'s wording as of 0029).
NOTES = ("page had no article text", "page text too short")
TEASERS = ("feed-summary", "page-description", "none")


def upgrade() -> None:
    # a plain ADD COLUMN (its default makes NOT NULL legal on SQLite): batch mode would copy
    # the whole articles table of a SQLite corpus into a new one, and lay its constraints out
    # in an order that differs from run to run
    op.add_column(
        "articles",
        sa.Column("page_textless", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    rows = sa.table(
        "articles",
        sa.column("page_textless", sa.Boolean),
        sa.column("page_attempts", sa.Integer),
        sa.column("page_retry_at", sa.DateTime),
        sa.column("page_unrequested_at", sa.DateTime),
        sa.column("text_source", sa.String),
        sa.column("extraction_note", sa.Text),
    )
    op.execute(
        rows.update()
        .where(
            rows.c.page_attempts > 0,
            rows.c.page_retry_at.is_(None),
            rows.c.page_unrequested_at.is_(None),
            rows.c.text_source.in_(TEASERS),
            sa.or_(*(rows.c.extraction_note.like(f"{note}%") for note in NOTES)),
        )
        .values(page_textless=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("page_textless")
