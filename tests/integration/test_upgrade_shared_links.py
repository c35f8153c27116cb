"""Upgrading a corpus written before items sharing one link were told apart (`entry_keys`,
review-feedforms). The release before kept one article per link: the first update of a live
blog was stored and announced under the page's key, and each newer update listed first was
taken for an edit of it, so the row's title and entry fingerprint became the newer update's
while its alert, its publication date and its GUID stayed the first's. The rows are built here
as that release left them (a pass of today's code while the update is the page's only entry
stores the same row; the edit is written as its `update_article` wrote it)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from newsmon.config import Config
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow, ArticleRow
from newsmon.dedup import entry_fingerprint
from newsmon.devsite import SiteServer, serve
from newsmon.pipeline import Context, FeedOutcome, process_feed
from tests.integration.test_fetching import BODY, rss
from tests.support.configs import make_config

# Tests of migrating, of old releases' corpora or of a corpus's first open: no copy of one at head.
pytestmark = pytest.mark.fresh_corpus

FIRST = (
    "메타, 라마 가중치 오픈소스로 공개",
    "메타가 새 언어모델 라마의 가중치를 오픈소스 라이선스로 내려받게 했다. 메타는 이번 공개가 "
    "연구자와 개발자 모두를 위한 것이라고 설명했다.",
)
NEWER = (
    "국내 스타트업, 번역 모델 가중치 오픈소스 공개",
    "서울의 한 스타트업이 한국어 번역 모델의 가중치를 깃허브에 오픈소스로 공개했다고 밝혔다. "
    "회사는 상업적 이용도 허용한다고 덧붙였다.",
)


def update_item(story: tuple[str, str], link: str, date: str) -> str:
    title, summary = story
    return (
        f"<item><title>{title}</title><link>{link}</link><description>{summary}</description>"
        f"<pubDate>{date}</pubDate></item>"
    )


def run(ctx: Context, config: Config) -> FeedOutcome:
    """One pass of the feed on an open corpus (one worker pool for every pass of a test)."""

    async def go() -> FeedOutcome:
        async with ctx.fetching() as fetcher:
            return await process_feed(ctx, fetcher, config.feeds[0], force=True)

    return asyncio.run(go())


def queued_titles(ctx: Context) -> list[str | None]:
    """The titles of the stories whose alerts wait to be posted."""
    with ctx.store.session() as s:
        return list(
            s.scalars(
                select(ArticleRow.title)
                .join(AlertRow, AlertRow.article_id == ArticleRow.id)
                .where(AlertRow.status == AlertStatus.PENDING)
            )
        )


def mark_sent(ctx: Context) -> None:
    """Every queued alert posted, as a delivery would leave it."""
    with ctx.store.session() as s:
        s.execute(update(AlertRow).values(status=AlertStatus.SENT, slack_ts="1.000001"))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteServer]:
    root = tmp_path / "site"
    root.mkdir()
    (root / "live.html").write_text(f"<html><body><article>{BODY}</article></body></html>")
    (root / "_routes.json").write_text(json.dumps({}))
    with serve(root) as server:
        yield server


def test_the_announced_update_of_an_old_live_blog_row_is_not_announced_again(
    tmp_path: Path, site: SiteServer, db_url: str
) -> None:
    """The release before announced the first update, then took the newer one for its edit.
    After the upgrade the first update is the row's (its date says so): announced once, not
    twice; the newer one, never announced, is now."""
    page = f"{site.base}/live.html"
    first = update_item(FIRST, page, "Mon, 30 Nov 2026 09:00:00 +0900")
    newer = update_item(NEWER, page, "Mon, 30 Nov 2026 10:30:00 +0900")
    feed = Path(site.root) / "feed.xml"
    feed.write_text(rss(first), encoding="utf-8")
    config = make_config(
        tmp_path, feeds=[("live", "/feed.xml")], base=site.base, database_url=db_url
    )
    ctx = Context.open(config)
    try:
        stored = run(ctx, config)
        assert (stored.new_articles, stored.alerts_queued) == (1, 1), stored
        mark_sent(ctx)
        with ctx.store.session() as s:  # the newer update taken for its edit, as then
            s.execute(
                update(ArticleRow).values(
                    title=NEWER[0], entry_fingerprint=entry_fingerprint(*NEWER)
                )
            )
        feed.write_text(rss(newer + first), encoding="utf-8")
        upgraded = run(ctx, config)
        assert (upgraded.new_articles, upgraded.alerts_queued) == (1, 1), upgraded
        assert queued_titles(ctx) == [NEWER[0]]  # not the first update, announced already
        again = run(ctx, config)
        assert (again.new_articles, again.alerts_queued) == (0, 0), again
    finally:
        ctx.close()


def test_the_newer_update_alone_at_the_link_is_announced_and_listing_both_repeats_neither(
    tmp_path: Path, site: SiteServer, db_url: str
) -> None:
    """A live blog whose page yields no article text, listing only its latest update: the
    newer update replaced the first's words in its row (an edit) until it was told from its
    content to be another story. Listed together, each has its row, neither announced twice."""
    (Path(site.root) / "live.html").write_text("<html><body><p>Live.</p></body></html>")
    page = f"{site.base}/live.html"
    first = update_item(FIRST, page, "Mon, 30 Nov 2026 09:00:00 +0900")
    newer = update_item(NEWER, page, "Mon, 30 Nov 2026 10:30:00 +0900")
    feed = Path(site.root) / "feed.xml"
    config = make_config(
        tmp_path, feeds=[("live", "/feed.xml")], base=site.base, database_url=db_url
    )
    ctx = Context.open(config)
    try:
        feed.write_text(rss(first), encoding="utf-8")
        stored = run(ctx, config)
        assert (stored.new_articles, stored.alerts_queued) == (1, 1), stored
        mark_sent(ctx)
        feed.write_text(rss(newer), encoding="utf-8")
        # another story at the link (newsmon.story_reuse): announced, the first set aside
        alone = run(ctx, config)
        assert (alone.new_articles, alone.alerts_queued, alone.updated) == (1, 1, 0), alone
        feed.write_text(rss(newer + first), encoding="utf-8")
        both = run(ctx, config)
        assert (both.new_articles, both.alerts_queued, both.updated) == (0, 0, 0), both
        assert queued_titles(ctx) == [NEWER[0]]  # not the first update, announced already
        again = run(ctx, config)
        assert (again.new_articles, again.alerts_queued) == (0, 0), again
    finally:
        ctx.close()
