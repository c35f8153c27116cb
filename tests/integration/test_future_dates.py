"""Entries dated ahead of now, as publishers write them (a year typo "2205", a CMS writing Seoul's
clock as UTC: nine hours ahead, a scheduled post listed early), served on loopback and read by a
real pass into a real store. The date was stored and shown as written: the alert said "2205"
or "tomorrow", and such a story was never too old for `alerts.max_age_hours`. A date more than
a little ahead is now not believed: the page's own date stands in, else the time first seen."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
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

_STAMP = "2025-01-17T22:30:00Z"  # the demo page's own date


def _item(title: str, page: str, date: str) -> str:
    return (
        f"<item><title>{title}</title><link>{{{{BASE}}}}/{page}</link>"
        f"<pubDate>{date}</pubDate></item>"
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_entries_dated_ahead_of_now_are_dated_by_their_page_or_when_first_seen(
    tmp_path: Path, db_url: str
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    now = utcnow().replace(microsecond=0)
    page_date = now - timedelta(hours=2)
    template = (DEMO_SITE / "en" / "ftc-ai-inquiry.html").read_text(encoding="utf-8")
    (site / "dated.html").write_text(
        template.replace(_STAMP, page_date.strftime("%Y-%m-%dT%H:%M:%SZ"))
    )
    # a page whose own date is ahead too: no date to believe, the story is as new as first seen
    ahead = (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    other = (DEMO_SITE / "en" / "us-aisi-layoffs.html").read_text(encoding="utf-8")
    (site / "ahead.html").write_text(other.replace("2025-02-20T21:10:00Z", ahead))
    typo = format_datetime(page_date.replace(year=2205))
    wrong_zone = format_datetime(now + timedelta(hours=9))
    (site / "index.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Skewed CMS</title>'
        + _item("FTC inquiry into AI partnerships", "dated.html", typo)
        + _item("US AI Safety Institute braces for layoffs", "ahead.html", wrong_zone)
        + "</channel></rss>"
    )
    with serve(site) as server:
        path = write_config(
            tmp_path,
            feeds=[("skewed-cms", "/index.xml", "en")],
            base=server.base,
            database_url=db_url,
            default_channel="#news",
            alerts={"max_age_hours": 72},
        )
        with path.open("a", encoding="utf-8") as file:
            file.write("workers: 0\n")
        config = load_config(path)
        ctx = Context.open(config)

        async def one_pass() -> None:
            async with ctx.fetching() as fetcher:
                await process_feeds(ctx, fetcher, config.feeds)

        try:
            before = utcnow()
            asyncio.run(one_pass())
            after = utcnow()
            with ctx.store.session() as s:
                stored = {
                    url.rsplit("/", 1)[-1]: (_aware(published), status)
                    for url, published, status in s.execute(
                        select(ArticleRow.url, ArticleRow.published_at, AlertRow.status).join(
                            AlertRow, AlertRow.article_id == ArticleRow.id
                        )
                    ).all()
                }
        finally:
            ctx.close()
    assert stored["dated.html"] == (page_date, AlertStatus.PENDING)  # not 2205
    published, status = stored["ahead.html"]
    assert status is AlertStatus.PENDING
    assert before - timedelta(seconds=1) <= published <= after  # not nine hours ahead
