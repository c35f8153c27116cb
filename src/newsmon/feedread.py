"""feedparser on a feed's bytes, and the ways its entries are read when feedparser fails them.

feedparser crashes on some input instead of reporting it (`_PARSER_CRASHES`), and an unclosed
comment or CDATA section swallows every entry after it without a word. Each costs entries, not
the feed: they are read again as clean UTF-8, then one by one (newsmon.feedrepair).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import feedparser

from newsmon.dates import entry_date
from newsmon.feedrepair import clean_utf8, count_entries, entry_documents, without_comments

# Entries (or JSON Feed items) read one by one at most when the caller sets no limit: a broken
# feed costs no more than this many tries.
SALVAGE_TRIES = 1000

# What feedparser raises, instead of reporting `bozo`, on input it mishandles.
_PARSER_CRASHES = (ValueError, TypeError, LookupError, AttributeError, RecursionError)


class FeedReadError(Exception):
    """No reading found an entry in bytes feedparser crashed on; the message is one line."""


class Reading(NamedTuple):
    """feedparser's result and the entries read, in the document's order."""

    parsed: Any
    entries: list[Any]
    note: str | None  # how the feed had to be read, when not as a whole
    unreadable: int  # entries no reading could parse
    listed: int = 0  # entries the document lists when `entries` are its first and last only


def feedparser_read(data: bytes, url: str, content_type: str) -> Any:
    """feedparser without its HTML sanitizer and relative-link resolver in entries' markup:
    each cost seconds a MB of tags, and neither is needed. Markup here is only ever rendered
    to text (`_rendered`: scripts and styles dropped, nothing shown as HTML), and links inside
    it are not used; the entry's own link is still resolved against the feed."""
    headers = {"content-location": url, "content-type": content_type}
    return feedparser.parse(
        data, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )


def read_feed(
    data: bytes, url: str, media: str, encoding: str | None, max_entries: int | None
) -> Reading:
    """feedparser's result and its entries, and a note when the feed had to be read another
    way because the parser crashed (see newsmon.feedrepair): again as clean UTF-8, then entry
    by entry (the channel's own fields are then unknown); or because it lost entries. One
    line, never a traceback."""
    try:
        parsed = feedparser_read(data, url, f"{media}; charset={encoding}" if encoding else media)
        return _find_lost(parsed, data, encoding, url, max_entries, None)
    except _PARSER_CRASHES as crash:
        failed = f"the feed parser failed ({type(crash).__name__}: {str(crash)[:80]})"
    clean = clean_utf8(data, encoding)
    try:
        parsed = feedparser_read(clean, url, f"{media}; charset=utf-8")
        again = f"{failed}; read again without what XML forbids"
        return _find_lost(parsed, clean, "utf-8", url, max_entries, again)
    except _PARSER_CRASHES:
        pass
    entries, unreadable, listed = _one_by_one(without_comments(clean), url, max_entries)
    if not entries:
        raise FeedReadError(f"not a feed: {failed}, and no entry could be read on its own")
    lost = f", {unreadable} unreadable" if unreadable else ""
    nothing = feedparser.FeedParserDict(feed=feedparser.FeedParserDict())
    note = f"{failed}; entries read one by one{lost}"
    return Reading(nothing, entries, note, unreadable, listed)


def _find_lost(
    parsed: Any,
    data: bytes,
    encoding: str | None,
    url: str,
    max_entries: int | None,
    note: str | None,
) -> Reading:
    """The entries of an ill-formed feed, read one by one when the parser read fewer than the
    bytes hold: an unclosed comment or CDATA section swallows every entry after it without a
    crash. A well-formed feed is taken as read; the channel's fields stay the parser's."""
    read = len(parsed.entries)
    if not parsed.get("bozo"):
        return Reading(parsed, parsed.entries, note, 0)
    whole = without_comments(data)
    held = count_entries(whole)
    limit = max_entries or SALVAGE_TRIES
    if read >= held:
        return Reading(parsed, parsed.entries, note, 0)
    entries, unreadable, listed = _one_by_one(clean_utf8(whole, encoding), url, max_entries)
    if len(entries) <= min(read, limit):
        return Reading(parsed, parsed.entries, note, 0)
    lost = f", {unreadable} unreadable" if unreadable else ""
    how = f"entries read one by one (the parser read {read} of {held}){lost}"
    return Reading(parsed, entries, f"{note or complaint(parsed)}; {how}", unreadable, listed)


def _one_by_one(clean: bytes, url: str, max_entries: int | None) -> tuple[list[Any], int, int]:
    """Entries of `clean` (UTF-8) each read as a feed of its own, how many could not be, and
    how many the document lists when its last entries are read too (else 0).

    As many tries as entries wanted from its start: a feed of broken entries costs no more
    than that. A document listing more has as many tried from its end too, kept when its
    last entry is the newer (it lists oldest first): `newest_entries` then reads those, as
    it does a well-formed feed's."""
    documents = list(entry_documents(clean))
    limit = max_entries or SALVAGE_TRIES
    head, lost = _each(documents[:limit], url)
    if len(documents) <= limit:
        return head, lost, 0
    tail, tail_lost = _each(documents[max(limit, len(documents) - limit) :], url)
    first, last = (_when(head[0]), _when(tail[-1])) if head and tail else (None, None)
    if first is None or last is None or last <= first:
        return head, lost, 0
    return head + tail, lost + tail_lost, len(documents)


def _each(documents: list[bytes], url: str) -> tuple[list[Any], int]:
    """Each document's entry, and how many documents could not be read."""
    entries: list[Any] = []
    unreadable = 0
    for document in documents:
        try:
            entries += feedparser_read(document, url, "application/xml; charset=utf-8").entries[:1]
        except _PARSER_CRASHES:
            unreadable += 1
    return entries, unreadable


def _when(raw: Any) -> datetime | None:
    """An entry's date, only to tell which end of a document is the newer: the feed's zone
    (`timezone`) shifts dates without one by hours at most, as it does both ends."""
    return entry_date(raw, None)


def complaint(parsed: Any) -> str:
    """What feedparser found wrong with a feed it read, in one line."""
    exc = parsed.get("bozo_exception")
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}" if exc else "ill-formed feed"
