"""A Slack setting mistyped by orders of magnitude (3600 for 3.6, 1e10) is either refused when
the file is loaded, in one line naming the key, the value and the range, or delivery works with
it: real slack_sdk client against the fake Slack on loopback.

Before, all three were accepted: `slack.timeout: 1e10` failed every post (a socket cannot wait that
long) as refused credentials, so every pass exited 4 pointing at SLACK_BOT_TOKEN and no alert
went out; `slack.channel_interval_seconds: 3600` posted two alerts a channel per pass (delivery
waits a minute at most) and left the rest blaming a Retry-After Slack never sent;
`slack.max_per_second: 0.001` (a post every 1000 s across channels) posted one and did the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.config import load_config
from newsmon.pipeline import deliver
from newsmon.yamlfile import ConfigError
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack


@pytest.mark.parametrize(
    ("key", "value"),
    [("timeout", 1e10), ("channel_interval_seconds", 3600.0), ("max_per_second", 0.001)],
)
def test_a_slack_setting_far_out_of_range_is_refused_at_load_or_delivers(
    tmp_path: Path, fake: FakeSlack, key: str, value: float
) -> None:
    path = config_path(tmp_path, f"sqlite:///{tmp_path / 'c.db'}", **{key: value})
    try:
        load_config(path)
    except ConfigError as refused:
        line = str(refused)
        assert "\n" not in line and f"slack.{key}: {value:g} is out of range" in line, line
        return
    ctx = context(path, fake)
    try:
        ids = queue_alerts(ctx.store, {"#a": 3})
        fake.channel_id("#a")
        outcome = deliver(ctx)
        assert outcome.credential_error is None, outcome.credential_error
        assert (outcome.sent, outcome.deferred, outcome.errors) == (len(ids), 0, [])
    finally:
        ctx.close()
