"""Usage mistakes (a number out of range, an unknown option, a missing argument) read as one
line on stderr, as cron mail and journald show it, naming the option and what it accepts."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import EXIT_CONFIG, app
from tests.support.configs import write_config

runner = CliRunner()
BOX = set("╭╮╰╯│─")


def _one_line(args: list[str], tmp_path: Path) -> str:
    path = write_config(tmp_path)
    result = runner.invoke(app, [*args, "--config", str(path)])
    assert result.exit_code == EXIT_CONFIG, result.output
    assert result.stdout == "", result.stdout
    err = result.stderr
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith("newsmon: ") and not BOX & set(err), err
    return err


@pytest.mark.parametrize(
    ("args", "option", "low", "high"),
    [
        (["articles", "--limit", "-1"], "--limit", "1", "2147483647"),
        (["runs", "--limit", "0"], "--limit", "1", "2147483647"),
        (["alerts", "--limit", "99999999999"], "--limit", "1", "2147483647"),
        (["prune", "--days", "99999999"], "--days", "0", "36500"),
        (["feeds", "--failing-hours", "-1"], "--failing-hours", "0", "876000"),
        (["health", "--unread-share", "2"], "--unread-share", "0", "1"),
        (["slack", "check", "--timeout", "0"], "--timeout", "1", "3600"),
    ],
)
def test_a_number_out_of_range_is_one_line_with_the_range(
    tmp_path: Path, args: list[str], option: str, low: str, high: str
) -> None:
    """Was a box drawn with rich, over 80 columns, naming only the bound crossed."""
    err = _one_line(args, tmp_path)
    assert option in err and f"{low} to {high}" in err, err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["articles", "--bogus"], "--bogus"),
        (["feeds", "add"], "URL"),
        (["eval"], "LABELS"),
        (["runs", "--limit", "ten"], "--limit"),
        (["health", "--max-age-minutes", "soon"], "--max-age-minutes"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_other_usage_errors_are_one_line(tmp_path: Path, args: list[str], named: str) -> None:
    err = _one_line(args, tmp_path)
    assert named.lower() in err.lower(), err


def test_no_arguments_still_shows_the_help() -> None:
    result = runner.invoke(app, [])
    assert "Usage" in result.output and "run" in result.output
