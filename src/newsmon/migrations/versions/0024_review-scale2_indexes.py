"""Indexes by feed and by posting time, for a corpus a year old: every pass read the whole
`articles` table to count each feed's stories (health) and to find a keyed feed's stories
(`forget_feed_keys`), and the whole `article_sightings` table for the same; a digest and health
read every alert for the ones posted in a period or the last one posted.

On PostgreSQL `CREATE INDEX` blocks writes to its table while it runs: 0.2 s for 300,000
articles (a year of 50 feeds), measured; a pass waits that long.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-13
"""

from __future__ import annotations

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

# name, table, columns
INDEXES = (
    ("ix_articles_feed_seen", "articles", ["feed_id", "first_seen_at"]),
    ("ix_article_sightings_feed_seen", "article_sightings", ["feed_id", "seen_at"]),
    ("ix_alerts_sent_at", "alerts", ["sent_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
