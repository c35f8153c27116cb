"""A database URL carries a password: no message may show any part of it, however the URL is
written, and a URL that cannot be read is one line (exit 2 from the configuration), never a
traceback. Nothing here connects: every refusal comes before a connection is tried."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.config import load_config
from newsmon.corpus.engine import make_engine, redact_url
from newsmon.corpus.records import StoreError
from newsmon.yamlfile import ConfigError

SECRET = "hunter2secret"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://newsmon@db.example:5432/newsmon?password={SECRET}",
        f"postgresql+psycopg://newsmon:pw@db.example/newsmon?sslmode=require&sslpassword={SECRET}",
        f"postgresql+psycopg://newsmon@db.example/newsmon?PassWord={SECRET}",
        f"postgresql+psycopg://newsmon:{SECRET}@db.example:abc/newsmon",  # a port not a number
        f"postgresql+psycopg://newsmon:{SECRET}@[::1/newsmon",
        f"postgresql+psycopg://newsmon:ab@{SECRET}@db.example/newsmon",  # `@` not written %40
        f"postgresql+psycopg://newsmon:ab@c/{SECRET}@db.example/newsmon",
    ],
)
def test_no_part_of_a_password_is_shown(url: str) -> None:
    shown = redact_url(url)
    assert SECRET not in shown
    assert shown.startswith("postgresql+psycopg://")


def test_a_readable_url_is_shown_with_its_password_hidden() -> None:
    shown = redact_url(
        f"postgresql+psycopg://newsmon:{SECRET}@db.example:5432/newsmon"
        f"?sslmode=require&password={SECRET}"
    )
    assert shown == (
        "postgresql+psycopg://newsmon:***@db.example:5432/newsmon?sslmode=require&password=***"
    )


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://newsmon:{SECRET}@db.example:abc/newsmon",
        f"postgresql+psycopg://newsmon:{SECRET}@[::1/newsmon",
        f"postgresql+psycopg://newsmon:ab@{SECRET}@db.example/newsmon",
    ],
)
def test_an_unreadable_url_is_refused_in_one_line_before_connecting(url: str) -> None:
    with pytest.raises(StoreError) as caught:
        make_engine(url)
    assert SECRET not in str(caught.value)
    assert "\n" not in str(caught.value)


def write_config(tmp_path: Path, database_url: str) -> Path:
    (tmp_path / "topics.yaml").write_text(
        "version: 1\ntopics:\n  policy:\n    terms: {en: [FTC]}\n"
    )
    path = tmp_path / "newsmon.yaml"
    path.write_text(f"feeds: []\ndatabase_url: '{database_url}'\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        (f"postgresql+psycopg://newsmon:{SECRET}@db.example:abc/newsmon", "port"),
        (f"postgresql+psycopg://newsmon:ab@{SECRET}@db.example/newsmon", "%40"),
    ],
)
def test_the_configuration_refuses_an_unreadable_url_with_file_and_line(
    tmp_path: Path, url: str, fragment: str
) -> None:
    path = write_config(tmp_path, url)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:2: database_url: ")
    assert fragment in message and SECRET not in message


def test_the_environment_url_is_checked_and_never_quoted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(tmp_path, "sqlite:///x.db")
    monkeypatch.setenv(
        "NEWSMON_DATABASE_URL", f"postgresql+psycopg://newsmon:ab@{SECRET}@db.example/newsmon"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "database_url" in str(caught.value) and SECRET not in str(caught.value)
    # the file's own database_url is fine: the line says where the bad one came from
    assert "NEWSMON_DATABASE_URL" in str(caught.value)
