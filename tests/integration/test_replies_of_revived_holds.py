"""Thread replies dropped (`not_posted`) while a story's alert was held back, and that alert
queued again by an edit of the story (`corpus.edits.revive_age_holds`: an edit giving back the
topics another took away, `edited_away`; or its page dating a story held back for an unknown
age, `too_old`). Before, the alert was posted alone: the sources seen while it was held stayed
dropped, and its thread named none of them. Likewise an edit giving a silent story its
first topic (`announce_edit`) now names the copies stored before it, as a page read at last
does. On SQLite and PostgreSQL with the real slack_sdk against the fake Slack on loopback."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from newsmon.corpus.holds import Hold, HoldReason
from newsmon.corpus.records import AlertStatus, DatedBy, NewArticle, StoredMatch
from tests.integration.test_edit_undated import _recent
from tests.integration.test_requeued_replies import copy_from, reply_sources
from tests.integration.test_revived_replies import TEXT, TITLE, _context, _delivered
from tests.support.articles import new_article
from tests.support.fake_slack import FakeSlack

URL = "https://origin.example/s"
POLICY = StoredMatch("policy", 3, [], "snippet")
UNKNOWN_AGE = Hold(HoldReason.TOO_OLD, "older than 24 h when first seen")


def _page(text: str, feed_id: int, **fields: object) -> NewArticle:
    return new_article(URL, text, title=TITLE, signed=True, feed_id=feed_id, **fields)


def test_an_edit_giving_the_topics_back_posts_the_replies_dropped_while_held(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    ctx = _context(tmp_path, db_url, slack)
    try:
        feed = ctx.store.sync_feed("origin", "https://origin.example/feed.xml", "en")
        routed = {"#news": ["policy"]}
        story = ctx.store.add_article(_page(TEXT, feed.id), [POLICY], "v1", routed)
        ctx.store.update_article(story.id, _page("Nothing to see.", feed.id), [], "v1", alerts={})
        assert copy_from(ctx, story.id, "wire") == 1
        assert _delivered(ctx) == (0, 0)  # held back (edited_away): its reply dropped
        back = ctx.store.update_article(
            story.id, _page(TEXT + " Updated.", feed.id), [POLICY], "v1", alerts=routed
        )
        assert back.alerts_queued == 1
        assert _delivered(ctx) == (1, 1)  # before: (1, 0), the thread named nobody
        assert reply_sources(slack) == ["wire"]
        assert slack.replies()[0]["thread_ts"] == slack.top_level("#news")[0]["ts"]
        assert _delivered(ctx) == (0, 0)  # once
    finally:
        ctx.close()


def test_a_story_of_unknown_age_dated_recent_by_its_edit_posts_its_dropped_replies(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    ctx = _context(tmp_path, db_url, slack)
    try:
        feed = ctx.store.sync_feed("origin", "https://origin.example/feed.xml", "en")
        routed = {"#news": ["policy"]}
        undated = _page(TEXT, feed.id, dated_by=DatedBy.UNKNOWN)
        story = ctx.store.add_article(
            undated, [POLICY], "v1", routed, AlertStatus.SKIPPED, UNKNOWN_AGE
        )
        assert copy_from(ctx, story.id, "wire") == 1
        assert _delivered(ctx) == (0, 0)
        dated = replace(
            _page(TEXT + " Updated.", feed.id), published_at=_recent(), dated_by=DatedBy.PAGE
        )
        edited = ctx.store.update_article(story.id, dated, [POLICY], "v1", alerts=routed)
        assert edited.alerts_queued == 1
        assert _delivered(ctx) == (1, 1)  # before: (1, 0)
        assert reply_sources(slack) == ["wire"]
        assert _delivered(ctx) == (0, 0)
    finally:
        ctx.close()


def test_an_edit_announcing_a_silent_story_names_the_copies_seen_before_it(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    ctx = _context(tmp_path, db_url, slack)
    try:
        feed = ctx.store.sync_feed("origin", "https://origin.example/feed.xml", "en")
        wire = ctx.store.sync_feed("wire", "https://wire.example/feed.xml", "en")
        story = ctx.store.add_article(_page(TEXT, feed.id), [], "v1", {})
        copy = new_article(
            "https://wire.example/c", TEXT, title=TITLE, signed=True, feed_id=wire.id
        )
        assert ctx.store.add_article(copy, [], "v1", {}).duplicate_of == story.id
        edited = ctx.store.update_article(
            story.id,
            _page(TEXT + " Updated.", feed.id),
            [POLICY],
            "v1",
            alerts={"#news": ["policy"]},
        )
        assert edited.alerts_queued == 1
        assert _delivered(ctx) == (1, 1)
        assert reply_sources(slack) == ["wire"]  # before: no reply, (1, 0)
        assert _delivered(ctx) == (0, 0)
    finally:
        ctx.close()
