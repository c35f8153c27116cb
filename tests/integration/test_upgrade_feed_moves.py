"""Upgrading a corpus where a feed that moved (301) onto another configured feed's address read
it for both: the release before let the first configured of the two read it, today the one
configured at the address does (`feed_twins.twin_feeds`). The stories the moved feed stored are
the same source's as the reader's: none gets an "also reported by" reply from the feed itself.
The corpus is built as that release left it: the moved feed's pass read the address and stored
its stories and the move (a pass of the moved feed alone does the same today)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from newsmon.devsite import serve
from newsmon.pipeline import Context, FeedOutcome, process_feeds
from tests.integration.test_keyed_feed_upgrade import _page
from tests.integration.test_twin_feeds import _count, _rss
from tests.support.configs import make_config

# Tests of migrating, of old releases' corpora or of a corpus's first open: no copy of one at head.
pytestmark = pytest.mark.fresh_corpus

MOVE = {"/old.xml": {"status": 301, "body": "", "headers": {"Location": "/feed.xml"}}}


def test_the_reader_taking_over_a_moved_feed_s_stories_replies_to_none(
    tmp_path: Path, db_url: str
) -> None:
    (tmp_path / "_routes.json").write_text(json.dumps(MOVE))
    topics = tmp_path / "topics.yaml"
    topics.write_text("version: 1\ntopics:\n  policy:\n    terms: {en: [FTC]}\n")
    for n in range(2):
        (tmp_path / f"p{n}.html").write_text(_page(n))
    with serve(tmp_path) as site:
        (tmp_path / "feed.xml").write_text(_rss(site.base, 2))

        def run(feeds: list[tuple[str, str]]) -> list[FeedOutcome]:
            config = make_config(
                tmp_path,
                feeds=feeds,
                base=site.base,
                database_url=db_url,
                topics=topics,
                default_channel="#news",
            )
            ctx = Context.open(config)

            async def go() -> list[FeedOutcome]:
                async with ctx.fetching() as fetcher:
                    return await process_feeds(ctx, fetcher, config.feeds, force=True)

            try:
                return asyncio.run(go())
            finally:
                ctx.close()

        (moved,) = run([("regional", "/old.xml")])  # the move stored, its stories read
        assert moved.ok and moved.new_articles == 2, moved
        regional, wire = run([("regional", "/old.xml"), ("wire", "/feed.xml")])
        assert regional.twin_of == "wire" and wire.ok and wire.already_seen == 2, (regional, wire)
    assert (_count(db_url, "alerts"), _count(db_url, "alert_replies")) == (2, 0)
