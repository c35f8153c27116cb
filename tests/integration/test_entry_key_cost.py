"""Keying a feed's entries costs the pass (its event loop) a bounded CPU time.

An entry without link or GUID is keyed by its text, folded (`dedup._key_text`: width, case,
punctuation, spacing), three times in a pass (its identity, its text's key among items sharing
one, the key an earlier release gave it). The folding looked up each character's Unicode
category in a Python loop: ~0.3 µs a character, so a feed of 100 such entries with 20,000-
character summaries held the pass's event loop for ~1 s (downloads, timeouts and Slack calls
stood still). Now one `str.translate` over a table of the characters seen.
"""

from __future__ import annotations

import time

from newsmon.feeds import MAX_SUMMARY_CHARS, FeedEntry
from newsmon.pipeline.entry_keys import identify

ENTRIES = 100
# before: ~1 s of CPU (idle 2-core machine); now ~0.1 s
CPU_SECONDS = 0.5


def _summary(at: int) -> str:
    words = "오픈소스, AI 안전·정책 (법안) “공개” — ì˜ 한 ＡＩ! "
    return (f"{at} " + words * (MAX_SUMMARY_CHARS // len(words)))[:MAX_SUMMARY_CHARS]


def test_keying_a_feed_of_link_less_entries_costs_a_bounded_cpu_time() -> None:
    entries = [
        FeedEntry(None, None, f"제목 {at}", _summary(at), None, None) for at in range(ENTRIES)
    ]
    started = time.process_time()
    identified = identify(entries, "crafted")
    spent = time.process_time() - started
    assert spent < CPU_SECONDS, f"{spent:.2f} s of CPU to key {ENTRIES} entries"
    assert len(identified.entries) == ENTRIES
    assert all(key.startswith("urn:newsmon:entry:") for key in identified.entries)
