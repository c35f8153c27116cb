"""`newsmon alerts` as an operator types it, on SQLite and PostgreSQL with the real CLI.

`--channel news` (a shell takes an unquoted `#news` for a comment) and `--channel AI-News`
listed "no alerts" for a channel full of failed ones: the filter compared the typed string
with the stored spelling (`#news`, lower case). The channel is now spelled as the
configuration spells it, and a string no channel is called is a bad argument (exit 2).
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from newsmon.cli import app
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack

runner = CliRunner()


def test_the_channel_filter_takes_a_channel_as_the_configuration_may_spell_it(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    config = config_path(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        queue_alerts(ctx.store, {"#ai-news": 2, "#other": 1})
    finally:
        ctx.close()
    for typed in ("#ai-news", "ai-news", "AI-News", " #ai-news"):
        listed = runner.invoke(app, ["alerts", "--channel", typed, "--config", str(config)])
        assert listed.exit_code == 0, listed.output
        rows = [line for line in listed.output.splitlines() if line.startswith("#")]
        assert len(rows) == 2 and all("#ai-news" in r for r in rows), (typed, listed.output)
    bad = runner.invoke(app, ["alerts", "--channel", "ai news", "--config", str(config)])
    assert bad.exit_code == 2 and "--channel" in bad.output, bad.output


def test_a_listing_cut_at_its_limit_says_how_many_more_match(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    config = config_path(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        [first, *_] = queue_alerts(ctx.store, {"#news": 5, "#other": 2})
        for source in ("wire", "daily", "weekly"):  # a reply per other source of the story
            feed = ctx.store.sync_feed(source, f"https://{source}.example/feed.xml", "en")
            assert ctx.store.queue_replies(first, feed.id, f"https://{source}.example/c") == 1
    finally:
        ctx.close()
    args = ["alerts", "--channel", "news", "--limit", "2", "--config", str(config)]
    listed = runner.invoke(app, args)
    assert listed.exit_code == 0, listed.output
    assert len([line for line in listed.output.splitlines() if line.startswith("#")]) == 2
    assert "… and 3 more alert(s) (use --limit)" in listed.output, listed.output
    assert "… and 1 more thread reply(ies) (use --limit)" in listed.output, listed.output
    whole = runner.invoke(app, [*args[:-4], "--limit", "5", "--config", str(config)])
    assert whole.exit_code == 0 and "more" not in whole.output, whole.output
