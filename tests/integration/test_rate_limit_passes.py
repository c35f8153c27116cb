"""Slack's Retry-After kept across delivery passes and runs, for alerts (and the digests of the
same pass): a channel Slack asked to wait longer than a pass holds its claim is not posted to
again before the wait ends. Real slack_sdk against the fake Slack on loopback, SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow, DigestRow, SlackChannelRow
from newsmon.pipeline import Context, deliver
from newsmon.pipeline.checkup import health_report
from newsmon.pipeline.digests import digests_to_finish, finish_digests, run_digest
from newsmon.slack import make_sender
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import READS_FAILING, FakeSlack, Scripted

NOW = datetime.now(UTC).replace(microsecond=0)
HOUR = Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3600"})


def test_an_alert_left_for_a_long_retry_after_is_not_posted_by_the_next_pass(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Slack asked #slow to wait an hour; the pass left its alerts, but kept no record of the
    wait: the next pass (cron, minutes later) posted to #slow at once, before Slack's wait
    ended. Every alert of #slow now waits, pending with no attempt counted, its next try at
    the wait's end (`newsmon alerts` says so); once it is over they all go out, once."""
    config = config_path(tmp_path, db_url)
    ctx = context(config, fake)
    try:
        queue_alerts(ctx.store, {"#slow": 12, "#fast": 1})
        fake.channel_script["#slow"] = [HOUR]
        first = deliver(ctx)
        assert first.sent == 1 and first.deferred >= 1
        tried = len(fake.attempts)

        second = deliver(ctx)  # the next pass, well within the hour
        assert len(fake.attempts) == tried, fake.attempts[tried:]
        assert second.sent == 0
        waiting = ctx.store.list_alerts(channel="#slow", limit=100)
        assert len(waiting) == 12
        for alert in waiting:
            assert alert.status is AlertStatus.PENDING and alert.attempts == 0
        (wait,) = ctx.store.slack_waits.listed()  # the channel's one record of the wait
        assert wait.channel == "#slow" and "Retry-After" in wait.reason
        assert timedelta(minutes=59) < wait.until - waiting[0].created_at < timedelta(minutes=61)
        listed = CliRunner().invoke(app, ["alerts", "--channel", "slow", "-c", str(config)])
        assert listed.exit_code == 0, listed.output
        assert "channel #slow waits for Slack (Retry-After) until " in listed.output

        _wait_over(ctx)
        third = deliver(ctx)
        assert third.sent == 12 and len(fake.top_level("#slow")) == 12
        assert all(a.status is AlertStatus.SENT for a in ctx.store.list_alerts(channel="#slow"))
    finally:
        ctx.close()


def test_a_retry_after_answered_late_in_the_claim_is_kept_for_the_next_pass(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Slack asked #slow to wait an hour, its answer coming after half the claim's lease was
    used: the pass said "Slack answered too slowly for this pass's claim" and kept no record
    of the wait, so the next pass posted to #slow at once, refused again. The wait is kept
    now, the line says Slack asked to wait and not before when."""
    # a post starts only while the claim covers it by half its 4 s lease: the 429 at 2.5 s
    # leaves too little of the claim for any post, and asks for an hour besides
    ctx = context(config_path(tmp_path, db_url, lease_seconds=4), fake)
    try:
        queue_alerts(ctx.store, {"#slow": 2})
        fake.channel_script["#slow"] = [HOUR]
        fake.delay_before = 2.5
        first = deliver(ctx)
        fake.delay_before = 0.0
        assert first.sent == 0 and first.deferred == 2, first.errors
        said = [line for line in first.errors if line.startswith("#slow")]
        assert len(said) == 1 and "Retry-After" in said[0] and "not before" in said[0], said
        assert "too slowly" not in said[0]
        assert "#slow" in first.waits
        (wait,) = ctx.store.slack_waits.listed()
        assert wait.channel == "#slow" and wait.until == first.waits["#slow"]
        tried = len(fake.attempts)

        second = deliver(ctx)  # the next pass, well within the hour
        assert len(fake.attempts) == tried, fake.attempts[tried:]
        assert second.sent == 0 and fake.posts == []
    finally:
        ctx.close()


def test_a_short_retry_after_is_kept_when_the_pass_ends_before_it_is_over(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Slack asked #slow to wait 20 s, which the claim covers: the pass meant to wait it out,
    but ended first (#bad failed three times in a row). #slow's alert went back and the wait
    lived only in that pass's pacing: its digests and the next pass posted into it, refused
    again. It is kept for the channel whenever the pass ends before it is over."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        queue_alerts(ctx.store, {"#slow": 1, "#bad": 3})
        fake.channel_script["#slow"] = [_limited(20)]
        fake.channel_script["#bad"] = [READS_FAILING] * 3
        first = deliver(ctx)
        assert first.sent == 0 and first.retrying == 3, first.errors
        assert "#slow" in first.waits, first.errors
        (wait,) = ctx.store.slack_waits.listed()
        assert wait.channel == "#slow" and "Retry-After" in wait.reason
        tried = len(_posts_to(fake, "#slow", 0))

        deliver(ctx)  # the next pass, within the 20 s
        assert len(_posts_to(fake, "#slow", 0)) == tried
    finally:
        ctx.close()


def _limited(seconds: int) -> Scripted:
    return Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(seconds)})


def _wait_over(ctx: Context) -> None:
    """Slack's wait has ended."""
    ended = ctx.store.slack_waits.now() - timedelta(seconds=1)
    with ctx.store.session() as s:
        s.execute(update(SlackChannelRow).values(wait_until=ended))


def _announced(ctx: Context, channels: dict[str, int]) -> None:
    """Stories announced in `channels` five hours ago: what a digest of the last day lists."""
    ids = queue_alerts(ctx.store, channels, prefix="d")
    with ctx.store.session() as s:
        s.execute(
            update(AlertRow)
            .where(AlertRow.article_id.in_(ids))
            .values(status=AlertStatus.SENT, sent_at=NOW - timedelta(hours=5), slack_ts="1.0")
        )


def _posts_to(fake: FakeSlack, channel: str, after: int) -> list[dict[str, object]]:
    posts = fake.attempts[after:]
    return [a for a in posts if a["path"] == "/api/chat.postMessage" and a["channel"] == channel]


def test_a_pass_s_digests_honour_the_retry_after_its_alert_delivery_got(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """A digest of #a left unfinished (Slack failing) is finished by the next monitoring pass
    after its alert delivery. That delivery was just told by Slack to wait an hour in #a; the
    digest stage did not know and posted to #a at once (refused again). It now leaves the
    digest until the wait ends, the digest row keeping when (`lease_until`)."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        _announced(ctx, {"#a": 2})
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        fake.channel_script["#a"] = [Scripted(200, {"ok": False, "error": "fatal_error_x"})]
        first = run_digest(ctx, sender, NOW - timedelta(hours=24), NOW)
        assert first.unfinished == 1 and digests_to_finish(ctx), first.channels

        queue_alerts(ctx.store, {"#a": 1})  # the next pass: an alert for #a, refused for an hour
        fake.channel_script["#a"] = [HOUR]
        delivery = deliver(ctx)
        assert delivery.sent == 0 and "#a" in delivery.waits
        before = len(fake.attempts)

        result = finish_digests(ctx, sender, waits=delivery.waits)
        assert not _posts_to(fake, "#a", before), fake.attempts[before:]
        assert result.unfinished == 1 and result.posted == 0, result.channels
        with ctx.store.session() as s:
            row = s.scalars(select(DigestRow)).one()
            assert row.status is AlertStatus.PENDING and row.lease_until is not None
            assert row.lease_until >= delivery.waits["#a"] - timedelta(seconds=5)
    finally:
        ctx.close()


def test_digests_of_two_channels_through_one_webhook_wait_out_its_retry_after_together(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Through an incoming webhook every channel's digest goes to one URL, which Slack limits
    as one. The webhook answered #a's digest 429 with an hour's Retry-After, and #b's digest
    was posted to the same webhook at once, paced as another channel: refused too. Both wait
    now, the webhook tried once."""
    ctx = context(config_path(tmp_path, db_url), fake, webhook=True)
    try:
        _announced(ctx, {"#a": 1, "#b": 1})
        fake.webhook_script = [Scripted(429, "rate_limited", headers={"Retry-After": "3600"})]
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        result = run_digest(ctx, sender, NOW - timedelta(hours=24), NOW)
        hooks = [a for a in fake.attempts if str(a["path"]).startswith("/services/")]
        assert len(hooks) == 1, [a.get("text", "")[:40] for a in hooks]
        assert result.unfinished == 2 and fake.posts == [], result.channels
        assert not digests_to_finish(ctx)  # neither is taken before the hour ends
    finally:
        ctx.close()


def test_alerts_queued_in_a_waiting_channel_after_its_wait_began_wait_too(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Slack asked #slow to wait an hour. A later pass's new stories for #slow were queued
    after the wait was kept (on the rows queued then): each pass claimed them and posted into
    the wait, refused again. They wait now too, untried, while #fast goes out."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        queue_alerts(ctx.store, {"#slow": 2, "#fast": 1})
        fake.channel_script["#slow"] = [HOUR]
        first = deliver(ctx)
        assert "#slow" in first.waits
        tried = len(_posts_to(fake, "#slow", 0))

        queue_alerts(ctx.store, {"#slow": 2, "#fast": 1}, prefix="later")  # the next pass
        second = deliver(ctx)
        assert _posts_to(fake, "#slow", 0)[tried:] == []
        assert second.sent == 1 and len(fake.top_level("#fast")) == 2
        later = [a for a in ctx.store.list_alerts(channel="#slow", limit=100) if a.attempts == 0]
        assert len(later) == 4 and all(a.status is AlertStatus.PENDING for a in later)
    finally:
        ctx.close()


def test_a_separate_digest_run_honours_the_wait_alert_delivery_got(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """`newsmon digest` is its own run: the Retry-After alert delivery got for #a an hour ago
    was unknown to it and it posted #a's digest into the wait. It leaves it now, pending until
    the wait ends; #b's digest goes out."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        _announced(ctx, {"#a": 2, "#b": 1})
        queue_alerts(ctx.store, {"#a": 1})
        fake.channel_script["#a"] = [HOUR]
        delivery = deliver(ctx)
        assert "#a" in delivery.waits
        before = len(fake.attempts)

        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        result = run_digest(ctx, sender, NOW - timedelta(hours=24), NOW)
        assert not _posts_to(fake, "#a", before), fake.attempts[before:]
        assert _posts_to(fake, "#b", before) and result.unfinished == 1, result.channels
        with ctx.store.session() as s:
            row = s.scalars(select(DigestRow).where(DigestRow.channel == "#a")).one()
            assert row.lease_until is not None
            assert row.lease_until >= delivery.waits["#a"] - timedelta(seconds=5)
    finally:
        ctx.close()


def test_a_wait_leaves_a_waiting_alert_s_earlier_error_and_counts_no_attempt(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """An alert of #slow waiting to be tried again after a lost answer (its error says so)
    had that error overwritten by the note of Slack's wait: an operator no longer saw why it
    had failed. The wait is kept for the channel; the alert keeps its error and attempts."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        first, later = queue_alerts(ctx.store, {"#slow": 2})
        lost = "Slack's answer to the post was lost (it may have been posted): TimeoutError"
        with ctx.store.session() as s:
            s.execute(
                update(AlertRow)
                .where(AlertRow.article_id == later)
                .values(attempts=1, last_error=lost, next_attempt_at=NOW + timedelta(hours=2))
            )
        fake.channel_script["#slow"] = [HOUR]
        assert "#slow" in deliver(ctx).waits
        by_article = {a.article_id: a for a in ctx.store.list_alerts(channel="#slow")}
        assert by_article[later].last_error == lost and by_article[later].attempts == 1
        assert by_article[first].attempts == 0 and by_article[first].last_error is None
    finally:
        ctx.close()


def test_health_says_which_channel_waits_for_slack_and_until_when(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """`newsmon health` counted #slow's waiting alerts as plain pending: an operator saw
    alerts pile up for an hour with no word of why. It now says the channel waits for Slack
    (Retry-After), since and until when, in its lines and `--json`; a wait is no problem."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        queue_alerts(ctx.store, {"#slow": 3})
        fake.channel_script["#slow"] = [HOUR]
        until = deliver(ctx).waits["#slow"]
        report = health_report(ctx.store, ctx.config, datetime.now(UTC))
        said = [line for line in report.lines() if "#slow" in line and "Retry-After" in line]
        assert said and f"{until:%Y-%m-%d %H:%M}" in said[0], report.lines()
        shown = report.as_dict()["slack_waits"]["#slow"]
        assert shown["until"] == until.isoformat() and shown["since"]
        assert not [p for p in report.problems if p.subject == "#slow"], report.problems
    finally:
        ctx.close()


def test_a_wait_holds_the_channel_under_its_other_spelling_and_ends_on_time(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Slack's wait was asked of `#slow`; the configuration names it by its ID now. Alerts
    queued under the ID wait too (one channel in Slack); once the wait has ended they go out."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        slow_id = fake.channel_id("#slow")
        ctx.store.outbox.set_channel_state("#slow", slack_id=slow_id)
        ctx.store.slack_waits.wait("#slow", 3600, "Slack asked to wait (Retry-After)")
        queue_alerts(ctx.store, {slow_id: 2, "#fast": 1})
        assert deliver(ctx).sent == 1 and not _posts_to(fake, slow_id, 0)
        _wait_over(ctx)
        assert deliver(ctx).sent == 2 and len(_posts_to(fake, slow_id, 0)) == 2
    finally:
        ctx.close()


def test_a_wait_of_days_is_kept_as_a_day_and_one_past_any_retry_after_is_ignored(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """A Retry-After of days is read as a day (`MAX_RETRY_AFTER`), kept so; an end further
    ahead than that (a database clock set back since) holds nothing: a channel is never
    silenced for good by a wait."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        now = ctx.store.slack_waits.now()
        until = ctx.store.slack_waits.wait("#a", 5 * 86400, "Retry-After")
        assert timedelta(hours=23) < until - now <= timedelta(days=1, seconds=5)
        assert "#a" in ctx.store.slack_waits.active()
        with ctx.store.session() as s:
            s.execute(update(SlackChannelRow).values(wait_until=now + timedelta(days=3)))
        assert ctx.store.slack_waits.active() == {}
        queue_alerts(ctx.store, {"#a": 1})
        assert deliver(ctx).sent == 1
    finally:
        ctx.close()
