"""Where the `newsmon` process looks for its SQLite corpus, as cron runs it: a command that only
reads never makes one (a mistyped path gave a stray empty corpus and "no stories"), and a
relative `NEWSMON_DATABASE_URL` is read from the project root as the file's `database_url` is
(from cron's `$HOME` it made a second corpus and the next pass announced every story again)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import EXIT_DATABASE, app
from tests.support.configs import write_config

ROOT = Path(__file__).resolve().parents[2]


def newsmon(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "NEWSMON_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "newsmon", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, **env, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"},
    )


def checkout(tmp_path: Path, database_url: str | None = None) -> Path:
    """`<root>/config/newsmon.yaml`, as a checkout has it; its project root is `<root>`."""
    (tmp_path / "srv" / "config").mkdir(parents=True)
    return write_config(
        tmp_path / "srv" / "config",
        database_url=database_url,
        feeds=[("news", "http://127.0.0.1:9/feed")],
    )


def test_a_read_only_command_names_a_missing_corpus_and_makes_none(tmp_path: Path) -> None:
    """A probe (`health`) on a mistyped path said "no pass yet" from a corpus it had just made;
    the other commands that only read are in tests/integration/test_readonly_commands.py."""
    missing = tmp_path / "typo" / "newsmon.db"
    config = checkout(tmp_path, f"sqlite:///{missing}")
    done = newsmon(["health", "--json", "--config", str(config)], cwd=tmp_path)
    assert done.returncode == EXIT_DATABASE, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no corpus at" in lines[0] and str(missing) in lines[0], lines
    assert done.stdout == ""
    assert not missing.exists() and not missing.parent.exists()  # no stray folder or corpus


def test_a_relative_env_database_url_is_read_from_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = checkout(tmp_path)
    cron_home = tmp_path / "home"
    cron_home.mkdir()
    url = "sqlite:///data/env.db"
    monkeypatch.chdir(tmp_path / "srv")  # `make run`: the checkout
    monkeypatch.setenv("NEWSMON_DATABASE_URL", url)
    made = CliRunner().invoke(app, ["migrate", "--config", str(config)])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "srv" / "data" / "env.db").is_file()
    # cron: the same configuration and environment, from `$HOME`: the same corpus
    again = newsmon(["runs", "--config", str(config)], cwd=cron_home, NEWSMON_DATABASE_URL=url)
    assert again.returncode == 0, again.stderr
    assert list(cron_home.iterdir()) == []
