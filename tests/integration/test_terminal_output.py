"""What strangers wrote, printed to an operator's terminal: a JSON Feed (served on loopback, read
by a real pass into a real store) whose link holds escape sequences and whose title holds C1
controls (read as windows-1252 mojibake since ftfy repairs feed titles, so they reach the store
as text). `newsmon articles` (and a story's `--cluster`) and `newsmon alerts` printed them as
written: the terminal acted on them (``ESC[1A ESC[2K`` erased the line before, hiding a story
from the listing; OSC 52 writes the clipboard; U+009B is CSI to an 8-bit terminal). They are
dropped from what is printed, as `newsmon classify` already did. (click strips CSI sequences
when its output is no terminal, as here; OSC and C1 it passes, and to a terminal all.)"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.config import load_config
from newsmon.devsite import serve
from newsmon.pipeline import Context, process_feeds
from tests.support.configs import write_config

# What a terminal acts on: C0 controls but the newline, DEL, C1 controls.
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
LINK_TAIL = "\x1b[1A\x1b[2K\x1b]52;c;ZXZpbA==\x07"


def test_a_feeds_escape_sequences_reach_no_terminal(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    items = [
        {
            "id": "1",
            "url": "{{BASE}}/missing-page" + LINK_TAIL,
            "title": "Regulators \u009b2J\u009b1A open an AI inquiry",
            "content_text": "The AI Act and antitrust: regulators open an inquiry. " * 5,
        }
    ]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items}
    (site / "feed.json").write_text(json.dumps(feed))
    with serve(site) as server:
        path = write_config(
            tmp_path,
            feeds=[("json-site", "/feed.json", "en")],
            base=server.base,
            default_channel="#news",
        )
        with path.open("a", encoding="utf-8") as file:
            file.write("workers: 0\n")  # one page: the pass's own process (no pool to start)
        config = load_config(path)
        ctx = Context.open(config)

        async def one_pass() -> None:
            async with ctx.fetching() as fetcher:
                await process_feeds(ctx, fetcher, config.feeds)

        try:
            asyncio.run(one_pass())
            [stored] = ctx.store.list_articles(limit=10)
        finally:
            ctx.close()
    assert "\x1b" in stored.url  # stored as the feed wrote
    # a feed title's C1 controls are read as windows-1252 mojibake on the way in (ftfy), and its
    # 7-bit escapes are dropped: a title reaches the store without them
    assert not CONTROL.findall(stored.title or "") and "open an AI inquiry" in (stored.title or "")
    runner = CliRunner()
    for args in (["articles"], ["articles", "--cluster", str(stored.id)], ["alerts"]):
        shown = runner.invoke(app, [*args, "--config", str(path)])
        assert shown.exit_code == 0, shown.output
        assert "open an AI inquiry" in shown.output or args == ["alerts"]
        assert not CONTROL.findall(shown.output), (args, shown.output)
