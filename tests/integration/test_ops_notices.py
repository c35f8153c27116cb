"""Health notices posted exactly once, against the fake Slack through the real slack_sdk client,
on SQLite and (when NEWSMON_TEST_POSTGRES_URL is set) PostgreSQL: a post whose answer was lost
is looked up, not posted again; one whose owner died before recording it is found by the next
owner; two passes racing announce and resolve each problem once; a Slack outage delays."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from newsmon.clock import utcnow
from newsmon.corpus.claims import new_claim
from newsmon.corpus.records import FeedHealth, RunRecord, RunStatus
from newsmon.corpus.schema import SlackChannelRow
from newsmon.health import HealthReport, assess
from newsmon.notices import NOTICE_EVENT, RESOLVE_QUIET, notice_message, plan_notices
from newsmon.pipeline import Context, deliver
from newsmon.pipeline.notices import NoticeOutcome, announce_health
from newsmon.slack import SlackWebSender
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted

OPS = "#ops"
HOUR = Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3600"})


def health(failing: list[str], now: datetime | None = None) -> HealthReport:
    """What a pass's health check says when `failing` feeds have failed for two days."""
    now = now or utcnow()
    done = RunRecord(1, "monitor", RunStatus.COMPLETED, now - timedelta(minutes=2), now, {})
    feeds = [
        FeedHealth(
            name,
            f"https://{name}.example/feed",
            now - timedelta(minutes=5),
            now - timedelta(days=2),
            "HTTP 503",
            now - timedelta(minutes=5),
            9,
            10,
            3,
            last_new_at=now - timedelta(hours=1),
        )
        for name in failing
    ]
    return assess(now, [done], feeds, {})


def later() -> datetime:
    """When a pass may resolve what the one just before it missed: `RESOLVE_QUIET` on (passes
    here are milliseconds apart; a run right after another is no second look)."""
    return utcnow() + RESOLVE_QUIET


def ids(fake: FakeSlack) -> Counter[str]:
    return Counter(fake.metadata_ids(NOTICE_EVENT))


def race(contexts: list[Context], report: HealthReport) -> list[NoticeOutcome]:
    """Both passes announce the same report at the same instant."""
    outcomes: list[NoticeOutcome] = []
    barrier = threading.Barrier(len(contexts))

    def run(ctx: Context) -> None:
        barrier.wait()
        outcomes.append(announce_health(ctx, report))

    threads = [threading.Thread(target=run, args=(ctx,)) for ctx in contexts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_a_notice_whose_answer_was_lost_is_looked_up_not_posted_again(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    config = config_path(tmp_path, db_url, ops_channel=OPS, timeout=1)
    ctx = context(config, fake)
    try:
        fake.delay_after = 3  # accepted, then answered after the client gave up
        first = announce_health(ctx, health(["wire"]))
        assert first.opened == 1 and first.posted == 0
        assert first.error is not None and "next pass" in first.error
        assert len(ids(fake)) == 1  # Slack has it, newsmon does not know
        fake.delay_after = 0
        second = announce_health(ctx, health(["wire"]))
        assert (second.opened, second.posted, second.recovered) == (0, 0, 1)
        assert ids(fake) == Counter({"1": 1})
        looked = [a for a in fake.attempts if a["path"] == "/api/conversations.history"]
        assert looked and looked[0]["include_all_metadata"] in ("1", "true", "True")
        assert announce_health(ctx, health([])).resolved == 0  # gone once: not yet resolved
        third = announce_health(ctx, health([], later()))  # gone twice: resolved, in its thread
        assert (third.resolved, third.posted) == (1, 1)
        [opened] = fake.top_level(OPS)
        [reply] = fake.replies()
        assert reply["thread_ts"] == opened["ts"] and ids(fake) == Counter({"1": 1, "2": 1})
    finally:
        ctx.close()


@pytest.mark.parametrize("hold", [120, 0])
def test_a_notice_that_cannot_be_looked_up_waits_then_goes_out_unchecked(
    tmp_path: Path, db_url: str, fake: FakeSlack, hold: int
) -> None:
    """A notice whose answer was lost, in a channel whose history cannot be read: held like an
    alert, until `slack.unchecked_post_after_minutes` after the unsure attempt, then posted
    unchecked (it may show twice) rather than never."""
    config = config_path(
        tmp_path, db_url, ops_channel=OPS, timeout=1, unchecked_post_after_minutes=hold
    )
    ctx = context(config, fake)
    try:
        fake.channel_id(OPS)
        fake.delay_after = 3  # accepted, then answered after the client gave up
        first = announce_health(ctx, health(["wire"]))
        assert first.opened == 1 and first.posted == 0 and len(ids(fake)) == 1
        fake.delay_after = 0
        fake.read_outage = Scripted(503, "upstream down", content_type="text/plain")
        second = announce_health(ctx, health(["wire"]))
        if hold:
            assert (second.posted, second.unchecked) == (0, 0)
            assert second.error is not None and "next pass" in second.error
            assert ids(fake) == Counter({"1": 1}) and ctx.store.notices.state().waiting == 1
        else:
            assert (second.posted, second.unchecked) == (1, 1), second
            assert "posted unchecked" in second.line()
            assert ids(fake) == Counter({"1": 2}) and ctx.store.notices.state().waiting == 0
    finally:
        ctx.close()


def test_a_notice_posted_by_an_owner_that_died_before_recording_it_is_found(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    config = config_path(tmp_path, db_url, ops_channel=OPS, lease_seconds=60)
    ctx = context(config, fake)
    try:
        plan = ctx.store.notices.record(
            lambda announced, _: plan_notices(health(["wire"]), announced),
            OPS,
            utcnow(),
        )
        assert len(plan.drafts) == 1
        # a pass claimed it an hour ago, posted it, and died: its lease is long over
        dead = new_claim(timedelta(minutes=10), utcnow() - timedelta(hours=1))
        job = ctx.store.notices.claim_notice(dead, OPS)
        assert job is not None and job.unknown_since is None
        sender = SlackWebSender(fake.token, base_url=fake.api_url)
        sender.post(notice_message(job.id, job.channel, job.text, job.fallback, None))
        outcome = announce_health(ctx, health(["wire"]))
        assert (outcome.opened, outcome.posted, outcome.recovered) == (0, 0, 1)
        assert ids(fake) == Counter({str(job.id): 1})
        assert ctx.store.notices.state().waiting == 0
    finally:
        ctx.close()


def test_a_slack_outage_delays_notices_and_fails_nothing(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    config = config_path(tmp_path, db_url, ops_channel=OPS)
    ctx = context(config, fake)
    try:
        fake.channel_id(OPS)  # the channel exists in Slack, where the lookup will search
        fake.outage = Scripted(503, "upstream down", content_type="text/plain")
        down = announce_health(ctx, health(["a", "b"]))
        assert down.opened == 2 and down.posted == 0 and down.error
        assert ctx.store.notices.state().waiting == 2
        assert len([a for a in fake.attempts if a["path"] == "/api/chat.postMessage"]) == 1
        fake.outage = None
        back = announce_health(ctx, health(["a", "b"]))
        assert (back.opened, back.posted) == (0, 2) and back.error is None, back
        assert ids(fake) == Counter({"1": 1, "2": 1})
    finally:
        ctx.close()


def test_two_passes_racing_announce_and_resolve_each_problem_once(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    config = config_path(tmp_path, db_url, ops_channel=OPS)
    contexts = [context(config, fake) for _ in range(2)]  # two passes, two engines
    fake.delay_after = 0.05  # a slow Slack: posts overlap
    failing = ["a", "b", "c", "d", "e"]
    try:
        now, quiet = utcnow(), later()
        reports = [health(failing[:2], now), health(failing, now), health(failing[3:], now)]
        reports += [
            health(failing[3:], quiet),
            health([], quiet),
            health([], quiet + RESOLVE_QUIET),
        ]
        for report in reports:
            outcomes = race(contexts, report)
            assert len(outcomes) == 2 and not any(o.error for o in outcomes), outcomes
        posted = ids(fake)
        assert set(posted.values()) == {1}  # no notice twice
        state = contexts[0].store.notices.state()
        assert state.announced == [] and state.waiting == 0
        # a, b; then c, d, e; then a, b, c resolved; then d, e resolved
        texts = [p["blocks"][0]["text"]["text"] for p in fake.posts]
        opened = [t for t in texts if ":rotating_light:" in t]
        resolved = [t for t in texts if ":white_check_mark:" in t]
        assert len(opened) == 5 and len(resolved) == 5
        assert sum(t.count("*resolved: feed failing*") for t in resolved) == 5
    finally:
        for ctx in contexts:
            ctx.close()


def test_no_ops_channel_or_no_bot_token_means_no_notice(tmp_path: Path, fake: FakeSlack) -> None:
    url = f"sqlite:///{tmp_path / 'corpus.db'}"
    plain = context(config_path(tmp_path, url), fake)
    try:
        assert announce_health(plain, health(["a"])).off == "no slack.ops_channel"
        assert plain.store.notices.state().waiting == 0
    finally:
        plain.close()
    hooked = context(config_path(tmp_path, url, ops_channel=OPS), fake, webhook=True)
    try:
        outcome = announce_health(hooked, health(["a"]))
        assert outcome.off is not None and "SLACK_BOT_TOKEN" in outcome.off
        assert hooked.store.notices.state().waiting == 0 and fake.posts == []
    finally:
        hooked.close()


def test_a_notice_slack_refuses_for_good_does_not_hold_back_every_later_one(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Someone deleted an opening notice in the operations channel: its "resolved" reply is
    refused (`thread_not_found`) and always will be. Tried first every pass, it kept every later
    notice (a new feed failing) from the channel for good."""
    config = config_path(tmp_path, db_url, ops_channel=OPS)
    ctx = context(config, fake)
    try:
        assert announce_health(ctx, health(["wire"])).posted == 1
        [opened] = fake.top_level(OPS)
        fake.posts.remove(opened)  # deleted in Slack
        announce_health(ctx, health([]))
        # gone twice, the second a while later: the reply is owed and refused
        gone = announce_health(ctx, health([], later()))
        assert gone.resolved == 1 and gone.posted == 0
        for _ in range(2):  # later passes: a new problem must reach the channel
            announce_health(ctx, health(["radio"]))
        assert len(fake.top_level(OPS)) == 1, fake.attempts
        [posted] = fake.top_level(OPS)
        assert "radio" in posted["blocks"][0]["text"]["text"]
        assert ctx.store.notices.state().waiting == 0  # the refused reply is not "not yet"
    finally:
        ctx.close()


def test_a_problem_whose_notice_slack_refused_is_still_resolved_in_the_channel(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """The opening notice was refused for good: its "resolved" notice, which waited for it to
    be posted, waited for ever ("1 notice(s) not posted yet" in health). It goes out on its own."""
    config = config_path(tmp_path, db_url, ops_channel=OPS)
    ctx = context(config, fake)
    try:
        fake.channel_script[OPS] = [Scripted(200, {"ok": False, "error": "msg_too_long"})]
        assert announce_health(ctx, health(["wire"])).refused == 1
        announce_health(ctx, health([]))
        gone = announce_health(ctx, health([], later()))
        assert (gone.resolved, gone.posted) == (1, 1), gone
        [posted] = fake.top_level(OPS)
        assert ":white_check_mark:" in posted["blocks"][0]["text"]["text"]
        assert ctx.store.notices.state().waiting == 0
    finally:
        ctx.close()


def test_an_ops_channel_that_takes_posts_again_is_no_longer_refused_whatever_it_refuses(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """The bot was removed from the operations channel (its notice refused: the channel is
    blocked, `ops_channel_refused`), and the announcement that notice answers was deleted.
    Once the bot is back, Slack refuses that reply for itself (`thread_not_found`): nothing is
    left to post, and the channel stayed blocked — health red for ever on a channel that works."""
    from newsmon.health import ProblemKind
    from newsmon.pipeline.checkup import health_report

    def refused() -> list[str | None]:
        report = health_report(ctx.store, ctx.config, utcnow())
        return [p.subject for p in report.problems if p.kind is ProblemKind.OPS_CHANNEL_REFUSED]

    config = config_path(tmp_path, db_url, ops_channel=OPS)
    ctx = context(config, fake)
    try:
        assert announce_health(ctx, health(["wire"])).posted == 1
        [opened] = fake.top_level(OPS)
        fake.posts.remove(opened)  # deleted in Slack
        fake.not_in_channels.add(OPS)  # and the bot removed
        announce_health(ctx, health([]))
        # gone twice: the reply is owed, the channel refuses it
        gone = announce_health(ctx, health([], later()))
        assert gone.resolved == 1 and gone.blocked and refused() == [OPS]
        fake.not_in_channels.clear()  # the bot is back
        back = announce_health(ctx, health([]))
        assert back.refused == 1 and refused() == [] and back.blocked is None
        assert ctx.store.notices.state().waiting == 0
    finally:
        ctx.close()


def test_a_notice_whose_blocks_slack_refuses_goes_out_as_text(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Slack refused a notice's blocks (`invalid_blocks`): the notice was failed for good, and
    the operations channel never heard of the problem, though its text would have been taken."""
    config = config_path(tmp_path, db_url, ops_channel=OPS)
    ctx = context(config, fake)
    try:
        fake.channel_script[OPS] = [Scripted(200, {"ok": False, "error": "invalid_blocks"})]
        outcome = announce_health(ctx, health(["wire"]))
        assert (outcome.posted, outcome.refused) == (1, 0), outcome
        assert outcome.as_text == 1
        [posted] = fake.top_level(OPS)
        assert not posted.get("blocks") and "wire" in posted["text"]
        assert ids(fake) == Counter({"1": 1})  # marked: a lost answer is still looked up
        assert "1 posted as plain text (Slack refused their blocks)" in outcome.line()
        assert ctx.store.notices.state().waiting == 0
        announce_health(ctx, health([]))
        gone = announce_health(ctx, health([], later()))  # its resolution threads under it
        assert (gone.resolved, gone.posted) == (1, 1), gone
        assert [p.get("thread_ts") for p in fake.posts] == [None, posted["ts"]]
    finally:
        ctx.close()


def test_notices_wait_out_a_retry_after_slack_asked_of_the_ops_channel(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Slack asked the ops channel to wait an hour (an alert posted there was refused). Each
    pass's health notice was posted into the wait, refused again, and a notice refused so
    (its own 429) was posted again by the very next pass. Notices now wait it out, queued,
    and go out once when it ends."""
    config = config_path(tmp_path, db_url, ops_channel=OPS)
    ctx = context(config, fake)
    try:
        queue_alerts(ctx.store, {OPS: 1})
        fake.channel_script[OPS] = [HOUR]
        assert OPS in deliver(ctx).waits
        before = len(fake.attempts)
        first = announce_health(ctx, health(["wire"]))
        assert first.opened == 1 and first.posted == 0 and len(fake.attempts) == before
        assert first.waits_until is not None and "Retry-After" in first.line()

        ended = ctx.store.slack_waits.now() - timedelta(seconds=1)
        with ctx.store.session() as s:
            s.execute(update(SlackChannelRow).values(wait_until=ended))
        fake.channel_script[OPS] = [HOUR]  # the notice's own post: an hour more
        second = announce_health(ctx, health(["wire"]))
        assert second.posted == 0 and len(ids(fake)) == 0 and second.waits_until is not None
        tried = len(fake.attempts)
        third = announce_health(ctx, health(["wire"]))  # the next pass, within that hour
        assert third.posted == 0 and len(fake.attempts) == tried, fake.attempts[tried:]

        with ctx.store.session() as s:
            s.execute(update(SlackChannelRow).values(wait_until=ended))
        last = announce_health(ctx, health(["wire"]))
        assert last.posted == 1 and ids(fake) == Counter({"1": 1})
    finally:
        ctx.close()
