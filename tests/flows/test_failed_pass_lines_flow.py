"""A pass that fails as a verdict (every feed failed: offline) is one line in the terminal, not
a traceback: `make run` offline printed Prefect's "Encountered exception during execution" with
the whole stack of the flow engine above the summary, as if newsmon had crashed. Prefect still
records the run Failed, with the verdict as its message."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.sorting import FlowRunSort
from prefect.logging.configuration import setup_logging
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.devsite import SiteServer
from tests.support.configs import write_config

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_every_feed_failing_is_one_line_and_the_run_still_failed(
    tmp_path: Path, site: SiteServer
) -> None:
    config = write_config(tmp_path, feeds=[("broken-feed", "/feeds/broken.xml")], base=site.base)
    with config.open("a", encoding="utf-8") as file:
        file.write("workers: 0\n")
    # Prefect's console handler writes to the stream it was made with: made afresh here it
    # writes to `terminal` (or, made again within the command, to the runner's output), and
    # is made again afterwards so that no later test meets a closed stream.
    terminal = io.StringIO()
    try:
        with contextlib.redirect_stderr(terminal):
            setup_logging(incremental=False)
            result = CliRunner().invoke(app, ["run", "--config", str(config)])
    finally:
        setup_logging(incremental=False)
    shown = terminal.getvalue() + result.output
    assert result.exit_code == 5, result.output
    assert "newsmon: the pass failed: every feed tried failed (1): broken-feed" in result.output
    assert "Flow run" in shown  # Prefect's log is there, warnings and errors
    assert "Traceback" not in shown and "flow_engine.py" not in shown
    with get_client(sync_client=True) as client:
        run = client.read_flow_runs(sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=1)[0]
    assert run.state is not None and run.state.is_failed()
    assert "every feed tried failed" in (run.state.message or "")
