"""A start tag with thousands of attributes costs its feed's parse a bounded CPU time.

feedparser's strict parser looks each attribute up by a scan of them all: 20,000 attributes on
one `<enclosure>` (204 KiB, under an entry's size cap) took 6 s of CPU, 40,000 (419 KiB) 26 s:
over the feed's 20 s parse budget, so the feed failed whole, every pass. Now a tag keeps its
first 100 attributes; the entry is read as any other.
"""

from __future__ import annotations

import time

from newsmon.feeds import parse_feed

ATTRIBUTES = 20_000
# before: ~6 s of CPU; now ~0.05 s
CPU_SECONDS = 2.0


def test_a_tag_of_thousands_of_attributes_costs_a_bounded_cpu_time() -> None:
    crowd = " ".join(f'a{at}="v"' for at in range(ATTRIBUTES))
    data = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        "<link>https://crowd.test/</link><item><title>Crowded</title>"
        f"<link>https://crowd.test/1</link><enclosure {crowd}/>"
        "</item><item><title>Plain</title><link>https://crowd.test/2</link></item>"
        "</channel></rss>"
    ).encode()
    started = time.process_time()
    parsed = parse_feed(data, "https://crowd.test/feed.xml")
    spent = time.process_time() - started
    assert spent < CPU_SECONDS, f"{spent:.2f} s of CPU for {ATTRIBUTES} attributes"
    assert [(e.title, e.link) for e in parsed.entries] == [
        ("Crowded", "https://crowd.test/1"),
        ("Plain", "https://crowd.test/2"),
    ]
    assert parsed.warning is not None and "\n" not in parsed.warning
