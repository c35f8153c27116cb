"""The README's "Command line" table and exit statuses are what an operator types and scripts
against: every command and option the code takes is in the table and nothing the table shows
is missing from the code, and each exit status names the commands that return it. Read from
the typer app itself (no subprocess) and the command modules' source."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.error import URLError

import typer.main

from newsmon import cli
from newsmon.cli import app
from newsmon.cli_slack import ALERT_STATUSES
from newsmon.corpus.holds import HoldReason
from newsmon.health_kinds import FeedState
from newsmon.slack.check import Verdict
from newsmon.slack.errors import Cause, describe
from newsmon.slack.failures import network_failure

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


def synopses() -> list[str]:
    """The first cell of each row of the command table, without `newsmon `."""
    return re.findall(r"^\| `newsmon ([^|]*(?:\\\|[^|]*)*)` \|", README, re.M)


def command_of(synopsis: str) -> str:
    """The command a synopsis is of: its words up to the first argument or option."""
    words = []
    for word in synopsis.split():
        if not re.fullmatch(r"[a-z]+", word):
            break
        words.append(word)
    return " ".join(words)


def table_synopses() -> dict[str, set[str]]:
    """Each command of the table (`newsmon feeds add URL …` is `feeds add`) with the options
    its synopses show (a command may have several rows)."""
    out: dict[str, set[str]] = {}
    for synopsis in synopses():
        out.setdefault(command_of(synopsis), set()).update(re.findall(r"--[a-z][a-z-]*", synopsis))
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


def exit_codes(function: Any, seen: set[Any] | None = None) -> set[int]:
    """The exit statuses `function` can end the command with: the `EXIT_*` constants it names
    and the numbers it gives `_fail`/`typer.Exit`, through the command modules' helpers it
    calls (`_flow_outcome`, `_config`, …)."""
    seen = set() if seen is None else seen
    function = inspect.unwrap(function)
    if function in seen:
        return set()
    seen.add(function)
    names = function.__globals__
    codes: set[int] = set()
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(function)))):
        if isinstance(node, ast.Name) and node.id.startswith("EXIT_"):
            codes.add(names[node.id])
        elif isinstance(node, ast.Call) and node.args:
            called = ast.unparse(node.func)
            first = node.args[0]
            if called in {"_fail", "typer.Exit"} and isinstance(first, ast.Constant):
                codes.add(first.value)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            helper = names.get(node.func.id)
            if inspect.isfunction(helper) and helper.__module__.startswith("newsmon.cli"):
                codes |= exit_codes(helper, seen)
    return codes


def command_codes() -> dict[str, set[int]]:
    commands = cli_commands(typer.main.get_command(app))
    return {name: exit_codes(command.callback) for name, command in commands}


def exit_status_paragraph() -> str:
    text = section("## Command line")
    return " ".join(text[text.index("Exit status:") :].split())


def clause(code: int, nxt: int) -> str:
    """What the exit status paragraph says of `code`: from "N when" to the next status."""
    text = exit_status_paragraph()
    start = text.index(f" {code} when")
    return text[start : text.index(f", {nxt} ", start)]


def test_every_exit_status_the_code_returns_is_documented_and_no_other() -> None:
    every = set().union(*command_codes().values())
    assert set(range(1, 8)) <= every  # the scan finds what it should
    constants = {v for k, v in vars(cli).items() if k.startswith("EXIT_")}
    documented = {
        int(n) for n in re.findall(r"(?:: |, )(\d+) (?:when|for|on)\b", exit_status_paragraph())
    }
    assert sorted(documented ^ (every | constants | {0})) == []


def test_each_command_specific_exit_status_names_the_commands_that_return_it() -> None:
    """Exit 1 ("a problem") and 5 ("ran but failed") mean different things per command: the
    paragraph said neither that `slack check` exits 1 for a channel it cannot post to, nor
    that `digest` and `slack check` exit 5, so a script reading 5 as a failed pass was wrong."""
    codes = command_codes()
    wrong = []
    for code, nxt in ((1, 2), (5, 6)):
        said = clause(code, nxt)
        for name, returns in sorted(codes.items()):
            named = re.search(rf"`{name}(`| --)", said) is not None
            if (code in returns) != named:
                wrong.append(
                    f"exit {code}: {name} {'named, never returns it' if named else 'not named'}"
                )
    assert wrong == []


def backticked(text: str) -> set[str]:
    return set(re.findall(r"`([a-z_]+)`", text))


def test_the_alerts_row_lists_every_status_and_hold_reason() -> None:
    row = next(r for r in README.splitlines() if r.startswith("| `newsmon alerts [--status"))
    statuses = re.search(r"--status ([a-z|\\]+)\]", row)
    assert statuses is not None
    assert set(statuses.group(1).replace("\\", "").split("|")) == set(ALERT_STATUSES)
    reasons = re.search(r"`skipped \(([a-z_]+)\)` \(([^)]*)\)", row)
    assert reasons is not None
    assert {reasons.group(1)} | backticked(reasons.group(2)) == {r.value for r in HoldReason}


def test_the_slack_check_verdicts_are_the_code_s() -> None:
    text = section("## Slack delivery")
    bullet = text[text.index("**Checking Slack before it matters") :]
    bullet = bullet[: bullet.index("\n- ")]
    listed = re.search(r"verdict \(([^)]*)\)", bullet)
    assert listed is not None
    values = {v.value for v in Verdict}
    assert sorted(backticked(listed.group(1)) - values) == []
    assert sorted(values - backticked(bullet)) == []


def test_the_feed_states_of_feeds_json_are_the_code_s() -> None:
    text = " ".join(section("## Health, failures and exit codes").split())
    listed = re.search(r"`newsmon feeds --json` gives each feed's state \(([^)]*)\)", text)
    assert listed is not None
    assert backticked(listed.group(1)) == {s.value for s in FeedState} | {"disabled"}


def test_every_cause_of_a_slack_failure_is_told_as_the_readme_says() -> None:
    """Each `Cause` reads as the README quotes it: an operator greps the log for those words."""
    text = " ".join(section("## Slack delivery").split())
    said = {
        Cause.REFUSED: describe(Cause.REFUSED, "the message", 200, "x").split(":")[0],
        Cause.SLACK_ERROR: describe(Cause.SLACK_ERROR, "the message", 503, "x").split(":")[0],
        Cause.RATE_LIMITED: describe(Cause.RATE_LIMITED, "the message", 429, None).split(":")[0],
    }
    said[Cause.NOT_SLACK] = describe(Cause.NOT_SLACK, "the message", 403, None).split(" to ")[0]
    sent = network_failure(URLError(ConnectionRefusedError(111, "refused")), "the message")
    lost = network_failure(TimeoutError(), "the message")
    assert (sent.cause, lost.cause) == (Cause.UNREACHABLE, Cause.ANSWER_LOST)
    said[Cause.UNREACHABLE] = re.search(r"\((nothing was sent)\)", str(sent)).group(1)  # type: ignore[union-attr]
    said[Cause.ANSWER_LOST] = re.search(r"\(it (may have been posted)\)", str(lost)).group(1)  # type: ignore[union-attr]
    said[Cause.UNTRUSTED] = "Cause.UNTRUSTED"
    unknown = describe(Cause.UNKNOWN_CODE, "the message", 200, "x")
    named = re.search(r"\((an error code newsmon does not know)", unknown)
    said[Cause.UNKNOWN_CODE] = named.group(1) if named else unknown
    assert set(said) == set(Cause)
    assert sorted(f"{c}: {s!r}" for c, s in said.items() if s not in text) == []


def test_a_value_the_table_shows_for_an_option_with_a_default_is_that_default() -> None:
    """`[--limit 50]` reads as the default: where the code has one, it must be that one (an
    example value, `[--since 2025-02-01]`, is shown only for options without a default)."""
    code = dict(cli_commands(typer.main.get_command(app)))
    checked, wrong = 0, []
    for synopsis in synopses():
        name = command_of(synopsis)
        command = code[name]
        for option, shown in re.findall(r"\[(--[a-z-]+) ([0-9a-z][\w.]*)\]", synopsis):
            param = next(p for p in command.params if option in p.opts)
            if param.default is None:
                continue
            checked += 1
            if str(param.default) not in {shown, f"{shown}.0"}:
                wrong.append(f"{name} {option}: README {shown}, code {param.default}")
    assert checked >= 8
    assert wrong == []


def test_the_timeout_variables_defaults_are_the_flows() -> None:
    """The environment table's `(1800)` is what an operator compares a run's length with; read
    from flows/common.py's source (importing it would start Prefect)."""
    tree = ast.parse((ROOT / "flows/common.py").read_text(encoding="utf-8"))
    defaults = {
        node.args[0].value: int(
            eval(ast.unparse(node.args[1]), {"__builtins__": {}})
        )  # a literal product: 30 * 60
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and ast.unparse(node.func) == "timeout_setting"
        and isinstance(node.args[0], ast.Constant)
    }
    assert len(defaults) >= 6  # the scan finds what it should
    shown: dict[str, int] = {}
    for names, meaning in re.findall(
        r"^\| ((?:`NEWSMON_\w+_TIMEOUT_SECONDS`,? ?)+) \| (.*) \|$", README, re.M
    ):
        numbers = [int(n) for n in re.findall(r"\((\d+)[);]", meaning)]
        shown |= dict(zip(re.findall(r"`(\w+)`", names), numbers, strict=True))
    assert shown == defaults
