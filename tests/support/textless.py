"""A feed whose article pages hold no text newsmon finds, over passes spread across simulated
days (each pass's new articles are dated back to their day): shared by the flow tests of
health's `pages_unread` for pages that stopped holding text and pages that never did."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update

from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus.schema import ArticleRow
from newsmon.devsite import SiteServer
from newsmon.notices import NOTICE_EVENT
from tests.support.fake_slack import FakeSlack

FEED = "/feeds/news.xml"
# what a JS app serves for every article: a shell its script fills in
SHELL = (
    "<!doctype html><html><head><title>Example News</title></head><body>"
    '<div id="root"></div><script src="/static/app.js"></script></body></html>'
)


def teaser(n: int) -> str:
    return f"Lab {n} released weights today."


def shell(n: int) -> str:
    """An app shell: the page answers 200 and holds no text."""
    return SHELL


def brief(n: int) -> str:
    """A short brief: the page says what the feed says, under the extractor's minimum."""
    return (
        f"<!doctype html><html><head><title>Brief {n}</title></head><body><article>"
        f"<h1>Brief {n}</h1><p>{teaser(n)}</p></article></body></html>"
    )


def article(n: int) -> str:
    """A page whose story extraction reads."""
    paragraphs = "".join(
        f"<p>Paragraph {i} of story {n}: the lab said its model weights are published under an "
        f"open license, with the training code and an evaluation report for researchers.</p>"
        for i in range(6)
    )
    return (
        f"<!doctype html><html><head><title>Story {n}</title></head><body><article>"
        f"<h1>Lab {n} publishes model weights</h1>{paragraphs}</article></body></html>"
    )


class TextlessSite:
    """The feed lists every story published so far; `publish` adds stories whose page is
    what `page` makes of their number."""

    def __init__(self, site: SiteServer) -> None:
        self.site, self.items = site, []
        self.published = 0

    def publish(self, count: int, page: Any) -> None:
        for _ in range(count):
            n, path = self.published, f"/news/story-{self.published}.html"
            self.published += 1
            self.site.routes[path] = {"body": page(n), "content_type": "text/html; charset=utf-8"}
            self.items.append(
                f"<item><title>Lab {n} publishes model weights under an open license</title>"
                f"<link>{self.site.url(path)}</link><guid>{self.site.url(path)}</guid>"
                f"<pubDate>{format_datetime(utcnow())}</pubDate>"
                f"<description>{teaser(n)}</description></item>"
            )
        rss = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Example News</title><link>{self.site.url('/')}</link>"
            f"<description>news</description>{''.join(reversed(self.items))}</channel></rss>"
        )
        self.site.routes[FEED] = {"body": rss, "content_type": "application/rss+xml"}


def pass_on_day(config: Path, db_url: str, days_ago: int) -> None:
    """One pass, its new articles first seen `days_ago` days ago."""
    from flows.monitor import monitor

    started = utcnow()
    asyncio.run(monitor(config_path=str(config), force=True))
    if days_ago:
        store = Store.open(db_url)
        try:
            with store.engine.begin() as conn:
                conn.execute(
                    update(ArticleRow)
                    .where(ArticleRow.first_seen_at >= started)
                    .values(first_seen_at=started - timedelta(days=days_ago))
                )
        finally:
            store.close()


def notices(slack: FakeSlack) -> list[dict[str, Any]]:
    return [p for p in slack.posts if (p.get("metadata") or {}).get("event_type") == NOTICE_EVENT]
