"""A relative SQLite `database_url` is read from the configuration's project root (see
tests/integration/test_corpus_location.py for the pass): the rule, and what it leaves alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.config import load_config
from newsmon.config_paths import anchored_database_url, project_root
from tests.conftest import SHIPPED_TOPICS


def test_the_root_is_the_checkout_for_config_slash_newsmon_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no corpus here: the checkout's own `data/` may hold one
    assert project_root(tmp_path / "srv" / "config" / "newsmon.yaml") == tmp_path / "srv"
    assert project_root(tmp_path / "etc" / "newsmon.yaml") == tmp_path / "etc"
    assert project_root(tmp_path / "srv" / ".." / "etc" / "newsmon.yaml") == tmp_path / "etc"
    url = anchored_database_url("sqlite:///data/newsmon.db", tmp_path / "etc" / "newsmon.yaml")
    assert url == f"sqlite:///{tmp_path}/etc/data/newsmon.db"


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////var/lib/newsmon/newsmon.db",
        "sqlite:///:memory:",
        "sqlite://",
        "sqlite:///file:data/newsmon.db?mode=ro&uri=true",
        "postgresql+psycopg://newsmon:secret@db/newsmon",
        "not a url",
    ],
)
def test_other_urls_are_left_as_written(url: str, tmp_path: Path) -> None:
    assert anchored_database_url(url, tmp_path / "config" / "newsmon.yaml") == url


def test_a_corpus_made_in_the_current_directory_is_not_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A layout that ran in one directory with its configuration elsewhere keeps its corpus
    (with a warning), as long as the root has none."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "newsmon.db").write_bytes(b"")
    config_file = tmp_path / "etc" / "newsmon.yaml"
    url = anchored_database_url("sqlite:///data/newsmon.db", config_file)
    assert url == f"sqlite:///{tmp_path}/data/newsmon.db"
    assert "relative to the current directory" in caplog.text
    (tmp_path / "etc" / "data").mkdir(parents=True)
    (tmp_path / "etc" / "data" / "newsmon.db").write_bytes(b"")  # the root's wins
    url = anchored_database_url("sqlite:///data/newsmon.db", config_file)
    assert url == f"sqlite:///{tmp_path}/etc/data/newsmon.db"


def test_the_default_corpus_is_the_checkouts_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No `database_url` in the file: the default `data/newsmon.db` is the root's as well."""
    (tmp_path / "srv" / "config").mkdir(parents=True)
    config_file = tmp_path / "srv" / "config" / "newsmon.yaml"
    config_file.write_text(f"topics_file: {SHIPPED_TOPICS}\nfeeds: []\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_config(config_file).database_url == f"sqlite:///{tmp_path}/srv/data/newsmon.db"


def test_a_path_under_home_is_the_users_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sqlite:///~/newsmon/newsmon.db` made a folder named `~` where the command ran (in the
    checkout from a shell, in `$HOME` from cron: two corpora). It is the home folder, as a
    shell reads it."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    url = anchored_database_url("sqlite:///~/newsmon/newsmon.db", tmp_path / "config" / "x.yaml")
    assert url == f"sqlite:///{tmp_path}/home/newsmon/newsmon.db"
