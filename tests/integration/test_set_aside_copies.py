"""A story set aside because its link now serves a newer story of its feed
(`corpus.set_aside`), when other outlets carried it under their own links (its cluster has
other copies). The story is the same; only its first link is lost. Before, its waiting alert
was held back for good (`replaced`) and the story never announced; a failed alert was posted on
the reused link by `alerts retry --failed`; a copy's "also reported by" reply still carried the
reused link. A real pass over the devsite on loopback, the real Store on SQLite and PostgreSQL,
the real slack_sdk against the fake Slack."""

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
from tests.support.fake_slack import FakeSlack, Scripted

FIRST_DATE = "Mon, 30 Nov 2026 09:00:00 +0900"
NEWER_DATE = "Mon, 30 Nov 2026 10:30:00 +0900"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteServer]:
    root = tmp_path / "site"
    root.mkdir()
    with serve(root) as server:
        yield server


def _page(story: tuple[str, str]) -> str:
    title, summary = story
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{summary}</p><p>{summary}</p><p>{summary}</p></article></body></html>"
    )


def _publish(site: SiteServer, story: tuple[str, str], date: str) -> None:
    """The reusing feed lists `story` alone under its one link, whose page now shows it."""
    root = Path(site.root)
    (root / "latest.html").write_text(_page(story), encoding="utf-8")
    item = update_item(story, f"{site.base}/latest.html", date)
    (root / "feed.xml").write_text(rss(item), encoding="utf-8")


def _other_outlet(site: SiteServer) -> str:
    """Another outlet carries the first story under its own link, for good: that link."""
    root = Path(site.root)
    (root / "other-story.html").write_text(_page(FIRST), encoding="utf-8")
    link = f"{site.base}/other-story.html"
    (root / "other.xml").write_text(rss(update_item(FIRST, link, FIRST_DATE)), encoding="utf-8")
    return link


def _pass(ctx: Context, feed: int) -> FeedOutcome:
    async def go() -> FeedOutcome:
        async with ctx.fetching() as fetcher:
            return await process_feed(ctx, fetcher, ctx.config.feeds[feed], force=True)

    return asyncio.run(go())


LATEST, OTHER = 0, 1


def _context(tmp_path: Path, site: SiteServer, db_url: str, slack: FakeSlack) -> Context:
    config = write_config(
        tmp_path,
        feeds=[("latest", "/feed.xml"), ("other", "/other.xml")],
        base=site.base,
        database_url=db_url,
        default_channel="#news",
        slack=FAST,
    )
    return context(config, slack)


def _posted(slack: FakeSlack) -> list[str]:
    return [str(p["blocks"]) for p in slack.top_level("#news")]


def test_a_set_aside_story_carried_by_another_outlet_is_announced_once_on_its_link(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, db_url: str
) -> None:
    """Its alert waited (Slack down); another outlet's copy joined its story. Now announced
    once, linking the other outlet's page (which shows it), beside the newer story's alert."""
    ctx = _context(tmp_path, site, db_url, slack)
    try:
        other_link = _other_outlet(site)
        _publish(site, FIRST, FIRST_DATE)
        assert _pass(ctx, LATEST).alerts_queued == 1
        copy = _pass(ctx, OTHER)
        assert (copy.duplicates, copy.alerts_queued) == (1, 0), copy  # a copy of the story
        _publish(site, NEWER, NEWER_DATE)
        assert _pass(ctx, LATEST).alerts_queued == 1
        assert deliver(ctx).sent == 2  # before: 1, the first story never announced
        posted = _posted(slack)
        [first] = [p for p in posted if FIRST[0] in p]
        [newer] = [p for p in posted if NEWER[0] in p]
        assert other_link in first and "latest.html" not in first
        assert "latest.html" in newer
        assert ctx.store.list_alerts(reason=HoldReason.REPLACED) == []
        # never twice: later passes and a backfill with alerts add nothing
        _pass(ctx, LATEST)
        _pass(ctx, OTHER)
        assert _backfill_with_alerts(ctx) == 0
        assert deliver(ctx).sent == 0
    finally:
        ctx.close()
    assert len(slack.top_level("#news")) == 2


def test_a_failed_alert_of_a_set_aside_story_is_never_retried_on_the_reused_link(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, db_url: str
) -> None:
    """Slack refused the first story's alert for good (failed); its link then served a newer
    story. Alone: `alerts retry --failed` must not post it on that link (before, it did).
    Carried by another outlet (the second test below): retried, it links that outlet's page."""
    ctx = _context(tmp_path, site, db_url, slack)
    try:
        _publish(site, FIRST, FIRST_DATE)
        _pass(ctx, LATEST)
        slack.channel_script["#news"] = [Scripted(200, {"ok": False, "error": "msg_too_long"})]
        assert deliver(ctx).failed == 1
        _publish(site, NEWER, NEWER_DATE)
        _pass(ctx, LATEST)
        assert deliver(ctx).sent == 1
        assert ctx.store.retry_alerts([], failed=True) == 0  # before: 1
        assert deliver(ctx).sent == 0
        assert [a.status for a in ctx.store.list_alerts(reason=HoldReason.REPLACED)] == [
            AlertStatus.SKIPPED
        ]
    finally:
        ctx.close()
    posted = _posted(slack)
    assert len(posted) == 1 and NEWER[0] in posted[0]


def test_a_failed_alert_of_a_set_aside_story_with_a_copy_is_retried_on_the_copys_link(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, db_url: str
) -> None:
    ctx = _context(tmp_path, site, db_url, slack)
    try:
        other_link = _other_outlet(site)
        _publish(site, FIRST, FIRST_DATE)
        _pass(ctx, LATEST)
        _pass(ctx, OTHER)
        slack.channel_script["#news"] = [Scripted(200, {"ok": False, "error": "msg_too_long"})]
        assert deliver(ctx).failed == 1
        _publish(site, NEWER, NEWER_DATE)
        _pass(ctx, LATEST)
        assert deliver(ctx).sent == 1
        assert ctx.store.retry_alerts([], failed=True) == 1
        assert deliver(ctx).sent == 1
    finally:
        ctx.close()
    [first] = [p for p in _posted(slack) if FIRST[0] in p]
    assert other_link in first and "latest.html" not in first


def test_a_set_aside_copys_also_reported_by_reply_never_carries_the_reused_link(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, db_url: str
) -> None:
    """The other outlet announced the story; the reusing feed's copy queued an "also reported
    by" reply under it (not delivered yet). Its link then served a newer story: the reply is
    held back (`replaced`), not posted with a link that opens another story."""
    ctx = _context(tmp_path, site, db_url, slack)
    try:
        _other_outlet(site)
        _pass(ctx, OTHER)
        assert deliver(ctx).sent == 1
        _publish(site, FIRST, FIRST_DATE)
        assert _pass(ctx, LATEST).alerts_queued == 0  # a copy: a reply under the alert
        assert ctx.store.replies.count_replies(AlertStatus.PENDING) == 1
        _publish(site, NEWER, NEWER_DATE)
        _pass(ctx, LATEST)
        outcome = deliver(ctx)
        assert (outcome.sent, outcome.replies_sent) == (1, 0), outcome  # before: a reply
        [held] = ctx.store.replies.list_replies({}, reason=HoldReason.REPLACED)
        assert held.status == AlertStatus.SKIPPED
    finally:
        ctx.close()
    assert "latest.html" not in str(slack.replies())


def test_a_copy_seen_after_its_story_was_set_aside_alone_announces_the_story(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, db_url: str
) -> None:
    """Set aside with no other copy: held back (`replaced`). Another outlet carries the story
    later, under its own link: the story is announced then, once, on that link (before, the
    held-back alert counted as its announcement: never posted)."""
    ctx = _context(tmp_path, site, db_url, slack)
    try:
        _publish(site, FIRST, FIRST_DATE)
        _pass(ctx, LATEST)
        _publish(site, NEWER, NEWER_DATE)
        _pass(ctx, LATEST)
        assert deliver(ctx).sent == 1
        other_link = _other_outlet(site)
        copy = _pass(ctx, OTHER)
        assert (copy.duplicates, copy.alerts_queued) == (1, 1), copy  # before: (1, 0)
        assert deliver(ctx).sent == 1
        _pass(ctx, OTHER)
        assert _backfill_with_alerts(ctx) == 0
        assert deliver(ctx).sent == 0
    finally:
        ctx.close()
    posted = _posted(slack)
    [first] = [p for p in posted if FIRST[0] in p]
    assert len(posted) == 2 and other_link in first and "latest.html" not in first
