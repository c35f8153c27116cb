"""Configuration is code a person writes: unsafe YAML stops with file and line, `${VAR}` is
expanded only where the user wrote it, and secrets never show in a repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.config import Secrets, load_config
from newsmon.rules import load_rules
from newsmon.yamlfile import MAX_VALUES, ConfigError, escape_env, load_yaml


def write(tmp_path: Path, text: str, name: str = "newsmon.yaml") -> Path:
    (tmp_path / "topics.yaml").write_text(
        "version: 1\ntopics:\n  policy:\n    terms: {en: [FTC]}\n"
    )
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("feeds: []\ndatabase_url: !!python/name:os.system\n", 2, "is not allowed"),
        ("feeds:\n  - !!python/object/apply:os.system [ls]\n", 2, "python/object/apply"),
        ("a: 1\nslack: !!binary aGVsbG8=\n", 2, "tag:yaml.org,2002:binary is not allowed"),
        ("x: !custom 5\n", 1, "YAML tag !custom is not allowed"),
        ("fetch:\n  retries: !!int abc\n", 2, "fetch.retries"),
        ("? [a, b]\n: 1\n", 1, "keys must be plain text"),
    ],
)
def test_tags_and_odd_keys_are_refused_with_file_and_line(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}:{line}: ") and fragment in str(caught.value)


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        rows.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = write(tmp_path, "\n".join(rows) + "\n")  # 9**9 values if expanded
    with pytest.raises(ConfigError, match=f"more than {MAX_VALUES} values"):
        load_yaml(path)


def test_a_recursive_alias_and_deep_nesting_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="refers to itself"):
        load_yaml(write(tmp_path, "a: &x [1, *x]\n"))
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_yaml(write(tmp_path, "a: " + "[" * 5000 + "]" * 5000 + "\n"))


def test_topic_rules_refuse_tags_too(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\ntopics: !!python/name:os.system\n", "rules.yaml")
    with pytest.raises(ConfigError, match=rf"^{path}:2: topics: YAML tag"):
        load_rules(path)


def test_a_few_aliases_still_work(tmp_path: Path) -> None:
    doc = load_yaml(write(tmp_path, "a: &x {k: 1}\nb: *x\n"))
    assert doc.data == {"a": {"k": 1}, "b": {"k": 1}}


@pytest.mark.parametrize(
    "text",
    [
        "https://x.example/feed?k=${SLACK_BOT_TOKEN:-x}",
        "https://x.example/$${HOME}/a$",
        "https://x.example/${HOME}${PATH}$$${A}",
        "plain",
    ],
)
def test_escaped_text_reads_back_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-marker")
    monkeypatch.setenv("HOME", "/home/someone")
    path = write(tmp_path, f"value: '{escape_env(text)}'\n")
    assert load_yaml(path).data == {"value": text}


def test_user_written_references_are_still_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FEED_KEY", "k1")
    doc = load_yaml(write(tmp_path, "u: https://x.example/?key=${FEED_KEY}&d=${NOPE:-z}\n"))
    assert doc.data == {"u": "https://x.example/?key=k1&d=z"}


def test_secrets_repr_shows_nothing_secret() -> None:
    secrets = Secrets(
        slack_bot_token="xoxb-111-secret",
        slack_webhook_url="https://hooks.slack.com/services/T/B/secretpart",
        slack_api_url="https://user:pass@proxy.example/api/",
    )
    shown = repr(secrets) + str(secrets)
    for secret in ("xoxb-111-secret", "secretpart", "pass@", "proxy.example"):
        assert secret not in shown
    assert "slack_api_url=set" in shown and "slack_bot_token=set" in shown
    assert "slack_api_url=unset" in repr(Secrets())
