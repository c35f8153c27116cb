"""Opening a corpus whose server does not answer: one line, and never the password.

A connection attempt to a closed loopback port, hence here rather than in tests/unit; and a
database that fails after it opened, under the commands that read it.
"""

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import EXIT_DATABASE, app
from newsmon.config import load_config
from newsmon.corpus import Store
from newsmon.corpus.records import StoreError
from tests.support.configs import write_config


def test_an_unreachable_postgres_is_one_line_without_the_password() -> None:
    with pytest.raises(StoreError) as err:
        Store.open("postgresql+psycopg://newsmon:hunter2@127.0.0.1:9/newsmon")
    message = str(err.value)
    assert "hunter2" not in message and "***" in message and "\n" not in message
    assert message.startswith("database postgresql+psycopg://newsmon:***@127.0.0.1:9/newsmon")


@pytest.mark.parametrize("command", [["health"], ["feeds"], ["runs"], ["articles"], ["alerts"]])
def test_a_database_failing_under_a_command_is_one_line_and_status_3(
    tmp_path: Path, command: list[str]
) -> None:
    """The corpus opens, then a query fails (a table gone stands for a connection dropped, a
    damaged file): the command says so in one line with exit status 3, no traceback."""
    path = write_config(tmp_path, feeds=[("news", "http://127.0.0.1:9/feed")])
    Store.open(load_config(path).database_url).close()
    with sqlite3.connect(tmp_path / "corpus.db") as db:
        for table in ("runs", "alerts", "feeds", "articles"):
            db.execute(f"DROP TABLE {table}")
    result = CliRunner().invoke(app, [*command, "--config", str(path)])
    assert result.exit_code == EXIT_DATABASE, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("newsmon: database error") and "no such table" in lines[-1]
    assert "Traceback" not in result.output
