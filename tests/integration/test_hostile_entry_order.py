"""A feed listing more entries than `fetch.max_entries_per_feed`, oldest first, through the real
pass (loopback site, fetcher, worker pool, SQLite corpus).

RSS and JSON Feed do not fix an order. The cap kept the first entries in the document: for a
feed that appends its stories at the end (an archive feed, a mailing list's, some CMSes), that
was its oldest ones, every pass, so each new story was silently never seen.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from newsmon.devsite import SiteServer
from newsmon.pipeline import Context, process_feeds
from tests.support.configs import make_config

CAP = 4
LISTED = 10
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def _when(i: int) -> datetime:
    return T0 + timedelta(hours=i)


def _rss(base: str, order: list[int]) -> str:
    items = "".join(
        f"<item><title>Story {i}</title><link>{base}/en/story-{i}.html</link>"
        f"<description>What happened, number {i}.</description>"
        f"<pubDate>{_when(i).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
        for i in order
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    )


def _json(base: str, order: list[int]) -> str:
    items = [
        {
            "id": f"{base}/en/story-{i}.html",
            "url": f"{base}/en/story-{i}.html",
            "title": f"Story {i}",
            "content_text": f"What happened, number {i}.",
            "date_published": _when(i).isoformat(),
        }
        for i in order
    ]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": items})


def _pass(tmp_path: Path, site: SiteServer, body: str) -> tuple[Any, set[str]]:
    site.routes["/feeds/t.xml"] = {"body": body, "content_type": "application/xml"}
    config = make_config(
        tmp_path,
        feeds=[("t", "/feeds/t.xml", "en")],
        base=site.base,
        fetch={"max_entries_per_feed": CAP, "page_retries": 0},
    )
    ctx = Context.open(config)
    try:

        async def go() -> Any:
            async with ctx.fetching() as fetcher:
                [outcome] = await process_feeds(ctx, fetcher, ctx.config.feeds, force=True)
            return outcome

        outcome = asyncio.run(go())
        stored = {a.url.removeprefix(site.base) for a in ctx.store.list_articles(limit=100)}
    finally:
        ctx.close()
    return outcome, stored


@pytest.mark.parametrize("form", ["rss", "json"])
def test_a_feed_listing_its_oldest_entries_first_gets_its_newest_read(
    tmp_path: Path, site: SiteServer, form: str
) -> None:
    build = _rss if form == "rss" else _json
    outcome, stored = _pass(tmp_path, site, build(site.base, list(range(LISTED))))
    assert outcome.error is None and outcome.entries == CAP
    newest = {f"/en/story-{i}.html" for i in range(LISTED - CAP, LISTED)}
    assert stored == newest  # the first CAP were the oldest ones, read every pass
    assert outcome.warning is not None
    assert f"the newest {CAP} of {LISTED} read" in outcome.warning


@pytest.mark.parametrize("newest", ["first", "last"])
def test_an_ill_formed_feed_read_entry_by_entry_gets_its_newest_read(
    tmp_path: Path, site: SiteServer, newest: str
) -> None:
    """An unclosed comment swallows every entry from the parser: they are read one by one,
    which stopped after the cap, so an ill-formed feed listing oldest first had its oldest
    entries read, every pass, as a well-formed one no longer does."""
    order = list(range(LISTED)) if newest == "last" else list(reversed(range(LISTED)))
    body = _rss(site.base, order).replace("<title>T</title>", "<title>T</title><!-- sidebar", 1)
    outcome, stored = _pass(tmp_path, site, body)
    assert outcome.error is None and outcome.entries == CAP
    assert stored == {f"/en/story-{i}.html" for i in range(LISTED - CAP, LISTED)}
    assert "entries read one by one" in (outcome.warning or "")
    if newest == "last":
        assert f"the newest {CAP} of {LISTED} read" in (outcome.warning or "")


def test_a_feed_listing_its_newest_first_is_read_as_listed_and_not_warned_about(
    tmp_path: Path, site: SiteServer
) -> None:
    outcome, stored = _pass(tmp_path, site, _rss(site.base, list(reversed(range(LISTED)))))
    assert outcome.error is None and outcome.entries == CAP
    assert stored == {f"/en/story-{i}.html" for i in range(LISTED - CAP, LISTED)}
    assert not outcome.warning  # a long feed in the usual order is nothing to report


# ~9 MB of small entries: feedparser spends ~0.3 ms of Python on each (all of them, though only
# `max_entries_per_feed` are used), ~12 s here, so the feed went over its parse budget and
# failed, every pass, a hard failure backed off for hours.
MANY = 40_000


@pytest.mark.parametrize("newest", ["first", "last"])
def test_a_feed_of_many_small_entries_is_read_within_its_parse_budget(
    tmp_path: Path, site: SiteServer, newest: str
) -> None:
    order = list(range(MANY)) if newest == "last" else list(reversed(range(MANY)))
    site.routes["/feeds/t.xml"] = {"body": _rss(site.base, order), "content_type": "text/xml"}
    config = make_config(
        tmp_path,
        feeds=[("t", "/feeds/t.xml", "en")],
        base=site.base,
        fetch={"max_entries_per_feed": 3, "page_retries": 0, "feed_parse_timeout_seconds": 3},
    )
    ctx = Context.open(config)
    try:

        async def go() -> Any:
            async with ctx.fetching() as fetcher:
                [outcome] = await process_feeds(ctx, fetcher, ctx.config.feeds, force=True)
            return outcome

        outcome = asyncio.run(go())
        stored = {a.url.removeprefix(site.base) for a in ctx.store.list_articles(limit=100)}
    finally:
        ctx.close()
    assert outcome.error is None and outcome.entries == 3
    assert stored == {f"/en/story-{i}.html" for i in range(MANY - 3, MANY)}
    if newest == "last":
        assert "the newest 3 of 40000 read" in outcome.warning


def test_feeds_add_reads_a_feed_of_many_small_entries_as_a_pass_does(
    tmp_path: Path, site: SiteServer
) -> None:
    """`feeds add` parsed every entry (no cap): a feed each pass reads in a fraction of a second
    was refused as over its parse budget, "could not be read (feed parsing exceeded 3 s)"."""
    from typer.testing import CliRunner

    from newsmon.cli import app
    from newsmon.config import load_config
    from tests.support.configs import write_config

    site.routes["/feeds/t.xml"] = {
        "body": _rss(site.base, list(reversed(range(MANY)))),
        "content_type": "text/xml",
    }
    path = write_config(
        tmp_path,
        feeds=[("existing", "https://existing.example/rss")],
        fetch={"feed_parse_timeout_seconds": 3},
    )
    result = CliRunner().invoke(
        app, ["feeds", "add", site.url("/feeds/t.xml"), "--config", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert [f.url for f in load_config(path).feeds][1:] == [site.url("/feeds/t.xml")]
