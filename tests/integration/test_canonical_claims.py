"""A page's own claim of identity is no identity: a stranger's page whose ``<link rel=canonical>``
and ``og:url`` name another site's article (served on loopback, read by a real pass into a real
store, its feed read first) is stored as its own story beside that article, which is stored and
alerted too, neither a copy of the other. Story identity comes from the feed's link and the
body, never from what a page says about itself."""

from __future__ import annotations

import asyncio
from pathlib import Path

from newsmon.config import load_config
from newsmon.corpus.records import AlertStatus
from newsmon.devsite import serve
from newsmon.pipeline import Context, process_feeds
from tests.conftest import DEMO_SITE
from tests.support.configs import write_config


def _site(root: Path, page: str, canonical: str | None) -> None:
    root.mkdir()
    html = (DEMO_SITE / "en" / page).read_text(encoding="utf-8")
    if canonical is not None:
        html = html.replace(f"{{{{BASE}}}}/en/{page}", canonical)
    (root / "story.html").write_text(html.replace(f"{{{{BASE}}}}/en/{page}", "{{BASE}}/story.html"))
    (root / "feed.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>site</title><item>'
        f"<title>{page}</title><link>{{{{BASE}}}}/story.html</link></item></channel></rss>"
    )


def test_a_page_naming_another_sites_article_canonical_neither_merges_nor_suppresses_it(
    tmp_path: Path,
) -> None:
    _site(tmp_path / "real", "ftc-ai-inquiry.html", None)
    with serve(tmp_path / "real") as real:
        claimed = real.url("/story.html")
        _site(tmp_path / "claim", "us-aisi-layoffs.html", claimed)
        with serve(tmp_path / "claim") as claim:
            assert f'<link rel="canonical" href="{claimed}">' in (
                (tmp_path / "claim" / "story.html").read_text()
            )
            path = write_config(
                tmp_path,
                feeds=[("claimer", claim.url("/feed.xml"), "en"), ("real", real.url("/feed.xml"))],
                default_channel="#news",
            )
            with path.open("a", encoding="utf-8") as file:
                file.write("workers: 0\n")  # two pages: the pass's own process
            config = load_config(path)
            ctx = Context.open(config)

            async def one_pass() -> None:
                async with ctx.fetching() as fetcher:
                    await process_feeds(ctx, fetcher, config.feeds)

            try:
                asyncio.run(one_pass())
                stored = {a.url: a for a in ctx.store.list_articles(limit=10)}
                queued = ctx.store.count_alerts(AlertStatus.PENDING)
            finally:
                ctx.close()
    assert set(stored) == {claimed, claim.url("/story.html")}
    assert all(a.duplicate_of_id is None for a in stored.values())
    assert stored[claimed].feed == "real" and queued == 2
