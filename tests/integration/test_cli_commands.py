"""Commands that need a server: `classify` on a URL, and the corpus views (`articles`, `feeds`)
after a real pass over the sample site on loopback (no Prefect: the pass is run directly)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.config import load_config
from newsmon.devsite import SiteServer
from newsmon.pipeline import Context, process_feeds
from tests.conftest import SHIPPED_TOPICS
from tests.support.configs import write_config

runner = CliRunner()


def test_articles_and_feeds_views_after_a_pass(tmp_path: Path, site: SiteServer) -> None:
    path = write_config(
        tmp_path,
        feeds=[
            ("frontier-wire", "/feeds/en-ai.atom", "en"),
            ("broken-feed", "/feeds/broken.xml"),
        ],
        base=site.base,
    )
    config = load_config(path)
    ctx = Context.open(config)

    async def one_pass() -> None:
        async with ctx.fetching() as fetcher:
            await process_feeds(ctx, fetcher, config.feeds)

    try:
        asyncio.run(one_pass())
    finally:
        ctx.close()
    listing = runner.invoke(app, ["articles", "--config", str(path), "--topic", "policy"])
    assert listing.exit_code == 0
    assert "FTC" in listing.output and "[policy" in listing.output
    assert "phone" not in listing.output.lower()
    limited = runner.invoke(app, ["articles", "--config", str(path), "--limit", "1"])
    assert limited.output.count("\n#") + limited.output.startswith("#") == 1
    health = runner.invoke(app, ["feeds", "--config", str(path)])
    assert health.exit_code == 0
    assert "broken-feed" in health.output and "failing" in health.output
    assert "HTTP 500" in health.output
    assert "frontier-wire" in health.output and "entries seen: 4" in health.output


def test_classify_command_fetches_a_url(site: SiteServer) -> None:
    url = site.url("/ko/deepseek-open-source-week.html")
    result = runner.invoke(app, ["classify", url, "--rules", str(SHIPPED_TOPICS)])
    assert result.exit_code == 0, result.output
    assert "topics: open-source" in result.output and "오픈소스" in result.output


def test_classify_a_long_url_that_fails_shows_it_shortened(site: SiteServer) -> None:
    """`cannot fetch` repeated a 10,000-character URL in full: a screenful in cron mail, for
    one line. It shows the host and the start of the path, and an ellipsis where it was cut."""
    url = site.url("/missing.html?q=" + "a" * 10_000)
    result = runner.invoke(app, ["classify", url, "--rules", str(SHIPPED_TOPICS)])
    assert result.exit_code == 2, result.output[:500]
    line = result.stderr
    assert line.count("\n") == 1 and len(line) < 300, line[:500]
    assert line.startswith(f"newsmon: cannot fetch {site.base}/missing.html?q=aaa") and "…" in line
