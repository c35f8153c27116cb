"""The commands notices' hints name, run as an operator pastes them. On the session's Prefect
harness: `newsmon digest` is a flow, and without one each run started a temporary Prefect server
(15-50 s of the suite on 2 cores; it was in tests/unit, which starts no servers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import app
from tests.support.configs import write_config

pytestmark = [pytest.mark.usefixtures("prefect_harness")]

runner = CliRunner()


def test_every_command_a_health_hint_names_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator pastes the command a notice's hint names: it must be one the CLI takes as
    written (the `alerts_stuck` hint named `newsmon alerts retry`, which needs ids or --failed
    and exits 2). Commands with a placeholder (ID…, DATE…) are filled in."""
    import re
    import shlex

    from newsmon.notices import HINTS

    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)  # `slack check` then asks no one
    path = write_config(tmp_path)
    commands = [
        command.replace("ID…", "1").replace("DATE…", "2025-02-17")
        for hint in HINTS.values()
        for command in re.findall(r"`(newsmon [^`]+)`", hint.format(within="24h"))
    ]
    assert any(c.startswith("newsmon alerts retry") for c in commands)
    for command in commands:
        args = shlex.split(command)[1:]
        result = runner.invoke(app, [*args, "--config", str(path)])
        assert result.exit_code != 2, (command, result.output)
