"""Delivery against the fake Slack Web API through the real slack_sdk client, on SQLite and (when
NEWSMON_TEST_POSTGRES_URL is set) PostgreSQL: claims, lost answers, pacing, blocked channels,
error kinds, credentials, webhooks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

import newsmon.corpus.claims
import newsmon.pipeline.delivery
from newsmon.clock import utcnow
from newsmon.corpus.claims import new_claim
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow, SlackChannelRow
from newsmon.pipeline import Context, deliver
from tests.conftest import ROOT
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import PROXY_403, FakeSlack, Scripted
from tests.support.postgres import PG_URL, throwaway_schema


def test_two_deliveries_at_once_post_every_alert_exactly_once(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    config = config_path(tmp_path, db_url)
    seed = context(config, fake)
    ids = queue_alerts(seed.store, {"#a": 12, "#b": 12, "#c": 6})
    seed.close()
    fake.delay_after = 0.05  # a slow Slack: each post is accepted, then answered late
    contexts = [context(config, fake) for _ in range(2)]  # two workers, two engines
    outcomes = []
    barrier = threading.Barrier(2)

    def run(i: int) -> None:
        barrier.wait()
        outcomes.append(deliver(contexts[i]))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        posted = Counter(fake.metadata_ids())
        assert sorted(posted) == sorted(str(i) for i in ids)  # every alert…
        assert set(posted.values()) == {1}  # …exactly once
        assert sum(o.sent for o in outcomes) == len(ids)
        assert all(o.sent for o in outcomes)  # both loops really worked
        assert contexts[0].store.count_alerts(AlertStatus.SENT) == len(ids)
    finally:
        for ctx in contexts:
            ctx.close()


def test_a_process_killed_after_slack_accepted_reposts_nothing(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    # a lease long enough for a loaded machine to post within it (a post starts only while the
    # claim covers it by slack.timeout, at most half the lease), short for the test's wait
    config = config_path(tmp_path, db_url, lease_seconds=4)
    seed = context(config, fake)
    ids = queue_alerts(seed.store, {"#a": 2, "#b": 1})
    seed.close()
    for name in ("#a", "#b"):  # the channels exist in Slack (conversations.list shows them)
        fake.channel_id(name)
    fake.delay_after = 60  # accepted at once, answered never: the process dies waiting
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": fake.token,
        "NEWSMON_SLACK_API_URL": fake.api_url,
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.deliver_once", str(config)], cwd=ROOT, env=env
    )
    try:
        deadline = time.monotonic() + 60
        while not fake.posts and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(fake.posts) == 1, "the first post never reached Slack"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    [lost] = fake.metadata_ids()
    fake.delay_after = 0
    time.sleep(4.2)  # the dead process's lease expires
    ctx = context(config, fake)
    try:
        outcome = deliver(ctx)
        posted = Counter(fake.metadata_ids())
        assert sorted(posted) == sorted(str(i) for i in ids) and set(posted.values()) == {1}
        assert outcome.recovered == 1 and outcome.sent == len(ids)
        [row] = [a for a in ctx.store.list_alerts() if str(a.id) == lost]
        assert row.status is AlertStatus.SENT
        # the lookup went to the channel's history, by ID, with metadata
        looked = [a for a in fake.attempts if a["path"] == "/api/conversations.history"]
        assert looked and looked[0]["include_all_metadata"] in ("1", "true", "True")
    finally:
        ctx.close()


def _rate_ok(times: list[float], interval: float, burst: int, slack: float) -> bool:
    """No window holds more than burst + window/interval posts (a token bucket's promise)."""
    times = sorted(times)
    for i in range(len(times)):
        for j in range(i + burst, len(times)):
            allowed = burst + (times[j] - times[i]) / interval + slack
            if j - i + 1 > allowed:
                return False
    return True


def test_pacing_keeps_each_channel_under_its_rate(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    interval = 0.05
    config = config_path(tmp_path, sqlite_url, channel_interval_seconds=interval)
    ctx = context(config, fake)
    try:
        queue_alerts(ctx.store, {"#a": 15, "#b": 10, "#c": 5})
        outcome = deliver(ctx)
        assert outcome.sent == 30
    finally:
        ctx.close()
    # The times are the fake's receipt times: on a loaded machine a post sent on time can be
    # read up to a few tens of ms late and the next one on time, bunching two arrivals (CI
    # under load: 20 ms apart); one post of slack absorbs that, while an unpaced delivery
    # (15 posts in ~0.1 s) still fails by ten.
    for name in ("a", "b", "c"):
        times = [p["at"] for p in fake.top_level(f"#{name}")]
        assert _rate_ok(times, interval, burst=2, slack=1.0), (name, times)
    # channels take turns: #c does not wait for #a's fifteen
    order = [p["channel"] for p in fake.posts]
    assert order.index("#c") < 3 and order[-1] == "#a"


def test_real_pacing_about_one_post_per_second_per_channel(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    config = config_path(tmp_path, sqlite_url, channel_interval_seconds=1.0, channel_burst=2)
    ctx = context(config, fake)
    try:
        queue_alerts(ctx.store, {"#a": 4, "#b": 4})
        started = time.monotonic()
        assert deliver(ctx).sent == 8
        took = time.monotonic() - started
    finally:
        ctx.close()
    for name in ("a", "b"):
        times = [p["at"] for p in fake.top_level(f"#{name}")]
        # two at once (the burst), then one a second: 4 posts span at least 2 s
        assert times[-1] - times[0] >= 1.9
        assert _rate_ok(times, 1.0, burst=2, slack=0.05)
    assert took < 4.0  # the channels were paced side by side, not one after the other


def test_a_channel_answering_not_in_channel_does_not_delay_another(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    config = config_path(tmp_path, sqlite_url, max_per_pass=100)
    ctx = context(config, fake)
    try:
        queue_alerts(ctx.store, {"#stuck": 60})
        queue_alerts(ctx.store, {"#fine": 5}, prefix="b")
        fake.not_in_channels.add("#stuck")
        outcome = deliver(ctx)
        assert outcome.sent == 5 and len(fake.top_level("#fine")) == 5
        assert "not_in_channel" in outcome.blocked["#stuck"]
        tries = [a for a in fake.attempts if a.get("channel") == "#stuck"]
        assert len(tries) == 1  # one refusal blocks the channel; the other 59 are not tried
        blocked = ctx.store.list_alerts(status="blocked", limit=100)
        assert len(blocked) == 60 and all(a.attempts == 0 for a in blocked)
        assert "not_in_channel" in (blocked[0].blocked or "")
        # the next pass probes the channel with one alert, still refused: still blocked
        again = deliver(ctx)
        assert again.sent == 0 and "#stuck" in again.blocked
        assert len([a for a in fake.attempts if a.get("channel") == "#stuck"]) == 2
        # invited at last: the probe gets through and the channel's alerts flow again
        fake.not_in_channels.clear()
        third = deliver(ctx)
        assert third.sent == 60 and not third.blocked
        assert ctx.store.outbox.channel_blocks() == {}
    finally:
        ctx.close()


def test_invalid_auth_stops_delivery_and_marks_nothing(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    config = config_path(tmp_path, sqlite_url)
    ctx = context(config, fake)
    try:
        queue_alerts(ctx.store, {"#a": 3, "#b": 3})
        fake.token = "xoxb-revoked"
        outcome = deliver(ctx)
        assert outcome.credential_error and "invalid_auth" in outcome.credential_error
        assert len(fake.attempts) == 1 and fake.posts == []
        rows = ctx.store.list_alerts()
        assert {a.status for a in rows} == {AlertStatus.PENDING}
        assert all(a.attempts == 0 and a.last_error is None for a in rows)
    finally:
        ctx.close()


# Refusals Slack documents that never pass by themselves: the workspace behind a webhook gone or
# disabled, an IP allow-list, two-factor enforcement. Read as transient, each pass spent attempts
# on them until the alerts were marked failed (lost: two passes here), the run never failing.
DEAD_CREDENTIALS = {
    "webhook no_team": (True, Scripted(404, "no_team")),
    "webhook team_disabled": (True, Scripted(403, "team_disabled")),
    "webhook no_service_id": (True, Scripted(400, "no_service_id")),
    "accesslimited": (False, Scripted(200, {"ok": False, "error": "accesslimited"})),
    "two_factor_setup_required": (
        False,
        Scripted(200, {"ok": False, "error": "two_factor_setup_required"}),
    ),
    "enterprise_is_restricted": (
        False,
        Scripted(200, {"ok": False, "error": "enterprise_is_restricted"}),
    ),
}


@pytest.mark.parametrize(
    "webhook,answer", list(DEAD_CREDENTIALS.values()), ids=list(DEAD_CREDENTIALS)
)
def test_a_refusal_that_never_heals_stops_delivery_and_marks_nothing(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack, webhook: bool, answer: Scripted
) -> None:
    config = config_path(tmp_path, sqlite_url, retry_delays_minutes=[0])
    ctx = context(config, fake, webhook=webhook)
    try:
        queue_alerts(ctx.store, {"#a": 2})
        fake.script += [answer] * 4
        outcomes = [deliver(ctx) for _ in range(2)]
        assert all(o.credential_error for o in outcomes), outcomes
        assert fake.posts == []
        rows = ctx.store.list_alerts()
        assert {a.status for a in rows} == {AlertStatus.PENDING}
        assert all(a.attempts == 0 for a in rows)
    finally:
        ctx.close()


def test_a_proxys_html_403_is_retried_not_failed(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    config = config_path(tmp_path, sqlite_url)
    ctx = context(config, fake)
    try:
        [alert] = queue_alerts(ctx.store, {"#a": 1})
        fake.script.append(PROXY_403)
        first = deliver(ctx)
        assert first.sent == 0 and first.failed == 0 and first.retrying == 1
        [row] = ctx.store.list_alerts()
        assert row.status is AlertStatus.PENDING and row.attempts == 1
        assert "not a Slack answer" in (row.last_error or "")
        second = deliver(ctx)  # first retry is due at the next pass
        assert second.sent == 1 and fake.metadata_ids() == [str(alert)]
    finally:
        ctx.close()


def test_transient_failures_retry_with_growing_delays_then_fail(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    config = config_path(tmp_path, sqlite_url, retry_delays_minutes=[0, 0])
    ctx = context(config, fake)
    try:
        queue_alerts(ctx.store, {"#a": 1})
        fake.channel_id("#a")  # the channel exists; newsmon has never posted to it
        fake.outage = Scripted(200, {"ok": False, "error": "internal_error"})
        outcomes = [deliver(ctx) for _ in range(3)]
        assert [o.retrying for o in outcomes] == [1, 1, 0] and outcomes[2].failed == 1
        [row] = ctx.store.list_alerts(status="failed")
        assert row.attempts == 3 and "internal_error" in (row.last_error or "")
        # internal_error may have posted: every retry looked in the history first
        looked = [a for a in fake.attempts if a["path"] == "/api/conversations.history"]
        assert len(looked) == 2 and looked[0]["channel"] == fake.channel_id("#a")
        fake.outage = None
        assert ctx.store.retry_alerts(failed=True) == 1
        assert deliver(ctx).sent == 1
    finally:
        ctx.close()


def test_a_rate_limited_channel_waits_without_holding_back_others(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    config = config_path(tmp_path, sqlite_url)
    ctx = context(config, fake)
    try:
        queue_alerts(ctx.store, {"#slow": 2, "#fast": 4})
        fake.channel_script["#slow"] = [
            Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
        ]
        outcome = deliver(ctx)
        assert outcome.sent == 6
        slow = fake.top_level("#slow")
        fast = fake.top_level("#fast")
        refused_at = next(a for a in fake.attempts if a.get("channel") == "#slow")
        assert refused_at  # the 429 happened
        assert max(p["at"] for p in fast) < min(p["at"] for p in slow)  # #fast did not wait
        assert len(slow) == 2
    finally:
        ctx.close()


def test_webhook_mode_posts_one_message_per_article_naming_all_topics(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    from newsmon.alerts import WEBHOOK_CHANNEL, route
    from newsmon.config import SlackConfig

    config = config_path(tmp_path, sqlite_url)
    ctx = context(config, fake, webhook=True)
    try:
        slack = SlackConfig(channels={"open-source": "#oss", "policy": "#policy"})
        channels = route(["open-source", "policy"], slack, webhook=ctx.secrets.webhook_only)
        assert list(channels) == [WEBHOOK_CHANNEL]
        queue_alerts(ctx.store, {WEBHOOK_CHANNEL: 2})
        outcome = deliver(ctx)
        assert outcome.sent == 2 and len(fake.posts) == 2 and outcome.sender == "webhook"
    finally:
        ctx.close()


def test_slack_required_without_a_token_fails_instead_of_printing(
    tmp_path: Path, sqlite_url: str
) -> None:
    config = config_path(tmp_path, sqlite_url, required=True)
    ctx = context(config, None)
    try:
        queue_alerts(ctx.store, {"#a": 1})
        outcome = deliver(ctx)
        assert outcome.credential_error and "SLACK_BOT_TOKEN" in outcome.credential_error
        assert ctx.store.count_alerts(AlertStatus.PENDING) == 1
    finally:
        ctx.close()


def test_a_retry_after_longer_than_the_claim_defers_instead_of_posting_after_the_lease(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    """A delivery that slept through Retry-After past its lease posted an alert another
    delivery had meanwhile claimed, looked up (not there yet) and posted: a double post.
    Waiting past the claim must give the channel's alerts back for a later pass instead, one
    that does not post before Slack's wait ends."""
    # Slack's answer must come while the claim still covers a post (half the lease, 1.5 s,
    # from the claim on a loaded machine), its wait longer than the claim
    config = config_path(tmp_path, sqlite_url, lease_seconds=3.0)
    first, second = context(config, fake), context(config, fake)
    try:
        [alert] = queue_alerts(first.store, {"#a": 1})
        fake.channel_id("#a")
        fake.channel_script["#a"] = [
            Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "5"})
        ]
        outcomes = []
        worker = threading.Thread(target=lambda: outcomes.append(deliver(first)))
        worker.start()
        # Slack's 5 s wait and the first delivery's lease (claimed before it asked) are over,
        # counted from Slack's answer, not the thread's start: a loaded machine takes a while
        # to claim and ask, and a second delivery before the wait ends rightly posts nothing
        time.sleep(max(0.0, _first_attempt(fake) + 5.2 - time.monotonic()))
        other = deliver(second)
        worker.join(timeout=30)
        assert fake.metadata_ids() == [str(alert)]  # posted once
        assert other.sent == 1 and outcomes[0].sent == 0 and outcomes[0].deferred == 1
        assert any("Retry-After" in e for e in outcomes[0].errors)
        [row] = first.store.list_alerts()
        assert row.status is AlertStatus.SENT and row.attempts == 1
    finally:
        first.close()
        second.close()


def _first_attempt(fake: FakeSlack) -> float:
    """When (monotonic) Slack got the first post attempt, once a delivery has made it."""
    deadline = time.monotonic() + 30
    while not (posts := [a for a in fake.attempts if a["path"].endswith("chat.postMessage")]):
        assert time.monotonic() < deadline, "no delivery tried a post"
        time.sleep(0.02)
    return float(posts[0]["at"])


def _lease_of_the_claim(ctx: Context) -> datetime:
    """When the first claim on the queued alerts ends, once a delivery has made it (measured
    from the claim, not from the thread's start: a loaded machine takes a while to claim)."""
    deadline = time.monotonic() + 10
    while True:
        with ctx.store.session() as s:
            until = s.scalar(select(func.max(AlertRow.lease_until)))
        if until is not None:
            return until
        assert time.monotonic() < deadline, "no delivery claimed the alerts"
        time.sleep(0.02)


def test_a_slack_too_slow_for_the_claim_leaves_the_rest_instead_of_posting_after_the_lease(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    """Posts that each take long ate the claim's lease while its batch was still posting; the
    next posts went out after the lease, while another delivery had taken the same alerts
    over, looked them up (not there yet) and posted them: each twice. A delivery must not
    start a post its claim no longer covers."""
    # a post starts only while the claim covers it by half the lease: 1.5 s from its claim
    # for the first post on a loaded machine, then two posts of 1.2 s, not a third
    config = config_path(tmp_path, sqlite_url, lease_seconds=3.0)
    first, second = context(config, fake), context(config, fake)
    try:
        ids = queue_alerts(first.store, {"#a": 4})
        fake.channel_id("#a")
        fake.delay_before = 1.2  # every post takes 1.2 s before Slack accepts it
        outcomes = []
        worker = threading.Thread(target=lambda: outcomes.append(deliver(first)))
        worker.start()
        time.sleep(max(0.0, (_lease_of_the_claim(first) - utcnow()).total_seconds() + 0.1))
        other = deliver(second)  # the first lease is over: the second takes the rest over
        worker.join(timeout=30)
        # On a loaded machine the first may still hold one when the second looks, or the
        # second's claim may not cover all it took: each gives the rest back (deferred), and
        # later deliveries post them. Never twice, whatever the timing.
        later = []
        while first.store.list_alerts(status="pending") and len(later) < 4:
            later.append(deliver(second))
        assert sorted(fake.metadata_ids()) == sorted(str(i) for i in ids)  # each once
        assert outcomes[0].sent + other.sent + sum(o.sent for o in later) == 4
        assert outcomes[0].sent >= 1 and outcomes[0].deferred >= 1
        assert any("too slowly" in e for e in outcomes[0].errors)
        assert all(a.status is AlertStatus.SENT for a in first.store.list_alerts())
    finally:
        first.close()
        second.close()


def test_an_hour_long_retry_after_leaves_the_channel_for_a_later_pass(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    config = config_path(tmp_path, sqlite_url)
    ctx = context(config, fake)
    try:
        queue_alerts(ctx.store, {"#slow": 3, "#fast": 2})
        fake.channel_script["#slow"] = [
            Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3600"})
        ]
        started = time.monotonic()
        outcome = deliver(ctx)
        assert time.monotonic() - started < 10  # not an hour, nor the task's timeout
        assert outcome.sent == 2 and outcome.deferred == 3
        assert not [p for p in fake.posts if p["channel"] == "#slow"]
        assert [a.get("channel") for a in fake.attempts].count("#slow") == 1  # not re-claimed
        pending = ctx.store.list_alerts(status="pending")
        assert len(pending) == 3 and all(a.attempts == 0 for a in pending)
    finally:
        ctx.close()


@pytest.mark.postgres
def test_a_worker_whose_clock_runs_ahead_takes_over_no_claim_another_still_holds(
    tmp_path: Path, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers on several hosts share one PostgreSQL corpus. Claims were started and compared
    in each host's own clock: a host 20 minutes ahead saw a 10-minute lease another host had
    just taken as long expired, took the alerts over and posted them while the first was
    posting them too. Leases are now written and compared in the database server's clock."""
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="skew") as url:
        config = config_path(tmp_path, url)
        holder, ahead = context(config, fake), context(config, fake)
        try:
            queue_alerts(holder.store, {"#a": 2})
            fake.channel_id("#a")  # the channel exists: a takeover's lookup works
            held = holder.store.outbox.claim_alerts(new_claim(timedelta(minutes=10)), 10)
            assert len(held) == 2  # the first host is about to post both

            def skewed() -> datetime:
                return datetime.now(UTC) + timedelta(minutes=20)

            for module in (newsmon.corpus.claims, newsmon.pipeline.delivery):
                monkeypatch.setattr(module, "utcnow", skewed)
            outcome = deliver(ahead)
            assert fake.posts == [] and outcome.sent == 0 and outcome.recovered == 0
            assert holder.store.count_alerts(AlertStatus.SENDING) == 2  # still the first's
        finally:
            holder.close()
            ahead.close()


def test_a_channel_rate_limited_past_its_tries_waits_for_the_next_pass_whole(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    """A proxy answering 429 without Retry-After: one message is tried 3 times, 1 s apart,
    then the channel waits for the next pass. It waited only for the batch: every further
    batch of that channel's alerts (10 a batch) was tried 3 times more, seconds each, within
    the same pass. Nothing is posted twice or lost: every alert stays queued, no attempt
    counted, and another channel is not held back."""
    config = config_path(tmp_path, sqlite_url)
    ctx = context(config, fake)
    try:
        queue_alerts(ctx.store, {"#busy": 11, "#calm": 1})
        throttled = Scripted(429, "<html>Too Many Requests</html>", content_type="text/html")
        fake.channel_script["#busy"] = [throttled] * 6
        outcome = deliver(ctx)
        tries = [a for a in fake.attempts if a.get("channel") == "#busy"]
        assert len(tries) == 3, len(tries)
        assert outcome.sent == 1 and [p["channel"] for p in fake.posts] == ["#calm"]
        busy = ctx.store.list_alerts(channel="#busy")
        assert len(busy) == 11
        assert all(a.status is AlertStatus.PENDING and a.attempts == 0 for a in busy)
        fake.channel_script.clear()
        with ctx.store.session() as s:  # the second Slack asked for (none said) is over
            s.execute(update(SlackChannelRow).values(wait_until=None))
        assert deliver(ctx).sent == 11 and len(fake.top_level("#busy")) == 11
    finally:
        ctx.close()
