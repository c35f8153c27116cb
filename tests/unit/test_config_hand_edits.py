"""Hand edits YAML or pydantic read otherwise than the operator meant: a quoted or numeric
boolean, blanks inside a quoted feed address, an empty file, one feed under two names, and
`key: #word` in flow style. Each is refused or reported with file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.config import load_config
from newsmon.yamlfile import ConfigError


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
