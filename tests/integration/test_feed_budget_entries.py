"""One bloated entry next to ordinary ones, through the real pass (loopback site, fetcher, worker
pool, SQLite corpus): the feed is read within its parse budget and every entry is stored.

feedparser's HTML sanitizer needed ~11 µs of CPU per `<p>x` in a description, and newsmon's own
rendering ~3 µs: the feed below took ~7 s to parse, so it went over its budget and failed whole,
every pass, for as long as the bloated entry was listed; its ordinary stories were missed.
(A feed slow for other reasons still fails alone: tests/integration/test_feed_budget.py.)
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from newsmon.devsite import SiteServer
from newsmon.feeds import MAX_SUMMARY_CHARS, parse_feed
from newsmon.pipeline import Context, process_feeds
from tests.support.configs import make_config

# Each bloat took ~7 s of CPU before its fix and ~0.25 s now (~1 s through a whole pass on an
# idle 2-core machine); 2 s failed once with two suites sharing those cores (load ~8).
BUDGET = 4.0
PAGES = ["deepseek-open-source-week", "ftc-ai-inquiry", "us-aisi-layoffs"]
BLOATED = "eu-ai-act-guidance"


def _item(base: str, name: str, description: str) -> str:
    return (
        f"<item><title>Story {name}</title><link>{base}/en/{name}.html</link>"
        f"<guid>{base}/en/{name}.html</guid><description>{description}</description></item>"
    )


def _entry(base: str, name: str, content: str) -> str:
    return (
        f'<entry><title>Story {name}</title><link href="{base}/en/{name}.html"/>'
        f"<id>{base}/en/{name}.html</id><updated>2025-02-28T16:45:00Z</updated>{content}</entry>"
    )


def _feed(base: str, bloat: str) -> str:
    """Three ordinary entries and a bloated one, in RSS (`bloat` its description) or, for a
    bloat that starts with an element, in Atom (`bloat` the entry's last fields)."""
    if bloat.startswith("<") and not bloat.startswith("<!"):
        entries = [_entry(base, PAGES[0], "<summary>An ordinary story.</summary>")]
        entries.append(_entry(base, BLOATED, bloat))
        ordinary = (
            '<summary type="html">&lt;p&gt;Another &lt;b&gt;ordinary&lt;/b&gt; story.</summary>'
        )
        entries += [_entry(base, name, ordinary) for name in PAGES[1:]]
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f'<title>Bloated</title><link href="{base}/"/>{"".join(entries)}</feed>'
        )
    items = [_item(base, PAGES[0], "An ordinary story.")]
    items.append(_item(base, BLOATED, bloat))
    ordinary = "<![CDATA[<p>Another <b>ordinary</b> story.</p>]]>"
    items += [_item(base, name, ordinary) for name in PAGES[1:]]
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Bloated</title>'
        f"<link>{base}/</link>{''.join(items)}</channel></rss>"
    )


def _run(ctx: Context) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with ctx.fetching() as fetcher:
            outcomes = await process_feeds(ctx, fetcher, ctx.config.feeds, force=True)
        return {o.feed: o for o in outcomes}

    return asyncio.run(go())


FIRST = "The Commission published guidance on the AI Act."
# Megabytes of tags after the guidance's first words: ~7 s of CPU each before, ~0.5 s now.
# As CDATA and as escaped text: feedparser's sanitizer; as XHTML elements or unknown elements,
# Python calls for each (the entry is cut before feedparser reads it: newsmon.feedslim).
BLOATS = {
    "cdata": f"<![CDATA[<p>{FIRST}{'<p>x' * 600_000}]]>",
    "escaped": f"&lt;p>{FIRST}{'&lt;p>x' * 400_000}",
    "xhtml": '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
    f"<p>{FIRST}</p>{'<p>x</p>' * 400_000}</div></content>",
    "unknown elements": f"<summary>{FIRST}</summary>{'<x>y</x>' * 400_000}",
}


@pytest.mark.parametrize("bloat", sorted(BLOATS))
def test_one_bloated_entry_costs_its_feed_nothing(
    tmp_path: Path, site: SiteServer, bloat: str
) -> None:
    body = _feed(site.base, BLOATS[bloat])
    site.routes["/feeds/bloated.xml"] = {"body": body, "content_type": "application/rss+xml"}
    config = make_config(
        tmp_path,
        feeds=[("bloated", "/feeds/bloated.xml", "en")],
        base=site.base,
        fetch={"feed_parse_timeout_seconds": BUDGET},
    )
    ctx = Context.open(config)
    try:
        [outcome] = _run(ctx).values()
        assert outcome.ok, outcome.error
        assert outcome.entries == len(PAGES) + 1
        stored = {a.url.removeprefix(site.base): a for a in ctx.store.list_articles(limit=100)}
        assert set(stored) == {f"/en/{name}.html" for name in [*PAGES, BLOATED]}, stored
        health = {h.name: h for h in ctx.store.feed_health()}
        assert health["bloated"].last_error is None
    finally:
        ctx.close()


def test_a_bloated_summary_is_cut_to_its_first_words() -> None:
    """What the bloated entry's summary reads as: its first words, at most the summary's cap."""
    for bloat, data in BLOATS.items():
        parsed = parse_feed(_feed("https://x.test", data).encode(), "https://x.test/f")
        entry = parsed.entries[1]
        assert entry.summary.startswith(FIRST), bloat
        assert len(entry.summary) <= MAX_SUMMARY_CHARS, bloat
        others = [e.summary for e in parsed.entries[2:]]
        assert others == ["Another ordinary story."] * 2, bloat
