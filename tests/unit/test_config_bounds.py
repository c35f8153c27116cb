"""Durations an operator writes are finite and short enough to be added to a date.

`max_age_hours: .inf` (meant as "no limit"; `null` is the way) made every new entry fail to
store with an OverflowError: a pass reported its feeds ok and announced nothing. A retention
or age limit of a million days left the index unpruned and `health` unjudged on every pass;
a retry delay, lease or backoff of that size crashed delivery or the feed's bookkeeping.
Such values are now refused when the file is loaded, naming file, line and key.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from annotated_types import Le
from pydantic import BaseModel

from newsmon import poll
from newsmon.config import (
    MAX_CHANNEL_INTERVAL_SECONDS,
    MAX_SLACK_TIMEOUT_SECONDS,
    MIN_POSTS_PER_SECOND,
    AlertsConfig,
    Config,
    DedupConfig,
    PollConfig,
    SlackConfig,
    load_config,
)
from newsmon.corpus import Store
from newsmon.corpus.claims import new_claim
from newsmon.pipeline.leases import MAX_WAIT_SECONDS, retry_time
from newsmon.pipeline.retention import pending_prune
from newsmon.yamlfile import ConfigError

TOPICS = "version: 1\ntopics:\n  policy:\n    terms: {en: [FTC]}\n"


def write(tmp_path: Path, extra: str) -> Path:
    (tmp_path / "topics.yaml").write_text(TOPICS, encoding="utf-8")
    path = tmp_path / "newsmon.yaml"
    path.write_text(f"database_url: sqlite:///{tmp_path / 'c.db'}\n{extra}", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("alerts:\n  max_age_hours: .inf\n", "alerts.max_age_hours"),
        ("alerts:\n  max_age_hours: 1e9\n", "alerts.max_age_hours"),
        ("dedup:\n  index_days: 1000000\n", "dedup.index_days"),
        ("dedup:\n  index_days: .inf\n", "dedup.index_days"),
        ("slack:\n  retry_delays_minutes: [0, 1e10]\n", "slack.retry_delays_minutes.1"),
        ("slack:\n  retry_delays_minutes: [0, .inf]\n", "slack.retry_delays_minutes.1"),
        ("slack:\n  unchecked_post_after_minutes: .inf\n", "slack.unchecked_post_after_minutes"),
        ("slack:\n  lease_seconds: 1e12\n", "slack.lease_seconds"),
        ("poll:\n  max_backoff_hours: .inf\n", "poll.max_backoff_hours"),
        ("poll:\n  hard_backoff_hours: 100000\n", "poll.hard_backoff_hours"),
        ("poll:\n  soft_backoff_minutes: 1e8\n", "poll.soft_backoff_minutes"),
    ],
)
def test_a_duration_no_date_can_hold_is_refused_at_load(
    tmp_path: Path, extra: str, key: str
) -> None:
    path = write(tmp_path, extra)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}:3: {key}: "), err.value


def most(model: type[BaseModel], name: str) -> float:
    """The largest value `model.name` accepts."""
    (bound,) = [m.le for m in model.model_fields[name].metadata if isinstance(m, Le)]
    return float(bound)


def test_the_longest_durations_accepted_still_work(tmp_path: Path, sqlite_url: str) -> None:
    """At the bounds, the code that turns each duration into a date does not overflow (the
    backoff at its 30th failure, the index cut-off via the alert age limit)."""
    minutes = most(SlackConfig, "unchecked_post_after_minutes")
    config = Config.model_validate(
        {
            "alerts": {"max_age_hours": most(AlertsConfig, "max_age_hours")},
            "slack": {
                "retry_delays_minutes": [minutes],
                "unchecked_post_after_minutes": minutes,
                "lease_seconds": most(SlackConfig, "lease_seconds"),
            },
            "poll": {name: most(PollConfig, name) for name in PollConfig.model_fields},
        }
    )
    now = datetime.now(UTC)
    store = Store.open(sqlite_url)
    try:
        assert pending_prune(store, config.index_days(), now)[0] == 0
        assert pending_prune(store, most(DedupConfig, "index_days"), now)[0] == 0
    finally:
        store.close()
    assert retry_time(config.slack, 0, now) is not None
    assert config.slack.unchecked_from(now) is not None
    assert new_claim(timedelta(seconds=config.slack.lease_seconds), now).lease_until > now
    for kind in poll.Severity:
        assert poll.after_failure(config.poll, now, 30, kind).at > now
    hint = {"cache-control": "max-age=999999999999"}
    assert poll.after_success(config.poll, now, hint).at > now


@pytest.mark.parametrize(
    ("extra", "key", "shown", "most"),
    [
        ("slack:\n  timeout: 3600\n", "slack.timeout", "3600", "120"),
        ("slack:\n  timeout: 1e10\n", "slack.timeout", "1e+10", "120"),
        (
            "slack:\n  channel_interval_seconds: 3600\n",
            "slack.channel_interval_seconds",
            "3600",
            "60",
        ),
        (
            "slack:\n  channel_interval_seconds: 1e9\n",
            "slack.channel_interval_seconds",
            "1e+09",
            "60",
        ),
        ("fetch:\n  total_timeout: 3600\n", "fetch.total_timeout", "3600", "120"),
        ("fetch:\n  total_timeout: 1e10\n", "fetch.total_timeout", "1e+10", "120"),
    ],
)
def test_a_slack_pace_or_timeout_no_deployment_uses_is_refused_naming_value_and_range(
    tmp_path: Path, extra: str, key: str, shown: str, most: str
) -> None:
    """What it did to a pass: tests/integration/test_slack_settings.py,
    tests/flows/test_fetch_settings_flow.py."""
    path = write(tmp_path, extra)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    line = str(err.value)
    assert line.startswith(f"{path}:3: {key}: {shown} is out of range "), line
    assert f"at most {most} seconds" in line and "\n" not in line, line


@pytest.mark.parametrize("value", ["0.001", "1e-9", "0.0166"])
def test_an_overall_slack_pace_slower_than_a_post_a_minute_is_refused_naming_the_range(
    tmp_path: Path, value: str
) -> None:
    """What it did to a pass: tests/integration/test_slack_settings.py."""
    path = write(tmp_path, f"slack:\n  max_per_second: {value}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    line = str(err.value)
    shown = f"{float(value):g}"
    assert line.startswith(f"{path}:3: slack.max_per_second: {shown} is out of range "), line
    assert "at least 0.0166667 posts a second" in line and "\n" not in line, line


def test_the_longest_slack_interval_accepted_is_the_longest_wait_delivery_makes() -> None:
    """A channel interval delivery would not wait for is refused, not half-honoured."""
    assert MAX_CHANNEL_INTERVAL_SECONDS == MAX_WAIT_SECONDS
    slack = SlackConfig(
        timeout=MAX_SLACK_TIMEOUT_SECONDS, channel_interval_seconds=MAX_CHANNEL_INTERVAL_SECONDS
    )
    assert (slack.timeout, slack.channel_interval_seconds) == (120.0, 60.0)
    assert MIN_POSTS_PER_SECOND * MAX_WAIT_SECONDS == 1.0
    assert SlackConfig(max_per_second=MIN_POSTS_PER_SECOND).max_per_second == 1 / 60


@pytest.mark.parametrize(
    ("section", "key"),
    [("fetch", "feed_parse_timeout_seconds"), ("extract", "page_timeout_seconds")],
)
@pytest.mark.parametrize("value", [1e10, 3600.0, 60.5])
def test_a_cpu_budget_longer_than_a_minute_is_refused_in_one_line(
    tmp_path: Path, section: str, key: str, value: float
) -> None:
    """A budget of hours let one hostile feed or page run past the feeds task's timeout,
    which then failed its whole batch (tests/flows/test_work_budget_flow.py); a minute is
    kept."""
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, f"{section}:\n  {key}: {value!r}\n"))
    line = str(err.value)
    assert "\n" not in line and f"{section}.{key}: {value:g} is out of range" in line, line
    kept = load_config(write(tmp_path, f"{section}:\n  {key}: 60\n"))
    assert getattr(getattr(kept, section), key) == 60.0
