"""The channel mapping agrees with the topic rules before a pass runs.

A mapping whose key is not a topic of the rules (`ai-saftey:`) was accepted: the topic it
meant fell back to the default channel, so AI-safety stories went to #ai-news for as long
as nobody noticed; with `default_channel: null` a topic without a channel was never
announced at all. Both now stop the run (exit 2) naming file, line and key.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.alerts import route
from newsmon.cli import EXIT_CONFIG, app
from newsmon.config import Secrets, load_config
from newsmon.pipeline import Context
from newsmon.yamlfile import ConfigError
from tests.support.configs import write_config

CHANNELS = {"open-source": "#ai-open-source", "ai-saftey": "#ai-safety", "policy": "#ai-policy"}


def typo_config(tmp_path: Path, **options: object) -> Path:
    return write_config(tmp_path, channels=CHANNELS, default_channel="#ai-news", **options)


def test_a_channel_for_a_topic_the_rules_do_not_define_stops_the_pass(tmp_path: Path) -> None:
    config = load_config(typo_config(tmp_path))
    # what the pass would have done: the AI-safety topic's alerts in the default channel
    assert route(["ai-safety"], config.slack) == {"#ai-news": ["ai-safety"]}
    with pytest.raises(ConfigError) as err:
        Context.open(config).close()
    line = next(
        n for n, text in enumerate(config.source.read_text().splitlines(), 1) if "ai-saftey" in text
    )
    assert str(err.value).startswith(f"{config.source}:{line}: slack.channels.ai-saftey: ")
    assert "'ai-saftey' is not a topic" in str(err.value) and "ai-safety" in str(err.value)


def test_newsmon_run_refuses_it_before_anything_else(tmp_path: Path) -> None:
    """Exit 2 and the line, before the database is opened (here unusable: exit 3 before)."""
    (tmp_path / "blocker").write_text("")
    path = typo_config(tmp_path, database_url=f"sqlite:///{tmp_path / 'blocker' / 'x.db'}")
    result = CliRunner().invoke(app, ["run", "--config", str(path)])
    assert result.exit_code == EXIT_CONFIG, result.output
    assert f"{path}:" in result.output and "slack.channels.ai-saftey" in result.output


def test_a_topic_with_no_channel_and_no_default_channel_stops_the_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(
        tmp_path,
        channels={"open-source": "#oss", "ai-safety": "#safety"},
        slack={"default_channel": None},
    )
    config = load_config(path)
    assert route(["policy"], config.slack) == {}  # never announced, and nothing says so
    with pytest.raises(ConfigError) as err:
        Context.open(config).close()
    assert f"{path}:" in str(err.value) and "slack.default_channel: " in str(err.value)
    assert "'policy'" in str(err.value)
    # through an incoming webhook every topic goes to its one channel: nothing is lost
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.example/T/B/x")
    assert Secrets.from_env().webhook_only
    Context.open(config).close()


def test_the_shipped_configuration_agrees_with_the_shipped_rules(tmp_path: Path) -> None:
    config = load_config(Path(__file__).resolve().parents[2] / "config" / "newsmon.yaml")
    corpus = config.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'c.db'}"})
    Context.open(corpus).close()


@pytest.mark.parametrize(
    ("slack", "key"),
    [
        ({"channels": {"policy": "#ai policy"}}, "slack.channels.policy"),
        ({"channels": {"policy": " # "}}, "slack.channels.policy"),
        ({"default_channel": ""}, "slack.default_channel"),
        ({"ops_channel": "newsmon ops"}, "slack.ops_channel"),
    ],
)
def test_a_channel_no_slack_name_can_be_stops_the_run_naming_its_key(
    tmp_path: Path, slack: dict[str, object], key: str
) -> None:
    """A blank inside a name (or no name at all) was taken and posted as written: Slack
    answered channel_not_found, the channel was blocked and its alerts stuck."""
    path = write_config(tmp_path, slack=slack)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    [message] = str(err.value).splitlines()
    assert message.startswith(f"{path}:") and f": {key}: " in message


def test_each_channel_is_kept_in_one_spelling(tmp_path: Path) -> None:
    """Names as `#name` in lower case (Slack's names have neither capitals nor blanks), IDs as
    written: what is grouped by channel (one alert per story and channel, pacing, digests,
    health, `newsmon slack check`) is grouped by Slack's channel."""
    channels = {"policy": " #AI-Policy ", "open-source": "ai-policy", "ai-safety": "C0123ABCD"}
    slack = {"default_channel": "AI-News", "ops_channel": " #newsmon-ops"}
    config = load_config(write_config(tmp_path, channels=channels, slack=slack))
    assert config.slack.channels == {
        "policy": "#ai-policy",
        "open-source": "#ai-policy",
        "ai-safety": "C0123ABCD",
    }
    assert (config.slack.default_channel, config.slack.ops_channel) == ("#ai-news", "#newsmon-ops")
    assert route(["policy", "open-source"], config.slack) == {
        "#ai-policy": ["open-source", "policy"]
    }
