"""near duplicates: MinHash signatures, LSH band index, clusters' sightings, entry fingerprints

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Existing articles get a signature and (originals only, as add_article does for exact copies'
heads) their band rows, computed in batches here, so the upgraded corpus is searchable at once;
existing copies were found by body hash and are marked as such. Hand-written: batch operations
on SQLite, plain ALTERs on PostgreSQL.

The signature and band keys are computed by a frozen copy of the code of the time (scheme
`ds2-affine32-poly64-s1-p128-c9`, 42 bands of 3 rows) kept in this file, not by newsmon.dedup: a
later change there must not change what this migration wrote. tests/unit/test_migrations.py
checks that the copy still agrees with the live code for as long as the scheme is the same.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 500

# --- frozen copy of newsmon.dedup's signature as of this revision (do not edit) ---------------

MINHASH_SCHEME = "ds2-affine32-poly64-s1-p128-c9"
_SHINGLE_CHARS = 9
_NUM_PERM = 128
_SEED = 1
_BANDS, _ROWS = 42, 3
_MIN_SIGNATURE_CHARS = 200
_SPACE = re.compile(r"\s+")
_POLY = np.uint64(0x100000001B3)


def _normalise_text(text: str) -> str:
    """NFKC, casefold, punctuation and symbols to spaces, runs of space to one."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(" " if unicodedata.category(ch)[0] in ("P", "S") else ch for ch in text)
    return _SPACE.sub(" ", text).strip()


def _shingle_hashes(norm: str) -> np.ndarray:
    """32-bit hashes of the distinct 9-grams: a 64-bit polynomial hash of the code points,
    finalised with MurmurHash3's fmix64, top 32 bits."""
    points = np.frombuffer(norm.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    width = min(_SHINGLE_CHARS, len(points))
    count = len(points) - width + 1
    h = np.zeros(count, dtype=np.uint64)
    for k in range(width):
        h = h * _POLY + points[k : k + count]
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    h = h ^ (h >> np.uint64(33))
    hashes: np.ndarray = np.unique((h >> np.uint64(32)).astype(np.uint32))
    return hashes


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch 2.0's "affine32" permutations for seed 1: odd a, any b (numpy's legacy
    RandomState stream, which numpy keeps stable)."""
    gen = np.random.RandomState(_SEED)
    a = gen.randint(0, 1 << 31, _NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, _NUM_PERM, dtype=np.uint32)
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    mixed: np.ndarray = h ^ (h >> np.uint32(16))
    return mixed


def signature(text: str | None) -> bytes | None:
    """The MinHash of a body (128 little-endian uint32), None when shorter than 200 characters
    once normalised. datasketch 2.0 `MinHash.update_batch` with scheme "affine32", written out."""
    if not text:
        return None
    norm = _normalise_text(text)
    if len(norm) < _MIN_SIGNATURE_CHARS:
        return None
    a, b = _permutations()
    hashed = _fmix32(_shingle_hashes(norm)).reshape(-1, 1)
    values = (hashed * a + b).min(axis=0)  # uint32 arithmetic wraps: that is the modulo 2**32
    return np.asarray(values, dtype="<u4").tobytes()


def band_keys(values: bytes) -> list[int]:
    """One signed 64-bit key per band; the scheme and band layout are hashed into every key."""
    prefix = f"{MINHASH_SCHEME}/{_BANDS}x{_ROWS}/".encode()
    width = _ROWS * 4
    keys = []
    for band in range(_BANDS):
        chunk = values[band * width : (band + 1) * width]
        digest = hashlib.blake2b(prefix + band.to_bytes(2, "big") + chunk, digest_size=8)
        keys.append(int.from_bytes(digest.digest(), "big", signed=True))
    return keys


# --- the migration ------------------------------------------------------------------------------


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
            values = signature(body)
            if values is None:
                continue
            bind.execute(
                articles.update()
                .where(articles.c.id == article_id)
                .values(minhash=values, minhash_scheme=MINHASH_SCHEME)
            )
            if duplicate_of is None:
                band_rows += [
                    {"band_key": k, "article_id": article_id}
                    for k in dict.fromkeys(band_keys(values))
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
