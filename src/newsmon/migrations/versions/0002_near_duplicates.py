"""near duplicates: MinHash signatures, LSH band index, clusters' sightings, entry fingerprints

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Existing articles get a signature and (originals only, as add_article does for exact copies'
heads) their band rows, computed in batches here, so the upgraded corpus is searchable at once;
existing copies were found by body hash and are marked as such. Hand-written: batch operations
on SQLite, plain ALTERs on PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duplicate_reason", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("similarity", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("minhash", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("minhash_scheme", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("entry_fingerprint", sa.String(length=64), nullable=True))

    op.create_table(
        "article_bands",
        sa.Column("band_key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("band_key", "article_id"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "article_sightings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("article_id", "feed_id", "url", name="uq_sightings_article_feed_url"),
    )
    _index_existing_articles()


def _index_existing_articles() -> None:
    from newsmon.dedup import minhash_signature

    bind = op.get_bind()
    articles = sa.table(
        "articles",
        sa.column("id", sa.Integer),
        sa.column("text", sa.Text),
        sa.column("duplicate_of_id", sa.Integer),
        sa.column("duplicate_reason", sa.String),
        sa.column("similarity", sa.Float),
        sa.column("minhash", sa.LargeBinary),
        sa.column("minhash_scheme", sa.String),
    )
    bands = sa.table(
        "article_bands", sa.column("band_key", sa.BigInteger), sa.column("article_id", sa.Integer)
    )
    bind.execute(
        articles.update()
        .where(articles.c.duplicate_of_id.is_not(None))
        .values(duplicate_reason="hash", similarity=1.0)
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(articles.c.id, articles.c.text, articles.c.duplicate_of_id)
            .where(articles.c.id > last)
            .order_by(articles.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        band_rows = []
        for article_id, body, duplicate_of in rows:
            signature = minhash_signature(body)
            if signature is None:
                continue
            bind.execute(
                articles.update()
                .where(articles.c.id == article_id)
                .values(minhash=signature.values, minhash_scheme=signature.scheme)
            )
            if duplicate_of is None:
                band_rows += [
                    {"band_key": k, "article_id": article_id}
                    for k in dict.fromkeys(signature.band_keys())
                ]
        if band_rows:
            bind.execute(bands.insert(), band_rows)
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_table("article_sightings")
    op.drop_table("article_bands")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("entry_fingerprint")
        batch_op.drop_column("minhash_scheme")
        batch_op.drop_column("minhash")
        batch_op.drop_column("similarity")
        batch_op.drop_column("duplicate_reason")
