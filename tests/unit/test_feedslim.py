"""Entries over `MAX_ENTRY_BYTES` are cut before feedparser reads them (newsmon.feedslim): what
a story needs of them (title, link, author, date, its summary's first words) reads the same, in
any ASCII-compatible encoding and namespace; smaller entries and wide encodings are untouched.
Through a pass, within a parse budget: tests/integration/test_feed_budget_entries.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsmon.feeds import parse_feed
from newsmon.feedslim import MAX_ENTRY_BYTES, slim_entries

FIRST = "첫 문장: the first words ]]> stay."


def _rss(bloat: str, *, before: str = "", encoding: str = "utf-8") -> bytes:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title>'
        f"<item>{before}<title>한국어 제목</title><link>https://x.test/1</link>"
        "<dc:creator>김 기자</dc:creator><pubDate>Fri, 28 Feb 2025 16:45:00 GMT</pubDate>"
        f"{bloat}</item>"
        "<item><title>Two</title><link>https://x.test/2</link></item></channel></rss>"
    ).encode(encoding)


CDATA = f"<content:encoded><![CDATA[<p>{FIRST.replace(']]>', '')}{'<p>x' * 200_000}]]></content:encoded>"
XHTML = (
    '<content:encoded><div xmlns="http://www.w3.org/1999/xhtml">'
    f"<p>{FIRST.replace('>', '&gt;')}</p>{'<p>x</p>' * 100_000}</div></content:encoded>"
)


@pytest.mark.parametrize("encoding", ["utf-8", "euc-kr"])
@pytest.mark.parametrize("bloat", [CDATA, XHTML], ids=["cdata", "elements"])
def test_a_big_entry_reads_as_the_same_story(encoding: str, bloat: str) -> None:
    data = _rss(bloat, encoding=encoding)
    assert len(data) > MAX_ENTRY_BYTES
    parsed = parse_feed(data, "https://x.test/feed")
    first, second = parsed.entries
    assert (first.title, first.link, first.author) == ("한국어 제목", "https://x.test/1", "김 기자")
    assert first.published == datetime(2025, 2, 28, 16, 45, tzinfo=UTC)
    assert first.summary.startswith(FIRST.replace("]]> ", "" if bloat is CDATA else "]]> "))
    assert first.summary.count("\nx") > 1000  # the rest of it, as far as a summary goes
    assert (second.title, second.link) == ("Two", "https://x.test/2")
    assert parsed.warning == "1 entry over 512 KiB cut"


def test_known_fields_after_thousands_of_unknown_elements_are_kept() -> None:
    parsed = parse_feed(_rss("", before="<x>y</x>" * 70_000), "https://x.test/feed")
    assert parsed.warning == "1 entry over 512 KiB cut"
    assert [(e.title, e.link) for e in parsed.entries] == [
        ("한국어 제목", "https://x.test/1"),
        ("Two", "https://x.test/2"),
    ]


def test_smaller_entries_and_wide_encodings_are_left_as_they_are() -> None:
    small = _rss(f"<description>{'x ' * 100_000}</description>")
    assert slim_entries(small, "utf-8") == (small, 0)
    wide = _rss(CDATA, encoding="utf-16")
    assert slim_entries(wide, "utf-16") == (wide, 0)
    assert parse_feed(wide, "https://x.test/feed").entries[0].title == "한국어 제목"


def test_an_entry_lxml_cannot_write_back_is_left_as_it_is() -> None:
    """A reference to a surrogate (`parse_feed` replaces those first) made lxml's serializer
    raise: the entry is not cut, and nothing raises."""
    data = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>A</title>'
        '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>&#xD800;</p>'
        f"{'<p>x</p>' * 80_000}</div></content></entry></feed>"
    ).encode()
    assert slim_entries(data, "utf-8") == (data, 0)
