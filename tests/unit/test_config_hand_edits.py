"""Hand edits YAML or pydantic read otherwise than the operator meant: a quoted or numeric
boolean, blanks inside a quoted feed address, an empty file, one feed under two names, and
`key: #word` in flow style. Each is refused or reported with file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import EXIT_CONFIG, app
from newsmon.config import load_config
from newsmon.yamlfile import ConfigError

runner = CliRunner()


def _write(tmp_path: Path, text: str, *, db: bool = True) -> Path:
    (tmp_path / "topics.yaml").write_text(
        "version: 1\ntopics:\n  policy:\n    terms: {en: [FTC]}\n", encoding="utf-8"
    )
    path = tmp_path / "newsmon.yaml"
    head = f"database_url: sqlite:///{tmp_path / 'x.db'}\n" if db else ""
    path.write_text(head + text, encoding="utf-8")
    return path


FEED = "feeds:\n  - name: a\n    url: https://x.org/f\n"


@pytest.mark.parametrize("value", ["1", "0", '"no"', '"false"', "'true'", '""', "2"])
@pytest.mark.parametrize(
    ("section", "line", "key"),
    [
        (FEED + "    enabled: {}\n", 5, "feeds.0.enabled"),
        ("alerts:\n  enabled: {}\n", 3, "alerts.enabled"),
        ("slack:\n  required: {}\n", 3, "slack.required"),
        ("fetch:\n  allow_private_networks: {}\n", 3, "fetch.allow_private_networks"),
    ],
)
def test_a_boolean_written_as_a_number_or_a_text_is_refused(
    tmp_path: Path, value: str, section: str, line: int, key: str
) -> None:
    """pydantic's lenient mode read `enabled: 1`, `"no"` or `"false"` as booleans: one spelling
    of a switch that mutes a feed or every alert must be the one the reader sees."""
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, section.format(value)))
    message = str(err.value)
    assert f":{line}: {key}: " in message, message
    assert "true or false" in message and len(message.splitlines()) == 1


@pytest.mark.parametrize("value", ["true", "false", "True", "FALSE"])
def test_a_plain_boolean_still_loads(tmp_path: Path, value: str) -> None:
    config = load_config(_write(tmp_path, FEED + f"    enabled: {value}\n"))
    assert config.feeds[0].enabled is (value.lower() == "true")


@pytest.mark.parametrize(
    ("value", "env", "expected"),
    [
        ("${NEWSMON_T_SWITCH:-false}", None, False),
        ("${NEWSMON_T_SWITCH}", "true", True),
        ('"${NEWSMON_T_SWITCH}"', "False", False),
        ("${NEWSMON_T_SWITCH:-true}", "", True),
    ],
)
def test_a_switch_filled_in_from_the_environment_reads_true_or_false(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, env: str | None, expected: bool
) -> None:
    """`alerts.enabled: ${ALERTS_ON:-true}` (one file for staging and production) gives the
    text the variable holds: strict booleans refused it; `true`/`false` from `${...}` is a
    switch, while the same words written in quotes stay refused."""
    if env is None:
        monkeypatch.delenv("NEWSMON_T_SWITCH", raising=False)
    else:
        monkeypatch.setenv("NEWSMON_T_SWITCH", env)
    config = load_config(_write(tmp_path, FEED + f"alerts:\n  enabled: {value}\n"))
    assert config.alerts.enabled is expected


def test_a_switch_filled_in_with_another_word_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSMON_T_SWITCH", "no")
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, FEED + "alerts:\n  enabled: ${NEWSMON_T_SWITCH}\n"))
    assert ":6: alerts.enabled: " in str(err.value) and "true or false" in str(err.value)


@pytest.mark.parametrize("url", [" https://x.org/f", "https://x.org/f ", "\thttps://x.org/f \n"])
def test_blanks_around_a_quoted_feed_address_are_refused(tmp_path: Path, url: str) -> None:
    """`url: "https://x.org/f "` was taken with its blank: fetched as `/f%20` (another page, a
    404) and not the twin of the same address written without it."""
    text = f"feeds:\n  - name: a\n    url: {url!r}\n".replace("'", '"')
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, text))
    message = str(err.value)
    assert ":4: feeds.0.url: " in message, message
    assert "has blanks around it inside the quotes" in message and "(feed 'a')" in message


@pytest.mark.parametrize("text", ["", "\n\n", "# feeds to come\n# more\n"])
def test_an_empty_configuration_file_is_refused(tmp_path: Path, text: str) -> None:
    """An empty file (a failed copy, a truncated deploy) loaded as the defaults with no feed:
    every pass monitored nothing and looked healthy."""
    path = _write(tmp_path, text, db=False)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: ") and "empty" in str(err.value)
    result = runner.invoke(app, ["config", "check", "--config", str(path)])
    assert result.exit_code == EXIT_CONFIG, result.output
    assert "empty" in result.output


def test_config_check_warns_of_a_configuration_without_enabled_feeds(tmp_path: Path) -> None:
    path = _write(tmp_path, FEED + "    enabled: false\n")
    result = runner.invoke(app, ["config", "check", "--config", str(path)])
    assert "warning" in result.output and "no feed is enabled" in result.output, result.output


@pytest.mark.parametrize(
    "other",
    ["https://x.org/f/", "http://x.org/f", "https://X.ORG/f", "https://x.org/f?utm_source=a"],
)
def test_config_check_names_one_feed_configured_under_two_names(tmp_path: Path, other: str) -> None:
    """Two names at one address (spelled otherwise) are one feed: a pass reads only the first
    and warns every pass; `config check` said "ok" without a word."""
    text = FEED + f"  - name: c\n    url: https://y.org/g\n  - name: b\n    url: {other}\n"
    path = _write(tmp_path, text)
    result = runner.invoke(app, ["config", "check", "--config", str(path)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "warning" in line]
    assert len(lines) == 1, result.output
    assert f"{path}:8: feeds.2.url: " in lines[0]
    assert "'b'" in lines[0] and "'a'" in lines[0] and "line 4" in lines[0]


def test_config_check_leaves_distinct_feeds_alone(tmp_path: Path) -> None:
    text = FEED + "  - name: b\n    url: https://x.org/f/amp\n"
    result = runner.invoke(app, ["config", "check", "--config", str(_write(tmp_path, text))])
    assert result.exit_code == 0 and "warning" not in result.output, result.output


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("slack: {ops_channel: #news}\n", 2, "slack.ops_channel"),
        ('slack: {default_channel: "#a", ops_channel: #news}\n', 2, "slack.ops_channel"),
        ("slack:\n  channels: {policy: #p}\n", 3, "slack.channels.policy"),
        ('slack: {\n  ops_channel: #news,\n  default_channel: "#x"\n}\n', 3, "slack.ops_channel"),
        ("slack:\n  channels: {\n    policy: #p,\n  }\n", 4, "slack.channels.policy"),
    ],
)
def test_an_unquoted_channel_in_flow_style_is_named_with_a_hint(
    tmp_path: Path, text: str, line: int, key: str
) -> None:
    """In `{ops_channel: #news}` the `#` starts a comment that eats the closing brace: the file
    was refused as "expected the node content, but found '<stream end>'", on a line past it."""
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, text))
    message = str(err.value)
    assert f":{line}: {key}: " in message, message
    word = "#p" if key.endswith("policy") else "#news"
    assert f'quote it ("{word}")' in message
