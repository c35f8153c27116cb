"""An alert is posted only while its claim covers the post: a channel whose own pace (its
`channel_interval_seconds`, no 429 at all) outlasts what the claim's lease leaves gives its
remaining alerts back untried, for a later pass. Real slack_sdk against the fake Slack on
loopback, SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from newsmon.corpus.records import AlertStatus
from newsmon.pipeline import deliver
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack


def test_alerts_whose_pace_outlasts_the_claim_go_back_untried_and_out_once_later(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """#slow takes one post every 5 s; a claim lasts 3 s. The pass posts the first alert,
    gives the second back untried (no attempt counted, no wait slept out, no Retry-After
    kept: Slack asked for none) with one line saying why; the next pass posts it. Each alert
    reaches Slack exactly once."""
    config = config_path(
        tmp_path, db_url, lease_seconds=3.0, channel_interval_seconds=5.0, channel_burst=1
    )
    ctx = context(config, fake)
    try:
        queue_alerts(ctx.store, {"#slow": 2})
        started = time.monotonic()
        first = deliver(ctx)
        assert time.monotonic() - started < 5.0  # the pace was not slept out
        assert (first.sent, first.deferred) == (1, 1), first.errors
        said = [line for line in first.errors if line.startswith("#slow")]
        assert len(said) == 1 and "pace outlasts" in said[0], first.errors
        assert "Retry-After" not in said[0] and first.waits == {}
        assert ctx.store.slack_waits.listed() == []
        pending = [
            a for a in ctx.store.list_alerts(channel="#slow") if a.status is AlertStatus.PENDING
        ]
        assert len(pending) == 1 and pending[0].attempts == 0, pending
        assert len(fake.top_level("#slow")) == 1

        second = deliver(ctx)  # the next pass: a fresh claim covers the post
        assert (second.sent, second.deferred) == (1, 0), second.errors
        texts = [post["text"] for post in fake.top_level("#slow")]
        assert len(texts) == 2 and len(Counter(texts)) == 2, texts  # each alert once
        assert all(a.status is AlertStatus.SENT for a in ctx.store.list_alerts(channel="#slow"))
    finally:
        ctx.close()
