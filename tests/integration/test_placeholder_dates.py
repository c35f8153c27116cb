"""A feed dating an undated post at the zero time of its language (Hugo's RSS, written in Go:
``Mon, 01 Jan 0001 00:00:00 +0000``; .NET's ``DateTime.MinValue``), served on loopback and
read by a real pass into a real store: the story is dated from its page and alerted. email.utils
reads a year below 100 as two digits, even written with four: the post was dated 1 January
2001, "older than 72 h when first seen", and its alert skipped: a story missed."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from newsmon.clock import utcnow
from newsmon.config import load_config
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow, ArticleRow
from newsmon.devsite import serve
from newsmon.pipeline import Context, process_feeds
from tests.conftest import DEMO_SITE
from tests.support.configs import write_config


def test_a_post_dated_at_the_zero_time_is_dated_from_its_page_and_alerted(
    tmp_path: Path, db_url: str
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    published = (utcnow() - timedelta(hours=2)).replace(microsecond=0)
    page = (DEMO_SITE / "en" / "ftc-ai-inquiry.html").read_text(encoding="utf-8")
    stamp = published.strftime("%Y-%m-%dT%H:%M:%SZ")
    (site / "story.html").write_text(re.sub(r"2025-01-17T22:30:00Z", stamp, page))
    (site / "index.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Hugo site</title>'
        "<item><title>FTC inquiry into AI partnerships</title>"
        "<link>{{BASE}}/story.html</link>"
        "<pubDate>Mon, 01 Jan 0001 00:00:00 +0000</pubDate></item></channel></rss>"
    )
    with serve(site) as server:
        path = write_config(
            tmp_path,
            feeds=[("hugo-site", "/index.xml", "en")],
            base=server.base,
            database_url=db_url,
            default_channel="#news",
            alerts={"max_age_hours": 72},
        )
        with path.open("a", encoding="utf-8") as file:
            file.write("workers: 0\n")  # one page: the pass's own process (no pool to start)
        config = load_config(path)
        ctx = Context.open(config)

        async def one_pass() -> None:
            async with ctx.fetching() as fetcher:
                await process_feeds(ctx, fetcher, config.feeds)

        try:
            asyncio.run(one_pass())
            with ctx.store.session() as s:
                [(stored, status, note)] = s.execute(
                    select(ArticleRow.published_at, AlertRow.status, AlertRow.last_error).join(
                        AlertRow, AlertRow.article_id == ArticleRow.id
                    )
                ).all()
        finally:
            ctx.close()
    assert (status, note) == (AlertStatus.PENDING, None)
    assert stored is not None and stored.replace(tzinfo=None) == published.replace(tzinfo=None)
