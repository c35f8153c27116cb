"""`newsmon run` with no Prefect server stopped as a whole mid-delivery gives its alerts back
(the mid-feed case and the why: tests/integration/test_stopped_pass_claims.py; its own file so
xdist runs the two, a minute each, on different workers)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from sqlalchemy import select

from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow
from tests.support.configs import write_config
from tests.support.delivery import queue_alerts
from tests.support.fake_slack import FakeSlack
from tests.support.stopped_passes import (
    ENDS_WITHIN,
    command_env,
    said_lines,
    start_run,
    stop_group,
)


def test_a_pass_stopped_as_a_whole_mid_delivery_gives_its_alerts_back(tmp_path: Path) -> None:
    """Ctrl-C at a terminal while alerts go out: the post in flight is recorded, the rest
    are pending and unclaimed, nothing is left `sending` for its lease."""
    signum = signal.SIGINT
    database = f"sqlite:///{tmp_path / 'corpus.db'}"
    config = write_config(tmp_path, database_url=database, default_channel="#ai-news")
    store = Store.open(database)
    try:
        queue_alerts(store, {"#ai-news": 15})
    finally:
        store.close()
    slack = FakeSlack().start()
    slack.delay_after = 1.0
    env = {
        **command_env(tmp_path),
        "SLACK_BOT_TOKEN": slack.token,
        "NEWSMON_SLACK_API_URL": slack.api_url,
    }
    log = tmp_path / "log"
    try:
        child = start_run(config, env, log)
        deadline = time.monotonic() + 120
        while not slack.posts:
            assert time.monotonic() < deadline and child.poll() is None, log.read_text()
            time.sleep(0.05)
        _, took = stop_group(child, signum)
        posted = len(slack.posts)
    finally:
        slack.stop()
    said = log.read_text()
    store = Store.open(database)
    try:
        with store.session() as s:
            alerts = list(s.scalars(select(AlertRow)))
    finally:
        store.close()
    assert took < ENDS_WITHIN, (took, said[-3000:])
    assert said_lines(said) == ["newsmon: interrupted"], said[-3000:]
    held = [a.id for a in alerts if a.status is AlertStatus.SENDING]
    assert not held, (held, said[-3000:])
    sent = [a for a in alerts if a.status is AlertStatus.SENT]
    assert len(sent) == posted  # every post Slack took is recorded: never posted twice
    waiting = [a for a in alerts if a.status is AlertStatus.PENDING]
    assert len(waiting) == 15 - posted and all(a.claimed_by is None for a in waiting)
    assert child.returncode == 128 + signum, said[-3000:]
