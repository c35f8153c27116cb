"""Health notices in the operations channel through the real `monitor` flow, the sample site on
loopback and the fake Slack: a feed failing long enough is announced once, said nothing more
about while it fails, and resolved once, in the announcement's thread, when it works again."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flows.monitor import monitor
from prefect.flow_engine import FlowRunTimeoutError
from sqlalchemy import update
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.config import load_config
from newsmon.corpus import Store
from newsmon.corpus.records import RunStatus
from newsmon.corpus.schema import FeedRow
from newsmon.devsite import SiteServer
from newsmon.notices import FLAP_QUIET, NOTICE_EVENT
from newsmon.verdict import PassFailed
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack
from tests.support.notices import age_absences

pytestmark = pytest.mark.usefixtures("prefect_harness")

OPS = "#newsmon-ops"
CHANNELS = {"open-source": "#ai-open-source", "ai-safety": "#ai-safety", "policy": "#ai-policy"}
FLAKY = "/feeds/ko-ai.xml"  # a working feed of the site, made to fail and then to work again


def notices(slack: FakeSlack) -> list[dict[str, Any]]:
    return [p for p in slack.posts if (p.get("metadata") or {}).get("event_type") == NOTICE_EVENT]


def backdate_feed(config: Path, name: str, days: float) -> None:
    """The feed was added `days` ago (and never worked since): what a failing feed looks like
    after that long, without waiting for it."""
    store = Store.open(load_config(config).database_url)
    try:
        with store.session() as s:
            feed = s.query(FeedRow).filter(FeedRow.name == name).one()
            s.execute(
                update(FeedRow)
                .where(FeedRow.id == feed.id)
                .values(created_at=feed.created_at - timedelta(days=days))
            )
    finally:
        store.close()


def lapse_claims(config: Path) -> None:
    """The feed claims a pass that timed out left lapse (their lease is 5 minutes; scheduled
    passes are 20 minutes apart): what the next scheduled pass finds, without waiting."""
    store = Store.open(load_config(config).database_url)
    try:
        with store.session() as s:
            s.execute(update(FeedRow).values(claimed_by=None, claim_expires_at=None))
    finally:
        store.close()


def test_a_feed_failing_for_days_is_announced_once_and_resolved_once_in_its_thread(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    site.routes[FLAKY] = {"status": 503, "body": "<html>down <!channel> & out</html>"}
    config = write_config(
        tmp_path,
        feeds=[("frontier-wire", "/feeds/en-ai.atom", "en"), ("flaky-ko", FLAKY)],
        base=site.base,
        channels=CHANNELS,
        default_channel="#n",
        slack={"ops_channel": OPS},
    )
    first = asyncio.run(monitor(config_path=str(config), force=True))
    assert first.feeds_ok == 1 and first.feeds_failed == 1
    assert notices(slack) == []  # failing for minutes: not a problem yet

    backdate_feed(config, "flaky-ko", days=2)
    asyncio.run(monitor(config_path=str(config), force=True))
    [opened] = notices(slack)
    assert opened["channel_id"] == slack.channel_id(OPS) and not opened.get("thread_ts")
    text = opened["blocks"][0]["text"]["text"]
    assert "*feed failing* — flaky-ko http://127.0.0.1:" in text and "since " in text
    assert "HTTP 503" in text and "`newsmon feeds`" in text
    # the alerts went where they always go; the ops channel got the notice only
    assert all(p["channel_id"] != slack.channel_id(OPS) for p in slack.posts if p is not opened)

    asyncio.run(monitor(config_path=str(config), force=True))
    assert len(notices(slack)) == 1  # still failing: nothing more

    code_health = CliRunner().invoke(app, ["health", "--config", str(config)])
    assert f"announced in {OPS}: feed_failing flaky-ko" in code_health.output

    del site.routes[FLAKY]  # the site is back
    asyncio.run(monitor(config_path=str(config), force=True))
    assert len(notices(slack)) == 1  # gone for one pass: not resolved yet (it may flap)
    age_absences(config)  # the next pass of the schedule, not one seconds later
    asyncio.run(monitor(config_path=str(config), force=True))
    [_, resolved] = notices(slack)
    assert resolved["thread_ts"] == opened["ts"]
    assert (
        "*resolved: feed failing* — flaky-ko, after 2 days" in resolved["blocks"][0]["text"]["text"]
    )

    asyncio.run(monitor(config_path=str(config), force=True))
    assert len(notices(slack)) == 2  # healthy, and said so once


def test_a_pass_that_crashes_is_announced_by_itself(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass broken by an unexpected error (a bug, a row the database refuses) is recorded
    crashed and ends before its health check: the operations channel heard nothing, however
    many passes crashed (the next pass that completes is itself the newest, so no later pass
    finds `last_pass_failed` to announce). The crashed pass announces it; later passes that
    complete resolve it."""
    from newsmon.corpus.outbox import Outbox

    config = write_config(
        tmp_path,
        feeds=[("frontier-wire", "/feeds/en-ai.atom", "en")],
        base=site.base,
        channels=CHANNELS,
        default_channel="#n",
        slack={"ops_channel": OPS},
    )
    assert asyncio.run(monitor(config_path=str(config))).feeds_ok == 1

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("the corpus refused a row")

    working = Outbox.count_alerts
    monkeypatch.setattr(Outbox, "count_alerts", broken)  # read right after delivery
    for _ in range(2):
        with pytest.raises(RuntimeError):
            asyncio.run(monitor(config_path=str(config)))
    [opened] = notices(slack)
    text = opened["blocks"][0]["text"]["text"]
    assert "*the last monitoring pass failed*" in text
    assert "crashed: RuntimeError: the corpus refused a row" in text

    monkeypatch.setattr(Outbox, "count_alerts", working)  # fixed (the Slack token stays)
    for _ in range(2):
        asyncio.run(monitor(config_path=str(config)))
        age_absences(config)  # the next pass is the schedule's, not one seconds later
    [_, resolved] = notices(slack)
    assert resolved["thread_ts"] == opened["ts"]
    assert "*resolved: the last monitoring pass failed*" in resolved["blocks"][0]["text"]["text"]


class FlakySite(SiteServer):
    """The sample site whose feed `path` fails one request in three (a flaky proxy)."""

    def __init__(self, root: Path, path: str) -> None:
        super().__init__(root)
        self.flaky_path = path
        self.flaky_count = 0

    def respond(self, raw_path: str) -> tuple[int, dict[str, str], bytes]:
        if raw_path.split("?", 1)[0] == self.flaky_path:
            with self._lock:
                self.flaky_count += 1
                fails = self.flaky_count % 3 == 0
            if fails:
                return 503, {"Content-Type": "text/plain"}, b"proxy error"
        return super().respond(raw_path)


def test_a_pass_failing_one_time_in_three_is_said_flapping_once_not_announced_every_hour(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    """The only feed fails one request in three, so one pass in three fails (every feed tried
    failed): `last_pass_failed` comes and goes. Announced and resolved once, then said once to
    be flapping and nothing more while it flaps (before: an "announce" / "resolved" pair every
    three passes, every hour on the deployment's schedule); resolved once it stays away."""
    flaky = FlakySite(site.root, "/feeds/en-ai.atom").start()
    try:
        config = write_config(
            tmp_path,
            feeds=[("frontier-wire", "/feeds/en-ai.atom", "en")],
            base=flaky.base,
            channels=CHANNELS,
            default_channel="#n",
            slack={"ops_channel": OPS},
        )
        failed = 0
        for _ in range(12):
            try:
                asyncio.run(monitor(config_path=str(config), force=True))
            except PassFailed:
                failed += 1
            age_absences(config)  # passes as far apart as the schedule's, not seconds
        assert failed == 4
        # announced, resolved, found again: flapping, said once (before: 8 notices)
        assert len(notices(slack)) == 3
        for _ in range(3):
            flaky.flaky_count = 0  # the proxy is fixed: no request fails
            asyncio.run(monitor(config_path=str(config), force=True))
        assert len(notices(slack)) == 3  # gone for minutes: it may come back
        age_absences(config, FLAP_QUIET)
        flaky.flaky_count = 0
        asyncio.run(monitor(config_path=str(config), force=True))
        flapping, resolved = notices(slack)[2:]
        assert resolved["thread_ts"] == flapping["ts"]
        assert len(notices(slack)) == 4
    finally:
        flaky.stop()


def test_passes_that_all_time_out_are_announced_once_and_resolved_once(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    """A pass that times out is recorded crashed but cannot await anything more, so it cannot
    announce itself; the next pass announced only at its end. When every pass timed out (a
    hung feed, a too-small `NEWSMON_MONITOR_TIMEOUT_SECONDS`), none reached its end and the
    operations channel heard nothing, for ever. Now the next pass announces the one before it
    at its start, once however many time out; passes that complete resolve it once."""
    feed = "/feeds/en-ai.atom"
    config = write_config(
        tmp_path,
        feeds=[("frontier-wire", feed, "en")],
        base=site.base,
        channels=CHANNELS,
        default_channel="#n",
        slack={"ops_channel": OPS},
    )
    assert asyncio.run(monitor(config_path=str(config))).feeds_ok == 1
    site.routes[feed] = {"delay": 30, "body": "<rss/>"}  # the feed hangs: every pass times out
    for _ in range(3):
        with pytest.raises(FlowRunTimeoutError):
            asyncio.run(
                monitor.with_options(timeout_seconds=3)(config_path=str(config), force=True)
            )
        lapse_claims(config)
    store = Store.open(load_config(config).database_url)
    try:
        statuses = [r.status for r in store.runs.recent_runs("monitor")]
    finally:
        store.close()
    assert statuses == [RunStatus.CRASHED] * 3 + [RunStatus.COMPLETED]
    [opened] = notices(slack)
    text = opened["blocks"][0]["text"]["text"]
    assert "*the last monitoring pass failed*" in text and "crashed" in text

    del site.routes[feed]  # the feed answers again
    for _ in range(2):
        assert asyncio.run(monitor(config_path=str(config), force=True)).feeds_ok == 1
        age_absences(config)  # the next pass is the schedule's, not one seconds later
    [_, resolved] = notices(slack)
    assert resolved["thread_ts"] == opened["ts"]
    assert "*resolved: the last monitoring pass failed*" in resolved["blocks"][0]["text"]["text"]
    asyncio.run(monitor(config_path=str(config), force=True))
    assert len(notices(slack)) == 2  # healthy, and said so once
