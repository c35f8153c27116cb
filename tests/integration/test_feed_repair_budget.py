"""A feed of many entries whose text is crafted mojibake costs its parse a bounded amount of CPU.

ftfy takes ~4-11 µs a character of crafted mojibake ("ì˜ 한": a lead pair it tries to decode
each time, and cannot). Each entry's repair was bounded (its fields' caps), the feed's was not:
100 link-less entries of such text took 24 s of CPU to parse (the title and summary repaired
for the entry, and again for the key an earlier release gave it), over the feed's 20 s parse
budget, so the feed failed whole every pass and its stories were missed. Now a feed's repairs
share one budget of characters (`charset.RepairBudget`); past it, text is kept as written and
the entries are all there, counted in `ParsedFeed.unrepaired`.
"""

from __future__ import annotations

import json
import time

from newsmon.charset import MAX_REPAIR_CHARS
from newsmon.feeds import MAX_SUMMARY_CHARS, parse_feed

ENTRIES = 60
# Before: 60 entries x ~40,000 characters given to ftfy, 10-25 s of CPU; now at most
# `MAX_REPAIR_CHARS` (~1-2.5 s) and feedparser's own reading (~0.5 s).
CPU_SECONDS = 6.0
HEADLINE = "오픈소스"
# the headline as a publisher that encoded it twice writes it (UTF-8 read as windows-1252)
MOJIBAKE = HEADLINE.encode("utf-8").decode("windows-1252", errors="replace")


def _crafted(chars: int) -> str:
    return ("ì˜ 한 " * (chars // 5 + 1))[:chars]


def _feed(entries: int) -> bytes:
    """Link-less, GUID-less items: a headline encoded twice, a summary of crafted mojibake."""
    items = "".join(
        f"<item><title>{MOJIBAKE} {at}</title>"
        f"<description>{at} {_crafted(MAX_SUMMARY_CHARS - 10)}</description></item>"
        for at in range(entries)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Crafted</title>'
        f"<link>https://crafted.test/</link>{items}</channel></rss>"
    ).encode()


def test_a_feed_of_crafted_mojibake_costs_its_parse_a_bounded_cpu_time() -> None:
    assert MOJIBAKE.encode("windows-1252").decode("utf-8") == HEADLINE != MOJIBAKE
    data = _feed(ENTRIES)
    started = time.process_time()
    parsed = parse_feed(data, "https://crafted.test/feed.xml")
    spent = time.process_time() - started
    assert spent < CPU_SECONDS, f"{spent:.1f} s of CPU for one feed"
    # every entry is there, in the feed's order, its headline repaired (short, it fits what
    # the budget has left); summaries past the budget are kept as written, and counted
    titles = [e.title for e in parsed.entries]
    assert titles == [f"{HEADLINE} {at}" for at in range(ENTRIES)]
    assert ENTRIES > parsed.unrepaired >= ENTRIES - MAX_REPAIR_CHARS // (MAX_SUMMARY_CHARS - 10)
    assert all(e.summary.startswith(f"{at} ì˜ 한") for at, e in enumerate(parsed.entries))
    assert parsed.warning is not None and "\n" not in parsed.warning


def test_a_json_feed_of_crafted_mojibake_costs_its_parse_a_bounded_cpu_time() -> None:
    """The same items in a JSON Feed: one budget for the feed, every item kept."""
    items = [
        {"title": f"{MOJIBAKE} {at}", "summary": f"{at} {_crafted(MAX_SUMMARY_CHARS - 10)}"}
        for at in range(ENTRIES)
    ]
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "Crafted", "items": items}
    started = time.process_time()
    parsed = parse_feed(json.dumps(doc).encode(), "https://crafted.test/feed.json")
    spent = time.process_time() - started
    assert spent < CPU_SECONDS, f"{spent:.1f} s of CPU for one feed"
    assert [e.title for e in parsed.entries] == [f"{HEADLINE} {at}" for at in range(ENTRIES)]
    assert ENTRIES > parsed.unrepaired >= ENTRIES - MAX_REPAIR_CHARS // (MAX_SUMMARY_CHARS - 10)
