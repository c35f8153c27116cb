"""Mistakes an operator makes editing config/*.yaml by hand, caught before a scheduled pass:
`newsmon config check` (no database, no Prefect), and readings YAML would silently get wrong."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import EXIT_CONFIG, app
from newsmon.config import load_config
from newsmon.yamlfile import ConfigError
from tests.support.configs import write_config

runner = CliRunner()


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "topics.yaml").write_text(
        "version: 1\ntopics:\n  policy:\n    terms: {en: [FTC]}\n", encoding="utf-8"
    )
    path = tmp_path / "newsmon.yaml"
    path.write_text(f"database_url: sqlite:///{tmp_path / 'x.db'}\n" + text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("slack:\n  ops_channel: #newsmon-ops\n", ':3: slack.ops_channel: "#newsmon-ops"'),
        ("slack:\n  default_channel:  #ai-news   # fallback\n", ":3: slack.default_channel:"),
        ("slack:\n  channels:\n    policy: #ai-policy\n", ":4: slack.channels.policy:"),
    ],
)
def test_an_unquoted_channel_read_as_a_comment_is_refused(
    tmp_path: Path, text: str, fragment: str
) -> None:
    """`ops_channel: #newsmon-ops` is `ops_channel: null` to YAML (`#` starts a comment):
    health notices went nowhere, with no word said."""
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, text))
    assert fragment in str(err.value)
    assert "quote it" in str(err.value)


def test_a_real_comment_after_an_empty_channel_is_left_alone(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "slack:\n  ops_channel:   # none yet\n"))
    assert config.slack.ops_channel is None


def test_config_check_passes_a_good_configuration_without_touching_the_corpus(
    tmp_path: Path,
) -> None:
    path = write_config(tmp_path, feeds=[("example", "https://example.com/feed.xml")])
    result = runner.invoke(app, ["config", "check", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 feed" in result.output and "3 topics" in result.output
    assert not (tmp_path / "corpus.db").exists()  # checked, not opened nor created


@pytest.mark.parametrize(
    ("channels", "rules", "fragment"),
    [
        # a key of slack.channels that is no topic: only `run` found it, at the pass
        ({"ai-saftey": "#safety"}, None, "slack.channels.ai-saftey"),
        # a topic rule that cannot load
        (None, "version: 2\ntopics:\n  policy:\n    min_scroe: 3\n", "topics.policy.min_scroe"),
    ],
)
def test_config_check_exits_2_naming_the_mistake(
    tmp_path: Path, channels: dict[str, str] | None, rules: str | None, fragment: str
) -> None:
    kwargs = {}
    if rules is not None:
        (tmp_path / "topics.yaml").write_text(rules, encoding="utf-8")
        kwargs["topics"] = tmp_path / "topics.yaml"
    path = write_config(tmp_path, channels=channels, **kwargs)
    result = runner.invoke(app, ["config", "check", "--config", str(path)])
    assert result.exit_code == EXIT_CONFIG, result.output
    assert fragment in result.output
    assert len(result.output.strip().splitlines()) == 1  # one line


def test_a_feed_name_used_twice_is_named_with_its_line(tmp_path: Path) -> None:
    text = (
        "feeds:\n"
        "  - name: a\n    url: https://x.org/f\n"
        "  - name: b\n    url: https://y.org/f\n"
        "  - name: a\n    url: https://z.org/f\n"
    )
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, text))
    message = str(err.value)
    assert ":7: feeds.2.name:" in message, message
    assert "line 3" in message  # where the first one is


@pytest.mark.parametrize(
    ("value", "meant"),
    [("010", "8"), ("0100", "64"), ("1:30", "90"), ("2:00", "120")],
)
def test_a_yaml_1_1_octal_or_base_60_number_is_refused(
    tmp_path: Path, value: str, meant: str
) -> None:
    """PyYAML reads YAML 1.1: `max_per_pass: 010` was 8 and `1:30` was 90, silently."""
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, f"slack:\n  max_per_pass: {value}\n"))
    assert ":3: slack.max_per_pass:" in str(err.value)
    assert f"reads as {meant}" in str(err.value)


@pytest.mark.parametrize("value", ["10", "0", "0o10", "0x1F", "'010'", "1.5e3", "0.5"])
def test_plain_numbers_still_load(tmp_path: Path, value: str) -> None:
    from newsmon.yamlfile import load_yaml

    doc = load_yaml(_write(tmp_path, f"n: {value}\n"))
    assert doc.data["n"] is not None
