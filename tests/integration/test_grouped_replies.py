"""A story copied by many sites in one pass gets one "also reported by" reply in its thread,
not one per copy (each a notification to the thread's followers), on SQLite and PostgreSQL with
the real slack_sdk against the fake Slack on loopback. Every copy's reply row still ends sent
exactly once, and a grouped reply whose answer was lost is found again, never posted twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from newsmon.alerts import Message, limit_violations
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import ReplyRow
from newsmon.pipeline import Context, deliver
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted


def _copy(ctx: Context, article: int, source: str) -> int:
    feed = ctx.store.sync_feed(source, f"https://{source}.example/feed.xml", "en")
    return ctx.store.queue_replies(article, feed.id, f"https://{source}.example/copy")


def _rows(ctx: Context) -> list[tuple[str, AlertStatus, str | None]]:
    with ctx.store.session() as s:
        rows = s.scalars(select(ReplyRow).order_by(ReplyRow.id)).all()
        return [(r.source, r.status, r.slack_ts) for r in rows]


def test_copies_of_a_story_in_one_pass_are_one_reply_naming_them_all(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        [story, other] = queue_alerts(ctx.store, {"#news": 2})
        assert deliver(ctx).sent == 2
        wires = [f"wire-{n:02d}" for n in range(25)]  # more than a claim's batch (10)
        for source in wires:
            assert _copy(ctx, story, source) == 1
        assert _copy(ctx, other, "lone-wire") == 1

        outcome = deliver(ctx)
        assert outcome.replies_sent == 26
        grouped, lone = sorted(fake.replies(), key=lambda p: len(p["text"]), reverse=True)
        assert "lone-wire" in lone["text"] and "wire-00" not in lone["text"]
        shown = grouped["blocks"][0]["text"]["text"]
        assert all(w in grouped["text"] and w in shown for w in wires[:3])
        assert "https://wire-00.example/copy" in shown
        assert limit_violations_of(grouped) == []
        rows = _rows(ctx)
        assert {status for _, status, _ in rows} == {AlertStatus.SENT}
        assert {ts for source, _, ts in rows if source != "lone-wire"} == {grouped["ts"]}
        assert deliver(ctx).replies_sent == 0
    finally:
        ctx.close()
    assert len(fake.replies()) == 2


def limit_violations_of(post: dict[str, Any]) -> list[str]:
    """What Slack would refuse in a post the fake Slack accepted."""
    return limit_violations(Message(post["channel_id"], post["text"], post["blocks"]))


def test_a_grouped_reply_whose_answer_was_lost_is_found_and_a_later_copy_still_goes_out(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """The grouped reply was posted but its answer came too late (lost): the next pass looks
    each copy's reply up and finds the one message, posting none again; a copy queued in
    between is not taken for posted and goes out once."""
    ctx = context(config_path(tmp_path, db_url, retry_delays_minutes=[0.0], timeout=1.0), fake)
    try:
        [story] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        for source in ("wire-a", "wire-b", "wire-c"):
            assert _copy(ctx, story, source) == 1
        fake.delay_after, fake.delay_after_from = 2.0, 1  # the reply's answer: too late
        assert deliver(ctx).retrying == 3
        fake.delay_after = 0.0
        assert len(fake.replies()) == 1
        assert _copy(ctx, story, "wire-late") == 1

        outcome = deliver(ctx)
        assert (outcome.recovered, outcome.replies_sent) == (3, 4)
        [first, late] = fake.replies()
        assert "wire-late" in late["text"] and "wire-a" not in late["text"]
        assert {ts for _, _, ts in _rows(ctx)} == {first["ts"], late["ts"]}
        assert {status for _, status, _ in _rows(ctx)} == {AlertStatus.SENT}
    finally:
        ctx.close()


def test_a_grouped_reply_whose_post_did_not_land_goes_out_again_as_one_reply(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Slack failed the grouped reply (`internal_error`: it may have posted; here it had not).
    The next pass looks the copies up in one read of the thread and, none found, posts them
    as one reply again. Before, each copy was looked up alone and posted alone: a thread
    spammed with one reply per copy, one notification each."""
    ctx = context(config_path(tmp_path, db_url, retry_delays_minutes=[0.0]), fake)
    try:
        [story] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        wires = [f"wire-{n:02d}" for n in range(12)]  # more than a claim's batch (10)
        for source in wires:
            assert _copy(ctx, story, source) == 1
        fake.channel_script["#news"] = [Scripted(200, {"ok": False, "error": "internal_error"})]
        assert deliver(ctx).retrying == 12
        assert fake.replies() == []
        reads = len([a for a in fake.attempts if a["path"] == "/api/conversations.replies"])

        outcome = deliver(ctx)
        assert (outcome.replies_sent, outcome.recovered) == (12, 0)
        [reply] = fake.replies()
        assert all(w in reply["text"] for w in wires[:3])
        threads = [a for a in fake.attempts if a["path"] == "/api/conversations.replies"]
        assert len(threads) - reads == 1  # one read of the thread, not one per copy
        assert {status for _, status, _ in _rows(ctx)} == {AlertStatus.SENT}
        assert deliver(ctx).replies_sent == 0
    finally:
        ctx.close()
    assert len(fake.replies()) == 1
