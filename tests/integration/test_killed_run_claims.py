"""A digest and a thread reply claimed by a Prefect flow run whose process was killed, given back
at once (`Store.lapse_flow_run`, which the crash hook and `settle_lost_runs` call) instead of
after their lease: the next call finishes each, once. Real slack_sdk client against the fake
Slack on loopback, SQLite and PostgreSQL. The alerts' case, through the hook:
tests/flows/test_lost_process.py."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsmon.alerts import build_reply
from newsmon.corpus.records import AlertStatus
from newsmon.digest import digest_parts
from newsmon.pipeline import deliver
from newsmon.pipeline.digests import run_digest
from newsmon.slack import make_sender
from newsmon.slack.senders import SlackWebSender
from tests.support.delivery import announce_alerts, config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack

NOW = datetime.now(UTC)
PERIOD = (NOW - timedelta(hours=1), NOW + timedelta(hours=1))


def test_a_killed_runs_digest_is_finished_by_the_next_call_at_once(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        announce_alerts(ctx.store, {"#a": 2})
        killed = str(uuid.uuid4())
        ctx.store.flow_run = killed  # the digest call killed after claiming the digest
        stories = ctx.store.digests.digest_stories("#a", *PERIOD)
        claim = ctx.store.new_claim(timedelta(minutes=10))
        ctx.store.digests.begin_digest(claim, "#a", *PERIOD, stories, digest_parts(stories))
        ctx.store.flow_run = str(uuid.uuid4())  # the next call, another run
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        assert run_digest(ctx, sender, *PERIOD).posted == 0  # held by the killed run's claim

        assert ctx.store.lapse_flow_run(str(uuid.uuid4())) == 0  # another run's: nothing
        assert ctx.store.lapse_flow_run(killed) == 1
        again = run_digest(ctx, sender, *PERIOD)
        assert again.posted == 1 and again.unfinished == 0
        assert set(Counter(fake.metadata_ids("newsmon_digest")).values()) == {1}
    finally:
        ctx.close()


def test_a_killed_runs_thread_reply_is_posted_once_by_the_next_pass_at_once(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    ctx = context(config_path(tmp_path, db_url), slack)
    try:
        [story] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        feed = ctx.store.sync_feed("wire", "https://wire.example/feed.xml", "en")
        assert ctx.store.queue_replies(story, feed.id, "https://wire.example/copy") == 1
        killed = str(uuid.uuid4())
        ctx.store.flow_run = killed  # a delivery posts the reply, then is killed unrecorded
        [job] = ctx.store.replies.claim_replies(ctx.store.new_claim(timedelta(minutes=10)), 1)
        SlackWebSender(slack.token, base_url=slack.api_url, timeout=5).post(build_reply(job))
        ctx.store.flow_run = None  # the next pass
        assert deliver(ctx).replies_sent == 0  # its claim holds (the run not known ended)

        assert ctx.store.lapse_flow_run(killed) == 1
        assert deliver(ctx).replies_sent == 1  # found in the thread, recorded
        assert len(slack.replies()) == 1  # not posted twice
        assert ctx.store.replies.count_replies(AlertStatus.SENT) == 1
    finally:
        ctx.close()
