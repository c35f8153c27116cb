"""What a channel's digest says: each story once, and only the stories really announced there
in the period, by when they went out; a digest finished by a later call shows every story once
across its parts, whatever changed in the corpus meanwhile. Real slack_sdk client, the fake
Slack on loopback, SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from newsmon import digest
from newsmon.corpus.records import AlertStatus, FeedSpec
from newsmon.corpus.schema import AlertRow, ArticleRow, DigestRow
from newsmon.pipeline.context import Context
from newsmon.pipeline.digests import DigestResult, run_digest
from newsmon.slack import make_sender
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted

NOW = datetime.now(UTC).replace(microsecond=0)
PERIOD = (NOW - timedelta(hours=24), NOW)
BEFORE = (NOW - timedelta(hours=48), NOW - timedelta(hours=24))
AFTER = (NOW, NOW + timedelta(hours=24))
_LINK = re.compile(r"<(https://[^|>]+)\|")


def _digest(ctx: Context, period: tuple[datetime, datetime] = PERIOD) -> DigestResult:
    sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
    return run_digest(ctx, sender, *period)


def _set(ctx: Context, article_id: int, **values: object) -> None:
    """Give an article's alert the status and times a test needs (what delivery would record)."""
    with ctx.store.session() as s:
        s.execute(update(AlertRow).where(AlertRow.article_id == article_id).values(**values))


def _sent(ctx: Context, article_id: int, queued: datetime, sent: datetime) -> None:
    _set(ctx, article_id, status=AlertStatus.SENT, created_at=queued, sent_at=sent, slack_ts="1.0")


def _titles(ctx: Context, ids: list[int], length: int) -> None:
    with ctx.store.session() as s:
        for article in s.scalars(select(ArticleRow).where(ArticleRow.id.in_(ids))):
            article.title = f"Story {article.id} ".ljust(length, "x")


def _links(fake: FakeSlack, channel: str = "#a") -> list[str]:
    """The story links of every digest part posted to `channel`, in order."""
    out: list[str] = []
    for post in fake.top_level(channel):
        for block in post["blocks"][1:]:
            out += _LINK.findall(block["text"]["text"])
    return out


def _headers(fake: FakeSlack, channel: str = "#a") -> list[str]:
    return [p["text"] for p in fake.top_level(channel)]


def test_a_digest_lists_the_stories_that_went_out_in_its_period_by_when_they_went_out(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """The period was applied to when an alert was queued, and queued alerts counted as
    announced: a story still waiting (a blocked channel, a retry) was in the digest though
    never posted, and a story queued before the period and posted in it (a blocked channel
    that works again, an alert revived by a backfill) was in no digest at all."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        ids = queue_alerts(ctx.store, {"#a": 7})
        in_period = NOW - timedelta(hours=3)
        _sent(ctx, ids[0], in_period, in_period)  # announced in the period
        _sent(ctx, ids[1], BEFORE[0], in_period)  # queued the day before, announced late
        _sent(ctx, ids[2], in_period, NOW + timedelta(minutes=5))  # goes out after the period
        _set(ctx, ids[3], created_at=in_period)  # still pending: not announced
        _set(ctx, ids[4], created_at=in_period, status=AlertStatus.FAILED)
        _set(ctx, ids[5], created_at=in_period, status=AlertStatus.SKIPPED)  # withdrawn
        _sent(ctx, ids[6], in_period, PERIOD[0])  # exactly at the period's start: in it

        assert _digest(ctx, BEFORE).channels == {}  # nothing went out the day before
        result = _digest(ctx)
        assert result.channels == {"#a": "3 stories in 1 message(s)"}
        urls = [f"https://a.example/a/{i}" for i in (6, 0, 1)]  # in the order they went out
        assert _links(fake) == urls
        assert "3 stories" in _headers(fake)[0]
        _digest(ctx, AFTER)
        assert _links(fake) == [*urls, "https://a.example/a/2"]
    finally:
        ctx.close()


def test_a_story_announced_through_two_of_its_copies_is_listed_once(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Two articles announced as two stories and later found to be one (a lone teaser whose
    page, read at last, shows it to be another story's copy) were listed twice."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        feeds = ctx.store.feeds.sync_feeds(
            [
                FeedSpec("wire", "https://w.example/f", None),
                FeedSpec("daily", "https://d.example/f", None),
            ]
        )
        first, second = queue_alerts(ctx.store, {"#a": 2})
        at = NOW - timedelta(hours=2)
        _sent(ctx, first, at, at)
        _sent(ctx, second, at, at + timedelta(minutes=1))
        with ctx.store.session() as s:
            s.execute(
                update(ArticleRow).where(ArticleRow.id == first).values(feed_id=feeds["wire"].id)
            )
            s.execute(
                update(ArticleRow)
                .where(ArticleRow.id == second)
                .values(feed_id=feeds["daily"].id, duplicate_of_id=first)
            )
        assert _digest(ctx).channels == {"#a": "1 story in 1 message(s)"}
        assert _links(fake) == ["https://a.example/a/0"]
        [post] = fake.top_level("#a")
        assert "2 sources" in post["blocks"][1]["text"]["text"]
        assert "Digest for #a: 1 story," in post["text"]
    finally:
        ctx.close()


def test_a_digest_finished_by_a_later_call_shows_every_story_once_across_its_parts(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """A digest stopped after its first part was rebuilt from the corpus as it was at the
    next call: titles edited meanwhile moved the split, and the parts posted then skipped some
    stories and repeated others."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        ids = queue_alerts(ctx.store, {"#a": 90})
        at = NOW - timedelta(hours=5)
        for n, article_id in enumerate(ids):
            _sent(ctx, article_id, at, at + timedelta(seconds=n))
        _titles(ctx, ids, 120)
        refused = Scripted(200, {"ok": False, "error": "channel_is_archived"})
        fake.channel_script["#a"] = [None, refused]  # the first part goes out
        first = _digest(ctx)
        assert first.unfinished == 1 and len(fake.top_level("#a")) == 1
        _titles(ctx, ids, 240)  # the stories' pages are edited meanwhile: longer titles
        finished = _digest(ctx, AFTER)  # the next day's call finishes it
        assert finished.unfinished == 0
        links = _links(fake)
        assert Counter(links) == Counter(f"https://a.example/a/{i}" for i in range(90))
        assert links == [f"https://a.example/a/{i}" for i in range(90)]  # in order
        parts = len(fake.top_level("#a"))
        assert all(f"of {parts})" in header for header in _headers(fake))
    finally:
        ctx.close()


def test_a_digest_finished_by_a_release_laying_lines_out_otherwise_posts_the_parts_left(
    tmp_path: Path, db_url: str, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A digest stopped after its first part is finished by the next release, whose lines are
    laid out otherwise (the line layout changed several times since digests kept their
    stories). The parts left were cut anew by the new layout: the boundary moved and the
    stories between the old and the new one were never posted. Each part's stories are kept
    when the digest begins now, and the finisher posts exactly the others."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        ids = queue_alerts(ctx.store, {"#a": 90})
        at = NOW - timedelta(hours=5)
        for n, article_id in enumerate(ids):
            _sent(ctx, article_id, at, at + timedelta(seconds=n))
        _titles(ctx, ids, 120)
        current = digest._line
        # the release that begins it: a longer line (the source's full name, say)
        monkeypatch.setattr(digest, "_line", lambda story: current(story) + " ·" + "y" * 150)
        refused = Scripted(200, {"ok": False, "error": "channel_is_archived"})
        fake.channel_script["#a"] = [None, refused]  # the first part goes out
        first = _digest(ctx)
        assert first.unfinished == 1 and len(fake.top_level("#a")) == 1
        monkeypatch.setattr(digest, "_line", current)  # upgraded: this release's lines
        finished = _digest(ctx, AFTER)  # the next day's call finishes it
        assert finished.unfinished == 0
        links = _links(fake)
        assert links == [f"https://a.example/a/{i}" for i in range(90)]  # each once, in order
        parts = len(fake.top_level("#a"))
        assert all(f"of {parts})" in header for header in _headers(fake))
    finally:
        ctx.close()


def test_a_digest_an_older_release_began_is_finished_after_the_stories_it_posted(
    tmp_path: Path, db_url: str, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A digest begun by an older release (another line layout, no parts kept) and stopped
    after its first part: the stories that part showed are read back from the channel, and
    the finisher posts exactly the others, none skipped at a moved boundary."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        ids = queue_alerts(ctx.store, {"#a": 90})
        at = NOW - timedelta(hours=5)
        for n, article_id in enumerate(ids):
            _sent(ctx, article_id, at, at + timedelta(seconds=n))
        _titles(ctx, ids, 120)
        current = digest._line
        monkeypatch.setattr(digest, "_line", lambda story: current(story) + " ·" + "y" * 150)
        refused = Scripted(200, {"ok": False, "error": "channel_is_archived"})
        fake.channel_script["#a"] = [None, refused]  # the first part goes out
        assert _digest(ctx).unfinished == 1 and len(fake.top_level("#a")) == 1
        with ctx.store.session() as s:  # as the older release kept it: the stories, no parts
            row = s.scalars(select(DigestRow)).one()
            row.content = [{k: v for k, v in item.items() if k != "part"} for item in row.content]
        monkeypatch.setattr(digest, "_line", current)  # upgraded: this release's lines
        assert _digest(ctx, AFTER).unfinished == 0
        assert _links(fake) == [f"https://a.example/a/{i}" for i in range(90)]
    finally:
        ctx.close()
