"""A health notice is posted only while its claim covers the post, like an alert: against the
fake Slack through the real slack_sdk client, on SQLite and PostgreSQL. A pass that slept out
the ops channel's pace past its claim's lease posted a notice another pass had meanwhile
claimed and posted: twice."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

from newsmon.notices import NOTICE_EVENT
from newsmon.pipeline.notices import NoticeOutcome, announce_health
from tests.integration.test_ops_notices import OPS, health
from tests.support.delivery import config_path, context
from tests.support.fake_slack import FakeSlack


def _first_post(fake: FakeSlack) -> float:
    """When (monotonic) Slack got the first post, once a pass has made it."""
    deadline = time.monotonic() + 30
    while not (posts := [a for a in fake.attempts if a["path"].endswith("chat.postMessage")]):
        assert time.monotonic() < deadline, "no pass tried a post"
        time.sleep(0.02)
    return float(posts[0]["at"])


def test_a_notice_whose_pace_outlasts_its_claim_goes_back_instead_of_out_twice(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """The ops channel takes one post every 5 s; a claim lasts 3 s. Two problems: the first
    notice went out, the pass claimed the second and slept 5 s; meanwhile a second pass took
    the lapsed claim over and posted it, then the first pass posted it too. Now a notice the
    claim does not cover by the channel's pace goes back untried, for a later pass."""
    config = config_path(
        tmp_path,
        db_url,
        ops_channel=OPS,
        lease_seconds=3.0,
        channel_interval_seconds=5.0,
        channel_burst=1,
    )
    first, second = context(config, fake), context(config, fake)
    try:
        report = health(["a", "b"])
        outcomes: list[tuple[NoticeOutcome, float]] = []
        started = time.monotonic()

        def run() -> None:
            outcomes.append((announce_health(first, report), time.monotonic() - started))

        worker = threading.Thread(target=run)
        worker.start()
        # the second notice's claim (made right after the first post) is over
        time.sleep(max(0.0, _first_post(fake) + 3.3 - time.monotonic()))
        other = announce_health(second, report)
        worker.join(timeout=30)
        [(mine, took)] = outcomes
        assert Counter(fake.metadata_ids(NOTICE_EVENT)) == Counter({"1": 1, "2": 1})  # each once
        assert (mine.opened, mine.posted) == (2, 1) and other.posted == 1, (mine, other)
        assert mine.error is not None and "pace" in mine.error, mine.line()
        assert took < 5.0  # the pace was not slept out
        assert first.store.notices.state().waiting == 0
    finally:
        first.close()
        second.close()
