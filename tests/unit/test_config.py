from pathlib import Path

import pytest

from newsmon.config import Secrets, load_config
from newsmon.yamlfile import ConfigError

GOOD = """\
database_url: sqlite:///{db}
feeds:
  - name: example-ko
    url: https://news.example.kr/rss
    language: ko
  - name: example-en
    url: ${{EXAMPLE_FEED:-https://example.com/feed.xml}}
topics_file: topics.yaml
slack:
  channels: {{open-source: "#ai-open-source", policy: "#ai-policy"}}
  default_channel: "#ai-news"
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "topics.yaml").write_text(
        "version: 1\ntopics:\n  policy:\n    terms: {en: [FTC]}\n"
    )
    path = tmp_path / "newsmon.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_config_loads_with_env_defaults(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("NEWSMON_DATABASE_URL", raising=False)
    monkeypatch.delenv("EXAMPLE_FEED", raising=False)
    config = load_config(write(tmp_path, GOOD.format(db=tmp_path / "x.db")))
    assert [f.name for f in config.feeds] == ["example-ko", "example-en"]
    assert config.feeds[1].url == "https://example.com/feed.xml"
    assert config.slack.channels["policy"] == "#ai-policy"
    assert config.topics_path() == tmp_path / "topics.yaml"
    monkeypatch.setenv("EXAMPLE_FEED", "https://other.example/rss")
    monkeypatch.setenv("NEWSMON_DATABASE_URL", "postgresql+psycopg://u:p@db/newsmon")
    config = load_config(write(tmp_path, GOOD.format(db=tmp_path / "x.db")))
    assert config.feeds[1].url == "https://other.example/rss"
    assert config.database_url.startswith("postgresql+psycopg://")


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda t: t.replace("language: ko", "language: kr"), ":5: feeds.0.language"),
        (
            lambda t: t.replace("url: https://news.example.kr/rss", "url: ftp://x"),
            ":4: feeds.0.url",
        ),
        (
            lambda t: t.replace("default_channel", "default_chanel"),
            ":11: slack.default_chanel: unknown key",
        ),
        (lambda t: t + "feeds: []\n", "duplicate key"),
        (lambda t: t.replace("name: example-en", "name: example-ko"), "used twice"),
        (
            lambda t: t.replace("topics_file: topics.yaml", "topics_file: nope.yaml"),
            "topics_file: file not found",
        ),
        (lambda t: t.replace("sqlite:///", "mysql:///"), "database_url"),
        (lambda t: t.replace("- name: example-ko", "- name: Bad Name"), "feeds.0.name"),
        (
            lambda t: t.replace(
                "${EXAMPLE_FEED:-https://example.com/feed.xml}", "${NEWSMON_UNSET_VAR}"
            ),
            "NEWSMON_UNSET_VAR is not set",
        ),
        (lambda t: "feeds: [\n", "invalid YAML"),
        (
            lambda t: t.replace("    language: ko\n", "    language: ko\n    timezone: KST\n"),
            "feeds.0.timezone: Value error, unknown time zone 'KST'",
        ),
    ],
)
def test_bad_config_names_file_line_key_reason(
    tmp_path: Path, monkeypatch, mutate, fragment
) -> None:
    monkeypatch.delenv("NEWSMON_DATABASE_URL", raising=False)
    monkeypatch.delenv("NEWSMON_UNSET_VAR", raising=False)
    path = write(tmp_path, mutate(GOOD.format(db=tmp_path / "x.db")))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value)
    assert fragment in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "none.yaml")


def test_secrets_never_in_repr(monkeypatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.example/T/B/secret")
    secrets = Secrets.from_env()
    assert secrets.slack_bot_token == "xoxb-very-secret"
    assert "secret" not in repr(secrets) and "secret" not in str(secrets)


@pytest.mark.parametrize(
    ("extra", "days"),
    [
        ("", 30.0),  # the default
        ("alerts: {max_age_hours: 720}\n", 38.0),  # a 30-day age limit needs longer
        ("alerts: {max_age_hours: null}\n", None),  # no age limit: no retention is safe
        ("alerts: {max_age_hours: null}\ndedup: {index_days: 60}\n", 60.0),  # unless asked for
        ("dedup: {index_days: null}\n", None),
        ("dedup: {index_days: 11}\n", 11.0),  # 7-day window + a day + 72 h
    ],
)
def test_index_retention_is_never_shorter_than_an_announcement_can_reach(
    tmp_path: Path, extra: str, days: float | None
) -> None:
    config = load_config(write(tmp_path, GOOD.format(db=tmp_path / "x.db") + extra))
    assert config.index_days() == days


def test_an_index_retention_that_could_repeat_an_alert_is_refused(tmp_path: Path) -> None:
    text = GOOD.format(db=tmp_path / "x.db") + "dedup:\n  index_days: 10\n"
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert "newsmon.yaml:12: dedup: index_days must be at least 11 " in str(err.value)


def test_the_retention_floor_agrees_with_the_story_window() -> None:
    """WINDOW_DAYS is the story window plus the time a feed's date may lie ahead of when the
    store saw the item (config does not import the clustering code)."""
    from datetime import UTC, datetime, timedelta

    from newsmon import clusters
    from newsmon.index_days import WINDOW_DAYS

    seen = datetime(2026, 1, 1, tzinfo=UTC)
    ahead = timedelta(days=WINDOW_DAYS) - clusters.STORY_WINDOW
    assert clusters.story_time(seen + ahead, seen) == seen + ahead  # still believed
    assert clusters.story_time(seen + ahead + timedelta(minutes=1), seen) == seen
