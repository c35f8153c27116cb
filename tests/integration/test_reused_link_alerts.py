"""A story whose link its publisher gave to a newer story (a one-item "latest story" feed, a
front-page slot) while its alert still waited (Slack down when its pass delivered). The stored
story is set aside (`#item-replaced`, `newsmon.story_reuse`) and the newer one is stored and
announced under the link. Before, the waiting alert of the first was posted later all the same:
its headline linked to a page that now shows the other story (a wrong announcement), next to
the newer story's own alert on the same link. Now it is held back (`skipped (replaced)`) and the
newer story is announced once; `backfill --alerts` does not queue it again. A real pass over the devsite on loopback, the real Store on
SQLite and PostgreSQL, the real slack_sdk against the fake Slack."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.corpus.holds import HoldReason
from newsmon.corpus.records import AlertStatus
from newsmon.devsite import SiteServer, serve
from newsmon.pipeline import Context, FeedOutcome, deliver, process_feed
from tests.integration.test_fetching import rss
from tests.integration.test_revived_replies import _backfill_with_alerts
from tests.integration.test_upgrade_shared_links import FIRST, NEWER, update_item
from tests.support.configs import write_config
from tests.support.delivery import FAST, context
from tests.support.fake_slack import FakeSlack


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteServer]:
    root = tmp_path / "site"
    root.mkdir()
    with serve(root) as server:
        yield server


def _publish(site: SiteServer, story: tuple[str, str], date: str) -> None:
    """The feed lists `story` alone under the one link, whose page now shows it."""
    title, summary = story
    root = Path(site.root)
    (root / "latest.html").write_text(
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{summary}</p><p>{summary}</p><p>{summary}</p></article></body></html>",
        encoding="utf-8",
    )
    item = update_item(story, f"{site.base}/latest.html", date)
    (root / "feed.xml").write_text(rss(item), encoding="utf-8")


def _pass(ctx: Context) -> FeedOutcome:
    async def go() -> FeedOutcome:
        async with ctx.fetching() as fetcher:
            return await process_feed(ctx, fetcher, ctx.config.feeds[0], force=True)

    return asyncio.run(go())


def _config(tmp_path: Path, site: SiteServer, db_url: str, *, enabled: bool = True) -> Path:
    return write_config(
        tmp_path,
        feeds=[("latest", "/feed.xml")],
        base=site.base,
        database_url=db_url,
        default_channel="#news",
        slack=FAST,
        alerts={"enabled": enabled},
    )


def test_the_waiting_alert_of_a_story_whose_link_now_serves_another_is_not_posted(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, db_url: str
) -> None:
    ctx = context(_config(tmp_path, site, db_url), slack)
    try:
        _publish(site, FIRST, "Mon, 30 Nov 2026 09:00:00 +0900")
        first = _pass(ctx)
        assert (first.new_articles, first.alerts_queued) == (1, 1), first
        # not delivered: Slack was down, or the pass was stopped before it delivered
        _publish(site, NEWER, "Mon, 30 Nov 2026 10:30:00 +0900")
        newer = _pass(ctx)
        assert (newer.new_articles, newer.alerts_queued, newer.updated) == (1, 1, 0), newer
        outcome = deliver(ctx)
        posted = [p["text"] for p in slack.top_level("#news")]
        # before: two posts, the first story's headline on a link showing the newer story
        assert outcome.sent == 1 and len(posted) == 1, posted
        assert NEWER[0] in posted[0] and FIRST[0] not in posted[0]
        held = ctx.store.list_alerts(reason=HoldReason.REPLACED)
        assert [a.status for a in held] == [AlertStatus.SKIPPED]
        again = _pass(ctx)
        assert (again.new_articles, again.alerts_queued) == (0, 0), again
        assert deliver(ctx).sent == 0
        # nor does `backfill --alerts`, which queues held-back alerts again, post it
        assert _backfill_with_alerts(ctx) == 0
        assert deliver(ctx).sent == 0
    finally:
        ctx.close()
    assert len(slack.top_level("#news")) == 1


def test_a_backfill_after_alerts_were_off_announces_only_the_story_now_at_the_link(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, db_url: str
) -> None:
    """Both stories seen while alerts were off (held back, `alerts_off`); the operator turns
    them on and runs `backfill --alerts`, which queues such alerts again. Before, the first
    story's was queued too and posted on the link that shows the newer story."""
    ctx = context(_config(tmp_path, site, db_url, enabled=False), slack)
    try:
        _publish(site, FIRST, "Mon, 30 Nov 2026 09:00:00 +0900")
        _pass(ctx)
        _publish(site, NEWER, "Mon, 30 Nov 2026 10:30:00 +0900")
        assert _pass(ctx).new_articles == 1
        assert ctx.store.count_alerts(AlertStatus.SKIPPED) == 2
    finally:
        ctx.close()
    ctx = context(_config(tmp_path, site, db_url), slack)
    try:
        assert _backfill_with_alerts(ctx) == 1  # before: 2
        assert deliver(ctx).sent == 1
        [posted] = [p["text"] for p in slack.top_level("#news")]
        assert NEWER[0] in posted and FIRST[0] not in posted
        assert [a.status for a in ctx.store.list_alerts(reason=HoldReason.REPLACED)] == [
            AlertStatus.SKIPPED
        ]
    finally:
        ctx.close()
