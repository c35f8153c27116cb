"""A private feed's entries without a link of their own: the article points readers at the
feed's site (its channel `<link>`) or, lacking one, at the feed itself. Either may carry the
reader's key; neither may be stored or posted with it."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from newsmon.devsite import serve
from newsmon.pipeline import Context, FeedOutcome, process_feed
from tests.flows.test_feed_secrets_flow import corpus_texts_holding
from tests.support.configs import make_config

SECRET = "hunter2secret"


@pytest.mark.parametrize("home", ["/?apikey={key}", None], ids=["keyed-site", "no-site"])
def test_a_keyed_feed_s_entries_without_links_point_at_no_key(
    tmp_path: Path, home: str | None
) -> None:
    """An entry with no link is its own text, stored under its feed's site or the feed's own
    address: with the key the feed's URL (or its channel's `<link>`) carries."""
    key = f"k-{SECRET}"
    (tmp_path / "_routes.json").write_text(json.dumps({}))
    with serve(tmp_path) as site:
        channel = ""
        if home is not None:
            channel = f"<link>{site.url(home.format(key=key))}</link>"
        items = "".join(
            f"<item><title>FTC notice {n}</title><guid isPermaLink='false'>note-{n}</guid>"
            f"<description>The FTC opened inquiry {n} into model weights.</description></item>"
            for n in range(2)
        )
        (tmp_path / "private.xml").write_text(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{channel}'
            f"{items}</channel></rss>"
        )
        config = make_config(
            tmp_path, feeds=[("private", f"/private.xml?apikey={key}")], base=site.base
        )
        ctx = Context.open(config)
        try:

            async def go() -> FeedOutcome:
                async with ctx.fetching() as fetcher:
                    return await process_feed(ctx, fetcher, config.feeds[0], force=True)

            outcome = asyncio.run(go())
        finally:
            ctx.close()
    assert outcome.ok and outcome.new_articles == 2, outcome
    held = corpus_texts_holding(tmp_path / "corpus.db", SECRET)
    assert held == [], "\n".join(map(str, held))
    with sqlite3.connect(tmp_path / "corpus.db") as con:
        urls = {url for (url,) in con.execute("SELECT url FROM articles")}
    assert len(urls) == 1 and urls.pop().startswith(site.base)  # still the feed's site
