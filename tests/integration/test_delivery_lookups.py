"""When the check for an earlier post cannot be made: an alert whose earlier attempt may have
reached Slack is looked up in the channel's history before it is posted again. A lookup that
fails — for lack of the history scope, or because Slack is failing — must neither stop every
other alert (as a refused token does) nor post again at once (a double post): the alert waits
for a later pass, for at most `slack.unchecked_post_after_minutes`, then goes out unchecked and
says so. Real slack_sdk client, fake Slack on loopback, SQLite and PostgreSQL.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newsmon.alerts import route
from newsmon.corpus.records import AlertStatus
from newsmon.health import ProblemKind
from newsmon.pipeline import deliver
from newsmon.pipeline.checkup import health_report
from newsmon.slack.check import Verdict, channel_uses, check
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import (
    FULL_SCOPES,
    INTERNAL_ERROR,
    MISSING_HISTORY_SCOPE,
    READS_FAILING,
    FakeSlack,
)


def _config(tmp_path: Path, db_url: str, **slack: Any) -> Path:
    slack.setdefault("channels", {"policy": "#a", "open-source": "#b", "ai-safety": "#c"})
    return config_path(tmp_path, db_url, retry_delays_minutes=[0, 0, 0], **slack)


def _history_problems(ctx: Any) -> list[str]:
    report = health_report(ctx.store, ctx.config, datetime.now(UTC))
    return [p.subject for p in report.problems if p.kind is ProblemKind.HISTORY_UNREADABLE]


def test_a_missing_history_scope_holds_only_the_unchecked_alert_and_delivery_goes_on(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    ctx = context(_config(tmp_path, db_url), fake)
    try:
        unsure, *_ = queue_alerts(ctx.store, {"#a": 2, "#b": 1})
        fake.channel_script["#a"] = [INTERNAL_ERROR]
        first = deliver(ctx)
        assert first.sent == 2 and first.retrying == 1  # the first of #a may have posted
        fake.read_outage = MISSING_HISTORY_SCOPE  # the bot may post, not read
        [fresh] = queue_alerts(ctx.store, {"#c": 1}, prefix="c")
        second = deliver(ctx)
        # not a credential failure: the run goes on, the other alerts go out
        assert second.credential_error is None
        assert second.sent == 1 and fake.metadata_ids().count(str(fresh)) == 1
        # the unsure one is held, not posted again and not counted as an attempt
        assert str(unsure) not in fake.metadata_ids() and second.held == 1
        [row] = [a for a in ctx.store.list_alerts() if a.id == unsure]
        assert row.status is AlertStatus.PENDING and row.attempts == 1
        # one readable line says what is wrong and what to grant
        lines = [e for e in second.errors if "missing_scope" in e]
        assert len(lines) == 1 and "channels:history" in lines[0] and "held" in lines[0]
        assert second.history_errors.keys() == {"#a"}
        # …and `newsmon health` shows it while it lasts
        assert _history_problems(ctx) == ["#a"]
        third = deliver(ctx)  # still missing: held again, one line again
        assert third.held == 1 and len([e for e in third.errors if "missing_scope" in e]) == 1
        fake.read_outage = None  # the scope is granted
        fourth = deliver(ctx)
        assert fourth.sent == 1 and Counter(fake.metadata_ids())[str(unsure)] == 1
        assert _history_problems(ctx) == [] and not fourth.history_errors
    finally:
        ctx.close()


def test_a_lasting_unreadable_history_clears_in_health_once_readable(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Health is cleared by a later pass's probe of the channel, with no alert left to check."""
    ctx = context(_config(tmp_path, db_url, unchecked_post_after_minutes=0), fake)
    try:
        queue_alerts(ctx.store, {"#a": 1})
        fake.channel_script["#a"] = [INTERNAL_ERROR]
        deliver(ctx)
        fake.read_outage = MISSING_HISTORY_SCOPE
        second = deliver(ctx)  # no hold allowed: posted unchecked at once, and said so
        assert second.sent == 1 and second.unchecked == 1 and second.held == 0
        assert any("unchecked" in e and "twice" in e for e in second.errors)
        assert _history_problems(ctx) == ["#a"]
        assert "#a" in deliver(ctx).history_errors  # nothing to check: the channel is probed
        fake.read_outage = None
        assert not deliver(ctx).history_errors and _history_problems(ctx) == []
    finally:
        ctx.close()


def test_a_failing_lookup_gives_the_alert_back_instead_of_posting_it_again(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Slack took the post and its answer was lost; the lookup then fails (5xx): posting again
    was a double post. The alert waits; the next pass's lookup finds it."""
    ctx = context(_config(tmp_path, db_url, timeout=1), fake)
    try:
        [alert] = queue_alerts(ctx.store, {"#a": 1})
        fake.delay_after = 2.5  # accepted, answered after the client gave up
        first = deliver(ctx)
        assert first.retrying == 1 and fake.metadata_ids() == [str(alert)]
        fake.delay_after = 0
        fake.read_outage = READS_FAILING
        second = deliver(ctx)
        assert fake.metadata_ids() == [str(alert)]  # not posted again
        assert second.held == 1 and second.sent == 0 and second.credential_error is None
        [row] = ctx.store.list_alerts()
        assert row.status is AlertStatus.PENDING and row.attempts == 1
        assert not second.history_errors  # a transient failure is no lasting problem
        fake.read_outage = None
        third = deliver(ctx)
        assert third.recovered == 1 and fake.metadata_ids() == [str(alert)]
        [row] = ctx.store.list_alerts()
        assert row.status is AlertStatus.SENT
    finally:
        ctx.close()


def test_lookups_failing_past_the_bound_post_once_unchecked(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """A held alert does not wait for ever: past `unchecked_post_after_minutes` after the
    attempt whose outcome is unknown, it is posted without the check, and the pass says so."""
    ctx = context(_config(tmp_path, db_url, unchecked_post_after_minutes=0.04), fake)
    try:
        [alert] = queue_alerts(ctx.store, {"#a": 1})
        fake.channel_script["#a"] = [INTERNAL_ERROR]
        deliver(ctx)
        fake.read_outage = READS_FAILING
        assert deliver(ctx).held == 1 and fake.metadata_ids() == []
        time.sleep(2.5)  # the bound (2.4 s after the unsure attempt) has passed
        late = deliver(ctx)
        assert late.held == 0 and late.unchecked == 1 and late.sent == 1
        assert fake.metadata_ids() == [str(alert)]
        assert any("unchecked" in e for e in late.errors)
    finally:
        ctx.close()


def test_a_channel_no_longer_used_is_neither_probed_nor_reported_for_ever(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """A channel whose history could not be read stayed a health problem, probed every pass,
    after the configuration stopped using it (a deleted channel never reads again): health
    failed for good. Once nothing is configured for it nor waiting to go out there, it is
    forgotten; while it is in use it is reported."""
    ctx = context(_config(tmp_path, db_url, unchecked_post_after_minutes=0), fake)
    try:
        queue_alerts(ctx.store, {"#a": 1})
        fake.channel_script["#a"] = [INTERNAL_ERROR]
        deliver(ctx)
        fake.read_outage = MISSING_HISTORY_SCOPE
        deliver(ctx)  # posted unchecked; the channel's history stays unreadable
        assert _history_problems(ctx) == ["#a"]
    finally:
        ctx.close()
    moved = _config(tmp_path, db_url, channels={"policy": "#policy-new"})
    ctx = context(moved, fake)
    try:
        assert _history_problems(ctx) == []  # no longer configured, nothing waiting
        reads = len(fake.attempts)
        outcome = deliver(ctx)
        assert not outcome.history_errors and len(fake.attempts) == reads  # not probed
        assert ctx.store.outbox.history_errors() == {}
    finally:
        ctx.close()


@pytest.mark.parametrize(
    ("channel", "scopes"),
    [("#a", FULL_SCOPES - {"groups:read"}), ("#AI-Policy", FULL_SCOPES)],
    ids=["public-channel-without-groups-read", "upper-case-name"],
)
def test_a_lost_post_is_found_wherever_the_check_finds_the_channel(
    tmp_path: Path, db_url: str, fake: FakeSlack, channel: str, scopes: frozenset[str]
) -> None:
    """Slack took the post and its answer was lost. The look-up resolved the name through
    `conversations.list` of public and private channels together, which a token without
    `groups:read` is refused (`missing_scope`), and compared names as written (`#AI-Policy`
    is listed `ai-policy`): the alert was held, then posted unchecked (twice in the channel),
    and health reported the history unreadable, while `newsmon slack check` found the public
    channel without `groups:read` (postable, no warning), and not `#AI-Policy`."""
    fake.channel_id(channel)  # the channel exists, the bot in it
    fake.scopes = scopes
    ctx = context(_config(tmp_path, db_url, timeout=1, channels={"policy": channel}), fake)
    try:
        [queued] = route(["policy"], ctx.config.slack)  # as the pipeline queues it
        [alert] = queue_alerts(ctx.store, {queued: 1})
        fake.delay_after = 1.5  # accepted, answered after the client gave up
        assert deliver(ctx).retrying == 1 and fake.metadata_ids() == [str(alert)]
        fake.delay_after = 0
        second = deliver(ctx)
        assert (second.recovered, second.held, second.history_errors) == (1, 0, {})
        assert fake.metadata_ids() == [str(alert)] and _history_problems(ctx) == []
        uses = channel_uses(["policy"], ctx.config.slack)
        [verdict] = check(fake.token, uses, base_url=fake.api_url, timeout=5).channels
        assert (verdict.verdict, verdict.caveat) == (Verdict.POSTABLE, None)
    finally:
        ctx.close()
