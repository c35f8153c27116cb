"""`newsmon digest` arguments as an operator types them, through the real CLI and flow.

`--channel ai-news` (a shell drops an unquoted `#ai-news`) or `AI-News` found "no stories" in a
channel full of them: the filter compared the typed string with the stored spelling; it is now
spelled as the configuration spells channels (`alerts --channel` does the same), and a string
no channel is called is a bad argument. `--since 9999999d` crashed in the flow with a traceback
(OverflowError: date value out of range): now one line, exit 2, before anything runs.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from newsmon.cli import EXIT_CONFIG, app
from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus.schema import AlertRow
from tests.support.configs import write_config
from tests.support.delivery import announce_alerts

runner = CliRunner()


def _announced_two_hours_ago(tmp_path: Path) -> Path:
    """Two stories posted to #ai-news two hours ago: in the period a digest takes now."""
    config = write_config(tmp_path)
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        announce_alerts(store, {"#ai-news": 2})
        with store.session() as s:
            then = utcnow() - timedelta(hours=2)
            s.execute(update(AlertRow).values(created_at=then, sent_at=then))
    finally:
        store.close()
    return config


@pytest.mark.usefixtures("prefect_harness")
def test_digest_takes_a_channel_as_the_configuration_may_spell_it(tmp_path: Path) -> None:
    config = _announced_two_hours_ago(tmp_path)
    # one flow a test: Prefect's console keeps the first invocation's (closed) output
    done = runner.invoke(app, ["digest", "--dry-run", "--channel", "AI-News", "-c", str(config)])
    assert done.exit_code == 0, done.output
    assert "#ai-news: 2 stories (dry run: not posted)" in done.output, done.output
    bad = runner.invoke(app, ["digest", "--dry-run", "--channel", "ai news", "-c", str(config)])
    assert bad.exit_code == EXIT_CONFIG and "--channel" in bad.output, bad.output


@pytest.mark.usefixtures("prefect_harness")
def test_a_since_too_long_for_the_calendar_is_a_bad_argument(tmp_path: Path) -> None:
    config = _announced_two_hours_ago(tmp_path)
    for since in ("9999999d", "99999999999999999999d"):
        done = runner.invoke(app, ["digest", "--dry-run", "--since", since, "-c", str(config)])
        assert done.exit_code == EXIT_CONFIG, (since, done.output, done.exception)
        line = done.output.strip()
        assert "\n" not in line and "--since" in line and since in line, line
