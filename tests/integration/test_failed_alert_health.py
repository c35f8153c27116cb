"""`newsmon health` counts an alert that gave up as a story never posted only when no other
alert announced its story in its channel (`outbox.announcing`, as `alerts retry` decides).
SQLite and PostgreSQL, the real store and delivery (slack_sdk against the fake Slack)."""

from __future__ import annotations

from pathlib import Path

from newsmon.clock import utcnow
from newsmon.config import load_config
from newsmon.corpus.records import StoredMatch
from newsmon.health_kinds import ProblemKind
from newsmon.pipeline import deliver
from newsmon.pipeline.checkup import health_report
from tests.integration.test_concurrent_corpus import stories
from tests.support.articles import new_article
from tests.support.delivery import config_path, context
from tests.support.fake_slack import FakeSlack, Scripted

MATCHES = [StoredMatch("policy", 3, [], "snippet")]
ALERTS = {"#ai-news": ["policy"]}
REFUSED = Scripted(200, {"ok": False, "error": "msg_too_long"})  # fails an alert for good


def test_health_does_not_call_a_story_a_copy_posted_never_posted(
    tmp_path: Path, fake: FakeSlack, db_url: str
) -> None:
    """H and R were queued as two stories in #ai-news; Slack refused H's alert for good and
    posted R's; then R's page, read at last, showed R to be H's copy. The story was in the
    channel, yet health said an alert gave up, "their stories never posted", and sent the
    operator to `alerts retry --failed`, which re-queues nothing (a late copy)."""
    config = config_path(tmp_path, db_url)
    full, other = stories()[:2]
    ctx = context(config, fake)
    try:
        ctx.store.add_article(
            new_article("https://h.example/s", full, signed=True, published_at=utcnow()),
            MATCHES,
            "v1",
            ALERTS,
        )
        r_url = "https://r.example/s"
        r = ctx.store.add_article(
            new_article(r_url, other, signed=True, text_source="feed", published_at=utcnow()),
            MATCHES,
            "v1",
            ALERTS,
        )
        fake.channel_script["#ai-news"] = [REFUSED]
        outcome = deliver(ctx, 10)
        assert (outcome.sent, outcome.failed) == (1, 1)
        page = new_article(r_url, full, signed=True)
        assert ctx.store.recover_page(r.id, other, page, MATCHES, "v1", ALERTS).joined
        assert [a.article_id for a in ctx.store.list_alerts(status="sent")] == [r.id]
        report = health_report(ctx.store, load_config(config), utcnow())
        failed = [p.message for p in report.problems if p.kind is ProblemKind.ALERTS_FAILED]
        assert failed == [], failed
        # an alert of a story never posted anywhere is still a failure
        ctx.store.add_article(
            new_article("https://l.example/s", stories()[2], signed=True, published_at=utcnow()),
            MATCHES,
            "v1",
            ALERTS,
        )
        fake.channel_script["#ai-news"] = [REFUSED]
        assert deliver(ctx, 10).failed == 1
        report = health_report(ctx.store, load_config(config), utcnow())
        failed = [p.message for p in report.problems if p.kind is ProblemKind.ALERTS_FAILED]
        assert len(failed) == 1 and "1 alert(s)" in failed[0] and "#ai-news 1" in failed[0]
    finally:
        ctx.close()
