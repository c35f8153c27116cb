"""The README's "Command line" table and exit statuses are what an operator types and scripts
against: every command and option the code takes is in the table and nothing the table shows
is missing from the code, and each exit status names the commands that return it. Read from
the typer app itself (no subprocess) and the command modules' source."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer.main

from newsmon.cli import app

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
GLOBAL = {"--config", "--help"}  # every command takes them: said once above the table


def section(title: str) -> str:
    """The README's text from the heading `title` to the next heading of any level."""
    start = README.index(f"\n{title}\n")
    end = README.find("\n#", start + len(title) + 2)
    return README[start : end if end != -1 else None]


def cli_commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every command an operator can run (a group that runs by itself, as `newsmon feeds`,
    included), by its words after `newsmon`."""
    subs = getattr(group, "commands", None)
    if path and (subs is None or getattr(group, "invoke_without_command", False)):
        yield " ".join(path), group
    for name, command in (subs or {}).items():
        yield from cli_commands(command, (*path, name))


def table_synopses() -> dict[str, set[str]]:
    """Each command of the table (`newsmon feeds add URL …` is `feeds add`) with the options
    its synopses show (a command may have several rows)."""
    out: dict[str, set[str]] = {}
    for synopsis in re.findall(r"^\| `newsmon ([^|]*(?:\\\|[^|]*)*)` \|", README, re.M):
        words = []
        for word in synopsis.split():
            if not re.fullmatch(r"[a-z]+", word):
                break
            words.append(word)
        out.setdefault(" ".join(words), set()).update(re.findall(r"--[a-z][a-z-]*", synopsis))
    return out


def test_the_command_table_names_every_command_and_option_the_code_takes() -> None:
    """`eval --rules/--korean` and `slack check --timeout` were missing from the table."""
    table = table_synopses()
    assert "feeds add" in table and "backfill" in table  # the parse finds what it should
    code = dict(cli_commands(typer.main.get_command(app)))
    assert sorted(set(code) ^ set(table)) == []
    wrong = []
    for name, command in code.items():
        options = [p for p in command.params if p.param_type_name == "option"]
        primary = {o for p in options for o in p.opts if o.startswith("--")}
        spelled = primary | {o for p in options for o in p.secondary_opts}
        assert "--config" in primary, f"newsmon {name} takes no --config"
        wrong += [f"{name}: {o} not in the table" for o in sorted(primary - GLOBAL - table[name])]
        wrong += [f"{name}: the table's {o} is no option" for o in sorted(table[name] - spelled)]
    assert wrong == []
