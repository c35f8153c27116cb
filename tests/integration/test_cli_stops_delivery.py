"""Ctrl-C at a terminal while `newsmon run` posts alerts: it stops posting at once and gives the
alerts not posted back (its own file so xdist runs it beside the other stop tests,
tests/integration/test_cli_stops.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow
from tests.support.cli_stops import newsmon_env, said_lines
from tests.support.configs import write_config
from tests.support.delivery import queue_alerts
from tests.support.fake_slack import FakeSlack


@pytest.mark.usefixtures("prefect_harness")
def test_ctrl_c_during_delivery_stops_posting_and_gives_the_rest_back(tmp_path: Path) -> None:
    """Ctrl-C while alerts went out printed "newsmon: interrupted" and recorded the pass
    crashed, yet the delivery thread went on posting every claimed alert (15 posts, 18 s here;
    `slack.max_per_pass` of them at Slack's pace) before the command exited. Now the post in
    flight is recorded, the alerts not posted are given back (the next pass takes them at
    once), and the command ends within seconds."""
    database = f"sqlite:///{tmp_path / 'corpus.db'}"
    config = write_config(tmp_path, database_url=database, default_channel="#ai-news")
    store = Store.open(database)
    try:
        queue_alerts(store, {"#ai-news": 15})
    finally:
        store.close()
    slack = FakeSlack().start()
    slack.delay_after = 1.0  # each post answered a second after Slack took it
    env = {**newsmon_env(), "SLACK_BOT_TOKEN": slack.token, "NEWSMON_SLACK_API_URL": slack.api_url}
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "newsmon", "run", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            deadline = time.monotonic() + 120
            while not slack.posts:  # watching Slack's side for the first post taken
                assert time.monotonic() < deadline and child.poll() is None, "nothing posted"
                time.sleep(0.05)
            child.send_signal(signal.SIGINT)
            sent = time.monotonic()
            out, err = child.communicate(timeout=60)
            took = time.monotonic() - sent
        finally:
            child.kill()
            child.wait()
        posted = len(slack.posts)
    finally:
        slack.stop()
    assert child.returncode == 130, (out, err)
    assert said_lines(err) == ["newsmon: interrupted"], err
    assert took < 6, f"{took:.1f} s, {posted} posts"
    assert posted <= 2, posted
    store = Store.open(database)
    try:
        with store.session() as s:
            alerts = list(s.scalars(select(AlertRow)))
    finally:
        store.close()
    sent_rows = [a for a in alerts if a.status is AlertStatus.SENT]
    assert len(sent_rows) == posted  # every post Slack took is known: never posted twice
    waiting = [a for a in alerts if a.status is AlertStatus.PENDING]
    assert len(waiting) == 15 - posted
    assert all(a.claimed_by is None for a in waiting)  # the next pass sends them at once
