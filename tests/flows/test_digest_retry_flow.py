"""The scheduled `digest` run meets a brief Slack outage: it tries the digests it left again
within the same run, for the same period, instead of leaving them to the next day's run."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus, RunStatus
from newsmon.corpus.schema import DigestRow, SlackChannelRow
from newsmon.devsite import SiteServer
from tests.flows.test_digest_flow import _announced_two_hours_ago, _digest_runs
from tests.support.fake_slack import FakeSlack, Scripted

pytestmark = pytest.mark.usefixtures("prefect_harness")

UNAVAILABLE = Scripted(503, {"ok": False, "error": "service_unavailable"})


def _digests_in(slack: FakeSlack, channel: str) -> int:
    return sum(
        1
        for p in slack.posts
        if p["channel"] == channel and p["metadata"]["event_type"] == "newsmon_digest"
    )


def test_a_digest_slack_fails_at_the_scheduled_run_is_posted_once_by_that_run(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    """Slack answers 503 to the 09:00 run's post, then recovers: the digest went out with the
    next day's, a day late, and the run ended Failed. The run now tries it again a little
    later (short delays here), posts it once, and ends Completed with nothing left."""
    from flows.digest import digest

    config = _announced_two_hours_ago(tmp_path, site)
    slack.channel_script["#ai-policy"] = [UNAVAILABLE, UNAVAILABLE]
    result = digest(since_hours=48, config_path=str(config), retry_seconds=(0.1, 0.1, 0.1))
    assert result.unfinished == 0 and not result.left, result.lines()
    assert _digests_in(slack, "#ai-policy") == 1
    assert "at try 3" in result.channels["#ai-policy"], result.channels
    [run] = _digest_runs(tmp_path)
    assert run.status is RunStatus.COMPLETED and run.error is None, run
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:  # `newsmon health` has no unfinished digest to report
        assert store.digests.unfinished_digests(result.until) == []
    finally:
        store.close()


def test_a_digest_its_run_could_not_finish_is_finished_by_the_next_monitor_pass(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    """Slack asked the 09:00 run to wait an hour, longer than the run may wait: the digest
    waited for the next day's run. The monitoring pass (every 20 minutes) now finishes a
    digest left unfinished, once, and only one whose period was recorded (it has ended), once
    Slack's Retry-After is over (before, the next pass posted at once)."""
    from flows.digest import digest

    from newsmon.pipeline.digests import DigestsUnfinished
    from tests.flows.test_monitor_flow import run_monitor

    config = _announced_two_hours_ago(tmp_path, site)
    slack.channel_script["#ai-policy"] = [
        Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3600"})
    ]
    with pytest.raises(DigestsUnfinished):
        digest(since_hours=48, config_path=str(config), retry_seconds=(0.1,))
    assert _digests_in(slack, "#ai-policy") == 0
    others = len(slack.metadata_ids("newsmon_digest"))
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:  # left until the hour is over (`test_digest_retry_after`): passed here
        assert store.digests.unfinished_digests(utcnow()) == []
        with store.session() as s:
            [row] = s.scalars(select(DigestRow).where(DigestRow.status == AlertStatus.PENDING))
            assert row.lease_until is not None and row.lease_until > utcnow() + timedelta(
                minutes=59
            )
            row.lease_until -= timedelta(hours=1)
            s.execute(update(SlackChannelRow).values(wait_until=None))  # kept for it too
    finally:
        store.close()
    run_monitor(config)
    assert _digests_in(slack, "#ai-policy") == 1
    run_monitor(config)  # nothing is left: nothing more is posted
    assert len(slack.metadata_ids("newsmon_digest")) == others + 1
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        assert store.digests.unfinished_digests(utcnow()) == []
    finally:
        store.close()
