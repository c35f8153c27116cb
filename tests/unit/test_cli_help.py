"""`newsmon … --help` is where an operator checks a default before relying on it: what an
option's help says about its default must reach the screen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import typer.main
from typer.testing import CliRunner

from newsmon.cli import app


def commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command under `group` (typer's own click classes), with its path of names."""
    yield path, group
    for name, command in getattr(group, "commands", {}).items():
        yield from commands(command, (*path, name))


def flat(text: str) -> str:
    """The help as words: box drawing and line wrapping gone."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def test_every_default_an_option_help_names_is_shown() -> None:
    """Rich read "[default: $NEWSMON_CONFIG or config/newsmon.yaml]" as a markup tag and
    dropped it, so no command's --help said where the configuration comes from; nor did
    backfill --until, prune --days, classify/eval --rules or feeds add --name/--language."""
    runner = CliRunner()
    checked = 0
    for path, command in commands(typer.main.get_command(app)):
        notes = [
            flat(note)
            for param in command.params
            if param.param_type_name == "option"
            for note in re.findall(r"\[default: [^\]]*\]", getattr(param, "help", None) or "")
        ]
        if not notes:
            continue
        shown = flat(runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100"}).output)
        for note in notes:
            checked += 1
            assert note in shown, f"newsmon {' '.join(path)} --help lacks {note}"
    assert checked >= 10  # every command's --config, and the options above
