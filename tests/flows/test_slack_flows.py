"""Slack through the real flows: refused credentials fail the run (exit 4, a Failed flow run,
the corpus still stores the pass), story threads for copies from other feeds, digests once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus
from newsmon.devsite import SiteServer
from tests.conftest import ROOT
from tests.flows.test_monitor_flow import EXPECTED_ALERTS, run_monitor, site_config
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _open(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")


def _last_monitor_state() -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    async def read() -> str:
        async with get_client() as client:
            runs = await client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=["monitor"])),
                sort=FlowRunSort.START_TIME_DESC,
                limit=1,
            )
            assert runs and runs[0].state is not None
            return str(runs[0].state.type.value)

    return asyncio.run(read())


def test_refused_credentials_exit_4_and_fail_the_flow_run_after_storing_the_pass(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    config = site_config(tmp_path, site)
    slack.token = "xoxb-revoked"  # the environment still sends the old one
    # the real command in a process of its own, against the harness's Prefect API
    from prefect.settings import PREFECT_API_URL

    env = {
        **os.environ,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-m", "newsmon", "run", "--config", str(config)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 4, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("newsmon:")]
    assert len(lines) == 1 and "invalid_auth" in lines[0] and "no alert was marked" in lines[0]
    assert "xoxb" not in result.stdout + result.stderr
    assert _last_monitor_state() == "FAILED"
    store = _open(tmp_path)
    try:
        assert len(store.list_articles(limit=100)) == 12  # what the pass read is stored
        assert store.count_alerts(AlertStatus.PENDING) == len(EXPECTED_ALERTS)
        assert store.count_alerts(AlertStatus.SENT) == 0
        assert all(a.attempts == 0 for a in store.list_alerts(limit=100))
        with store.session() as s:
            from sqlalchemy import select

            from newsmon.corpus.schema import RunRow

            [run] = s.scalars(select(RunRow)).all()
            assert "invalid_auth" in run.summary["delivery_errors"][0]
    finally:
        store.close()
    assert slack.posts == []
    # the token works again (re-issued): the next pass sends everything once
    slack.token = "xoxb-test-token"
    totals = run_monitor(config)
    assert totals.alerts_sent == len(EXPECTED_ALERTS)


def test_copies_from_other_feeds_reply_in_the_story_thread(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    config = site_config(tmp_path, site)
    run_monitor(config)
    # the wire story came through two feeds (a copy and a tracking link): one reply, threaded
    [reply] = slack.replies()
    [story] = [p for p in slack.top_level("#ai-open-source") if p["ts"] == reply["thread_ts"]]
    assert "deepseek-open-source-week" in story["blocks"][0]["text"]["text"]
    # to the channel Slack named in its answer to the story's post (its ID: a renamed channel
    # keeps it)
    assert reply["channel"] == slack.channel_id("#ai-open-source")
    text = reply["blocks"][0]["text"]["text"]
    assert text.startswith("Also reported by ")
    assert ("tech-digest-wire" in text) != ("frontier-wire" in text)  # the other source
    assert reply["metadata"]["event_type"] == "newsmon_reply"
    # a second pass sees the same copies again: no new reply, nothing at top level
    slack_before = len(slack.posts)
    run_monitor(config)
    assert len(slack.posts) == slack_before


def test_digest_posts_each_channel_once_per_period(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    from flows.digest import digest

    config = site_config(tmp_path, site)
    run_monitor(config)
    # the period ends at the last whole hour: let the alerts be two hours old
    store = _open(tmp_path)
    try:
        with store.session() as s:
            from datetime import timedelta

            from sqlalchemy import select

            from newsmon.corpus.schema import AlertRow

            for row in s.scalars(select(AlertRow)):
                row.created_at = row.created_at - timedelta(hours=2)
                if row.sent_at is not None:
                    row.sent_at = row.sent_at - timedelta(hours=2)
    finally:
        store.close()
    before = len(slack.posts)
    preview = digest(since_hours=48, dry_run=True, config_path=str(config))
    assert len(slack.posts) == before  # a dry run posts nothing
    first = digest(since_hours=48, config_path=str(config))
    second = digest(since_hours=48, config_path=str(config))
    posted = [p for p in slack.posts[before:] if p["metadata"]["event_type"] == "newsmon_digest"]
    assert preview.previews and first.posted == len(posted)
    channels = {p["channel"] for p in posted}
    assert channels == {c for _, c in EXPECTED_ALERTS}
    assert second.posted == 0
    assert all("already posted" in v for v in second.channels.values())
    policy = next(p for p in posted if p["channel"] == "#ai-policy")
    text = "\n".join(b["text"]["text"] for b in policy["blocks"] if "text" in b)
    assert "eu-ai-act-guidance" in text and "KST" in policy["blocks"][0]["elements"][0]["text"]
