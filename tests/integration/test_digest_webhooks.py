"""Digests posted through an incoming webhook (no bot token: nothing can be read back from the
channel): Slack failing midway through a multi-part digest, and a digest an older release began
finished through the webhook. Every story is posted exactly once across calls. Real slack_sdk
webhook client, the fake Slack on loopback, SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from newsmon import digest
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow, ArticleRow, DigestRow
from newsmon.migrations import head_revision, upgrade
from newsmon.pipeline.context import Context
from newsmon.pipeline.digests import DigestResult, Posting, run_digest
from newsmon.slack import make_sender
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted
from tests.support.schema_history import downgrade, revision

NOW = datetime.now(UTC).replace(microsecond=0)
PERIOD = (NOW - timedelta(hours=24), NOW)
AFTER = (NOW, NOW + timedelta(hours=24))
STORIES = 90
_LINK = re.compile(r"<(https://[^|>]+)\|")


def _digest(ctx: Context, period: tuple[datetime, datetime] = PERIOD) -> DigestResult:
    sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
    assert sender.name == ("webhook" if ctx.secrets.slack_webhook_url else "slack")
    return run_digest(ctx, sender, *period)


def _announced(ctx: Context) -> None:
    """`STORIES` stories announced in #a in the period, titles long enough for several parts."""
    ids = queue_alerts(ctx.store, {"#a": STORIES})
    at = NOW - timedelta(hours=5)
    with ctx.store.session() as s:
        for n, article_id in enumerate(ids):
            sent = at + timedelta(seconds=n)
            s.execute(
                update(AlertRow)
                .where(AlertRow.article_id == article_id)
                .values(status=AlertStatus.SENT, created_at=at, sent_at=sent, slack_ts="1.0")
            )
        for article in s.scalars(select(ArticleRow).where(ArticleRow.id.in_(ids))):
            article.title = f"Story {article.id} ".ljust(120, "x")


def _links(fake: FakeSlack) -> list[str]:
    out: list[str] = []
    for post in fake.top_level():
        for block in post.get("blocks") or []:
            if block["type"] == "section":
                out += _LINK.findall(block["text"]["text"])
    return out


def _all() -> list[str]:
    return [f"https://a.example/a/{i}" for i in range(STORIES)]


@pytest.mark.parametrize(
    "failure",
    [
        Scripted(429, "rate_limited", headers={"Retry-After": "0"}),
        Scripted(404, "channel_is_archived"),
        Scripted(403, "action_prohibited"),
        Scripted(500, "internal_error"),
        Scripted(503, "service_unavailable"),
    ],
    ids=["429", "archived", "prohibited", "500", "503"],
)
def test_a_webhook_failing_after_the_first_part_posts_each_part_once_across_calls(
    tmp_path: Path, db_url: str, fake: FakeSlack, failure: Scripted
) -> None:
    ctx = context(config_path(tmp_path, db_url), fake, webhook=True)
    try:
        _announced(ctx)
        fake.webhook_script = [None, failure, failure, failure, failure]
        first = _digest(ctx)
        posted = len(fake.top_level())
        assert posted >= 1
        fake.webhook_script = []
        if failure.status == 429:  # Slack's wait (Retry-After 0, held a second) is kept
            time.sleep(1.2)
        later = _digest(ctx, AFTER)
        assert first.unfinished + later.unfinished <= 1, (first.channels, later.channels)
        assert _links(fake) == _all(), (first.channels, later.channels)
        with ctx.store.session() as s:
            row = s.scalars(select(DigestRow)).one()
            assert row.status is AlertStatus.SENT
            assert row.parts_sent == len(fake.top_level())
    finally:
        ctx.close()


@pytest.mark.parametrize("layout", ["same", "longer"])
def test_a_digest_an_older_release_began_and_the_webhook_finishes_is_said_unverified(
    tmp_path: Path, db_url: str, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    """A digest begun by a release of 0023 (its stories kept, not the stories of each part),
    stopped after its first part, and finished after the upgrade through the webhook, which
    cannot read the posted part back. Its parts are cut anew by this release's layout: exact
    when the layout is the same ("same"), but with lines laid out otherwise since ("longer")
    the stories between the old and the new boundary were skipped (or posted twice), and the
    call said "90 stories in 2 message(s)" and succeeded. Which stories that part showed is
    known nowhere now: the digest is named (`relaid`) and the call fails, saying so."""
    ctx = context(config_path(tmp_path, db_url), fake, webhook=True)
    try:
        _announced(ctx)
        current = digest._line
        if layout == "longer":  # that release's lines: longer (the line layout changed since)
            monkeypatch.setattr(digest, "_line", lambda story: current(story) + " ·" + "y" * 150)
        fake.webhook_script = [None, Scripted(404, "channel_is_archived")]
        assert _digest(ctx).unfinished == 1 and len(fake.top_level()) == 1
        with ctx.store.session() as s:  # as that release kept it: the stories, no parts
            row = s.scalars(select(DigestRow)).one()
            row.content = [{k: v for k, v in item.items() if k != "part"} for item in row.content]
        ctx.store.engine.dispose()
        downgrade(ctx.store.engine, "0023")  # the schema that release ran on, then upgraded
        upgrade(ctx.store.engine)
        assert revision(ctx.store.engine) == head_revision()
        monkeypatch.setattr(digest, "_line", current)  # upgraded: this release's lines
        first_part = len(_links(fake))
        finished = _digest(ctx, AFTER)
        [key] = finished.channels
        assert finished.unfinished == 0 and finished.outcomes[key] is Posting.FINISHED
        assert finished.relaid == [key], finished.channels
        assert finished.failure_line() is not None
        rest = _links(fake)[first_part:]
        assert len(rest) == len(set(rest)) and rest == sorted(rest, key=_all().index)
        if layout == "same":
            assert _links(fake) == _all()
        assert _digest(ctx, AFTER).relaid == []  # said once: the next call finds it posted
    finally:
        ctx.close()


def test_a_digest_finished_through_the_webhook_with_its_parts_kept_is_not_said_unverified(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    ctx = context(config_path(tmp_path, db_url), fake, webhook=True)
    try:
        _announced(ctx)
        fake.webhook_script = [None, Scripted(404, "channel_is_archived")]
        assert _digest(ctx).unfinished == 1
        finished = _digest(ctx, AFTER)
        assert finished.unfinished == 0 and finished.relaid == []
        assert finished.failure_line() is None and _links(fake) == _all()
    finally:
        ctx.close()


def test_a_part_whose_webhook_answer_was_lost_is_posted_again_and_said_so(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """The webhook took the second part and its answer was lost: a webhook cannot check, so the
    next call posts the part again (it shows twice), and its line said nothing of it, as if
    every part had gone out once. The digest is named (`unchecked`) and the line says so."""
    ctx = context(config_path(tmp_path, db_url), fake, webhook=True)
    try:
        _announced(ctx)
        fake.webhook_script = [None, Scripted(200, "ok", cut=0, accepted=True)]
        first = _digest(ctx)
        assert first.unfinished == 1 and len(fake.top_level()) == 2, first.channels
        finished = _digest(ctx, AFTER)
        [key] = finished.channels
        assert finished.unfinished == 0 and finished.outcomes[key] is Posting.FINISHED
        assert finished.unchecked == [key], finished.channels
        assert len(fake.top_level()) == 3  # part 2 twice: nothing could tell
        assert set(_links(fake)) == set(_all())
        quiet = _digest(ctx, (AFTER[1], AFTER[1] + timedelta(hours=24)))
        assert quiet.unchecked == []
    finally:
        ctx.close()


@pytest.mark.parametrize("webhook", [False, True], ids=["web_api", "webhook"])
def test_a_digest_begun_before_0015_and_stopped_after_a_part_is_not_cut_as_if_kept(
    tmp_path: Path, db_url: str, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch, webhook: bool
) -> None:
    """A digest begun by a release before 0015 (no stories kept at all) and stopped after its
    first part: the finisher took this call's stories and recorded this release's layout as if
    kept, so the posted part was never read back (bot token) nor said unverified (webhook): the
    stories between the old and the new boundary were skipped. The layout of the parts posted
    is not claimed: read back, or said unverified."""
    ctx = context(config_path(tmp_path, db_url), fake, webhook=webhook)
    try:
        _announced(ctx)
        current = digest._line
        monkeypatch.setattr(digest, "_line", lambda story: current(story) + " ·" + "y" * 150)
        if webhook:
            fake.webhook_script = [None, Scripted(404, "channel_is_archived")]
        else:
            fake.channel_script["#a"] = [None, Scripted(200, {"ok": False, "error": "is_archived"})]
        assert _digest(ctx).unfinished == 1 and len(fake.top_level()) == 1
        ctx.store.engine.dispose()
        downgrade(ctx.store.engine, "0014")  # that release's schema: no digests.content
        upgrade(ctx.store.engine)
        monkeypatch.setattr(digest, "_line", current)  # upgraded: this release's lines
        finished = _digest(ctx, AFTER)
        [key] = finished.channels
        assert finished.unfinished == 0 and finished.outcomes[key] is Posting.FINISHED
        if webhook:
            assert finished.relaid == [key], finished.channels
        else:
            assert finished.relaid == [] and _links(fake) == _all(), finished.channels
    finally:
        ctx.close()


@pytest.mark.parametrize("code", ["invalid_payload", "no_text", "invalid_blocks"])
def test_a_part_whose_blocks_the_webhook_refuses_goes_out_as_text(
    tmp_path: Path, db_url: str, fake: FakeSlack, code: str
) -> None:
    """An incoming webhook answers a message whose blocks it cannot take `invalid_payload` (or
    `no_text`), where the Web API says `invalid_blocks`: the part was left out for good, its
    stories in no digest, though its text alone would have been taken (as the Web API path
    does). It goes out as plain text, every story once, and the line says so."""
    ctx = context(config_path(tmp_path, db_url), fake, webhook=True)
    try:
        _announced(ctx)
        fake.webhook_script = [None, Scripted(400, code)]
        first = _digest(ctx)
        posts = fake.top_level()
        assert len(posts) >= 2 and posts[0].get("blocks") and not posts[1].get("blocks")
        links = _links(fake) + _LINK.findall(posts[1]["text"])
        assert sorted(links, key=_all().index) == _all() and len(links) == STORIES
        assert first.unfinished == 0 and not first.refused, first.channels
        assert f"part 2 as plain text (Slack refused its blocks: {code})" in str(first.lines())
        with ctx.store.session() as s:
            row = s.scalars(select(DigestRow)).one()
            assert row.status is AlertStatus.SENT and row.parts_sent == len(posts)
    finally:
        ctx.close()
