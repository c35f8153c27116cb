"""A digest call trying again the digests it left (`retry_left`): the same period, after the
parts posted, never before Slack's Retry-After, never for refused credentials. The fake Slack
on loopback, SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from newsmon.clock import utcnow
from newsmon.corpus.records import AlertStatus, RunStatus
from newsmon.corpus.schema import DigestRow
from newsmon.health import ProblemKind
from newsmon.pipeline.checkup import health_report
from newsmon.pipeline.digests import digests_to_finish, finish_digests, retry_left, run_digest
from newsmon.slack import make_sender
from tests.support.delivery import announce_alerts, config_path, context
from tests.support.fake_slack import INTERNAL_ERROR, FakeSlack, Scripted


def test_a_retry_waits_out_slack_s_retry_after_and_posts_the_digest_once(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Slack asked the first try to wait 2 s, longer than its claim allows (a lease of 4 s
    here): a retry sooner would be rate-limited again; it waits, then posts the digest once."""
    ctx = context(config_path(tmp_path, db_url, lease_seconds=4), fake)
    try:
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        announce_alerts(ctx.store, {"#a": 2, "#b": 1})
        until = utcnow() + timedelta(seconds=1)
        limited = Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "2"})
        fake.channel_script["#a"] = [limited]
        result = run_digest(ctx, sender, until - timedelta(hours=24), until)
        assert result.left == ["#a"], result.lines()
        waits: list[float] = []
        started = time.monotonic()
        retry_left(ctx, sender, result, (0.05, 0.05), room=30, waiting=waits.append)
        assert not result.left and result.posted == 2, result.lines()
        assert waits and waits[0] > 1.5 and time.monotonic() - started > 1.5
        assert "(at try 2; the first: " in result.channels["#a"]
        assert len(fake.metadata_ids("newsmon_digest")) == 2  # #a and #b, each once
    finally:
        ctx.close()


def test_a_retry_that_would_not_start_within_its_room_is_not_waited_for(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """An hour's Retry-After cannot be waited out within the run: it says so at once."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        announce_alerts(ctx.store, {"#a": 1})
        until = utcnow() + timedelta(seconds=1)
        fake.channel_script["#a"] = [
            Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3600"})
        ]
        result = run_digest(ctx, sender, until - timedelta(hours=24), until)
        waits: list[float] = []
        retry_left(ctx, sender, result, (0.05,), room=30, waiting=waits.append)
        assert result.left == ["#a"] and not waits
        assert ctx.store.digests.unfinished_digests(utcnow() + timedelta(days=1))
    finally:
        ctx.close()


def test_health_does_not_report_a_digest_its_running_call_is_trying_again(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """The 09:00 run left a digest and waits to try it again: the monitor pass meanwhile
    announced "digest not finished" in the operations channel (then "resolved" passes later)
    for what the run posts minutes later. A digest run still running is trying them; once it
    ended, a digest it left is reported."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        announce_alerts(ctx.store, {"#a": 1})
        until = utcnow() + timedelta(seconds=1)
        run_id = ctx.store.runs.start_run("digest", utcnow())
        fake.channel_script["#a"] = [Scripted(503, {"ok": False, "error": "service_unavailable"})]
        result = run_digest(ctx, sender, until - timedelta(hours=24), until)
        assert result.left == ["#a"]

        def unfinished() -> list[str]:
            report = health_report(ctx.store, ctx.config, utcnow())
            return [p.message for p in report.problems if p.kind is ProblemKind.DIGEST_UNFINISHED]

        assert unfinished() == []  # the run is waiting to try it again
        ctx.store.runs.finish_run(run_id, RunStatus.FAILED, result.as_dict(), "left")
        [problem] = unfinished()
        assert problem.startswith("#a: 1 digest(s) not finished")
    finally:
        ctx.close()


def test_a_digest_another_call_finished_meanwhile_is_not_waited_for(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """A call by hand finished the digest while the run waited: the run says so, posts
    nothing more and is done."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        announce_alerts(ctx.store, {"#a": 1})
        until = utcnow() + timedelta(seconds=1)
        fake.channel_id("#a")  # the channel exists: the lost post is looked up there
        fake.channel_script["#a"] = [Scripted(503, {"ok": False, "error": "service_unavailable"})]
        result = run_digest(ctx, sender, until - timedelta(hours=24), until)
        assert result.left == ["#a"]
        assert run_digest(ctx, sender, until - timedelta(hours=24), until).posted == 1
        waits: list[float] = []
        retry_left(ctx, sender, result, (0.05,), room=30, waiting=waits.append)
        assert not result.left and not waits and result.posted == 0
        assert result.channels["#a"].endswith("; then taken by another call")
        assert len(fake.metadata_ids("newsmon_digest")) == 1
    finally:
        ctx.close()


def test_a_monitoring_pass_finishes_no_digest_while_alerts_are_off(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """A digest its run left is kept while alerts are off, as queued alerts are: the pass's
    `finish_digests` posts nothing then (and the pass starts no task for it), and finishes it
    once alerts are on again."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        announce_alerts(ctx.store, {"#a": 1})
        until = utcnow() + timedelta(seconds=1)
        fake.channel_id("#a")  # the channel exists: the lost post is looked up there
        fake.channel_script["#a"] = [Scripted(503, {"ok": False, "error": "service_unavailable"})]
        assert run_digest(ctx, sender, until - timedelta(hours=24), until).left == ["#a"]
        on = ctx.config
        ctx.config = on.model_copy(
            update={"alerts": on.alerts.model_copy(update={"enabled": False})}
        )
        assert not digests_to_finish(ctx)
        assert finish_digests(ctx, sender).off
        assert fake.metadata_ids("newsmon_digest") == []
        ctx.config = on
        assert digests_to_finish(ctx)
        assert finish_digests(ctx, sender).posted == 1
        assert len(fake.metadata_ids("newsmon_digest")) == 1
        assert not digests_to_finish(ctx)
    finally:
        ctx.close()


def test_a_digest_finished_at_a_retry_says_where_it_started_once(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """A channel's period starts where its last digest ended; the retry's line repeated it:
    "… (from 09:00 UTC, where its last digest ended) (at try 2; the first: …; left for a later
    call (from 09:00 UTC, where its last digest ended))"."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        until = utcnow() + timedelta(seconds=1)
        since = until - timedelta(hours=24)
        with ctx.store.session() as s:  # the channel's last digest ended 2 hours before `since`
            end = since - timedelta(hours=2)
            s.add(
                DigestRow(
                    channel="#a",
                    period_start=end - timedelta(hours=24),
                    period_end=end,
                    status=AlertStatus.SENT,
                    stories=0,
                    content=[],
                )
            )
        announce_alerts(ctx.store, {"#a": 1})
        fake.channel_id("#a")  # the lost answer's lookup finds nothing there
        fake.channel_script["#a"] = [INTERNAL_ERROR]
        result = run_digest(ctx, sender, since, until)
        assert result.left == ["#a"], result.lines()
        retry_left(ctx, sender, result, (0.05,), room=30)
        line = result.channels["#a"]
        assert not result.left and "(at try 2; the first: " in line, line
        assert line.count("where its last digest ended") == 1, line
        assert len(fake.metadata_ids("newsmon_digest")) == 1
    finally:
        ctx.close()
