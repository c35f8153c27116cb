"""Articles for tests: a `NewArticle` from the fields a test cares about, the rest sensible."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from newsmon.corpus.records import NewArticle
from newsmon.dedup import content_hash, minhash_signature

PUBLISHED = datetime(2025, 2, 1, 9, tzinfo=UTC)


def new_article(
    canonical_url: str = "https://a.example/1",
    text: str = "body",
    *,
    signed: bool = False,
    **fields: Any,
) -> NewArticle:
    """An English page at `canonical_url` (also its `url` unless given) with body `text`,
    titled "T".

    `signed` adds what the pipeline computes from the body (content hash and MinHash
    signature), as a stored page would have; any other field is given by keyword.
    """
    article = NewArticle(
        canonical_url=canonical_url,
        url=canonical_url,
        feed_id=None,
        guid=None,
        title="T",
        text=text,
        text_source="page",
        extraction_note=None,
        language="en",
        author=None,
        published_at=PUBLISHED,
        content_hash=None,
    )
    if signed:
        article = replace(
            article, content_hash=content_hash(text), signature=minhash_signature(text)
        )
    return replace(article, **fields)
