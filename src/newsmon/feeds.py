"""Feed bytes to clean entries: feedparser on the raw bytes, then the repairs real feeds need.

Feeds are written by strangers: DTD entity declarations are removed before feedparser sees
the bytes (its fallback parser would expand them), JSON Feeds are read without trusting their
shapes or depth, and at most `max_entries` entries are turned into `FeedEntry`s. Their text is
made readable (`readable`): what the publisher escaped twice is rendered again, invisible
format characters go; entry keys still come from the text as first rendered (`FeedEntry.as_read`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from newsmon.aggregated import Origin, origin_of, says_nothing_more, without_name
from newsmon.charset import (
    MAX_REPAIR_CHARS,
    RepairBudget,
    choose_encoding,
    may_hold_mojibake,
    xml_declared,
    xml_wide,
)
from newsmon.credits import strip_credits
from newsmon.dates import entry_date, parse_date, real_date
from newsmon.feed_markup import html_to_text as html_to_text
from newsmon.feed_markup import readable as readable
from newsmon.feed_markup import rendered as _rendered
from newsmon.feeddtd import neutralise_entities
from newsmon.feedlinks import (
    absolute_link,
    entry_link,
    long_links_line,
    on_host_of,
    original_link,
    site_elsewhere,
    within_bounds,
)
from newsmon.feedorder import newest_entries
from newsmon.feedread import SALVAGE_TRIES, FeedReadError, complaint, read_feed
from newsmon.feedrepair import decodable, few_attributes, fix_references, salvage_json_object
from newsmon.feedslim import MAX_ENTRY_BYTES, slim_entries, thin_entries
from newsmon.feedzone import feed_zone

MAX_SUMMARY_CHARS = 20_000
MAX_TITLE_CHARS = 500


class FeedParseError(Exception):
    """The bytes are not a feed; the message is one readable line."""


@dataclass(frozen=True)
class FeedEntry:
    guid: str | None
    link: str | None  # None: the entry carries its text but points nowhere (RSS allows it)
    title: str
    summary: str
    published: datetime | None
    author: str | None
    # The title and summary as rendered before `_entry` repaired them (double encoding) and made
    # them `readable` (None: neither changed them).
    # Entry keys and fingerprints are stored; computed from these, as they always were, a
    # stored entry neither looks new (a repeated alert) nor edited.
    as_read: tuple[str, str] | None = None
    # The link as newsmon read it until 2026-12, when that was another (a feedproxy link, a
    # relative link resolved against the feed's host): rows stored then are keyed by it.
    former_link: str | None = None
    # Its date was the feed's rendering time, on the feed's first read (`newsmon.stamps`): the
    # story may be any age, so it is held back unless its page dates it.
    age_unknown: bool = False
    # An aggregator's item (`aggregated`): the publisher its `<source>` names, and whether its
    # link is the aggregator's wrapper page (never requested: its text is no article).
    publisher: str | None = None
    wrapped: bool = False
    publisher_site: str | None = None  # its `<source url>`'s site: whose story it is
    # The key text the release deployed on 2026-12-01 (a5335bd) gave the entry, when another:
    # it repaired double encoding before taking it, so a link-less entry it stored is under
    # the identity of this text, and any entry it stored has its fingerprint (`entry_keys`).
    # None: the same as `key_text()`.
    repaired_key_text: tuple[str, str] | None = None

    def key_text(self) -> tuple[str, str]:
        """The title and summary entry keys and fingerprints are computed from."""
        return self.as_read or (self.title, self.summary)


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    entries: list[FeedEntry]
    warning: str | None  # feedparser's complaint about a feed it could still read
    skipped: int  # entries with neither a link nor any text
    ttl_minutes: int | None = None  # RSS <ttl>: how long the publisher says to wait
    site_link: str | None = None  # the feed's home page, for entries without a link of their own
    unreadable: int = 0  # entries in the bytes that no reading could parse: stories lost
    # The zone the feed's bare dates were read in by what it declares or carries (`feed_zone`),
    # when the configuration named none: its pages' are read so too. None: UTC, or configured.
    date_zone: str | None = None
    # entries whose text was kept as written, double encoding and all: past the feed's
    # characters of repair (`RepairBudget`)
    unrepaired: int = 0


def feed_encoding(data: bytes, http_charset: str | None) -> str | None:
    """The feed's encoding: its XML prolog's claim, then the HTTP header's (`choose_encoding`);
    UTF-16 without a byte order mark is known by its first characters (`xml_wide`)."""
    return xml_wide(data) or choose_encoding(data, (xml_declared(data), http_charset))


# Markup of a field rendered again with repair first (`_repaired_key_text`), at most: ftfy
# takes ~4 µs a character of crafted mojibake, so 40,000 is ~0.2 s; a longer field's text as
# read is repaired instead (the same key for text without markup).
MAX_REKEY_MARKUP = 2 * MAX_SUMMARY_CHARS


def _repaired_key_text(
    as_read: tuple[str, str],
    title: str,
    summary: str,
    budget: RepairBudget,
    fallback: str = "",
    as_json: bool = False,
) -> tuple[str, str] | None:
    """The key text (`FeedEntry.repaired_key_text`) of an entry whose `title` and `summary`
    (markup) render as `as_read`: rendered as that release did, repair first (a JSON Feed's
    title as rendered, its summary `fallback` when empty). Only when the text as read may hold
    mojibake (one regex scan), so clean feeds cost nothing; None too when the feed's `budget`
    ran out (the key is then its own)."""
    if not any(may_hold_mojibake(text) for text in as_read if not text.isascii()):
        return None
    refused = budget.refused

    def again(markup: str, read: str) -> str:
        if len(markup) <= MAX_REKEY_MARKUP:
            return _rendered(markup, budget.repair)
        return budget.repair(read)

    head = again(title, as_read[0])[:MAX_TITLE_CHARS]
    then = (head if as_json else re.sub(r"\s+", " ", head).strip(), again(summary, as_read[1]))
    then = (then[0], (then[1] or fallback)[:MAX_SUMMARY_CHARS])
    return None if then == as_read or budget.refused > refused else then


def _entry(
    guid: str | None,
    link: str | None,
    title: str,
    summary: str,
    published: datetime | None,
    author: str | None,
    former_link: str | None = None,
    origin: tuple[Origin, str] | None = None,
    repaired: tuple[str, str] | None = None,
    budget: RepairBudget | None = None,
) -> FeedEntry:
    """An entry whose title and summary (rendered once) are repaired if encoded twice
    (`repair_mojibake`) and made `readable`, the summary
    without Korean credits (`strip_credits`, as a page's body: a teaser stored as the body then
    reads as its page's opening, and an alert's snippet opens on the story); as rendered, they
    are kept for its keys when that changed them. An aggregator's item (`origin`: its
    `<source>` and the feed's URL) is its publisher's headline (`aggregated`). The repairs
    spend the feed's `budget`."""
    repair = (budget or RepairBudget()).repair
    headline = " ".join(readable(repair(title), repair).split())[:MAX_TITLE_CHARS]
    text = strip_credits(readable(repair(summary), repair))[:MAX_SUMMARY_CHARS]
    publisher, wrapped, site = None, False, None
    if origin is not None:
        source, feed_url = origin
        publisher, wrapped, site = source.name, source.wraps(link, feed_url), source.site
        own = source.unwrapped(link) if wrapped and link else None
        if own:  # the publisher's page; a row stored under the wrapper is still this entry's
            link, wrapped, former_link = own, False, former_link or link
        headline = without_name(headline, source.name)
        text = "" if says_nothing_more(text, headline, source.name) else text
    as_read = None if (headline, text) == (title, summary) else (title, summary)
    return FeedEntry(
        guid,
        link,
        headline,
        text,
        published,
        author,
        as_read,
        former_link,
        publisher=publisher,
        wrapped=wrapped,
        publisher_site=site,
        repaired_key_text=repaired,
    )


def _text(value: Any) -> str:
    """A JSON value that should be text: strings and numbers as text, anything else empty."""
    return str(value) if isinstance(value, str | int | float) and value is not True else ""


def _json_feed(
    data: bytes,
    url: str,
    max_entries: int | None = None,
    zone: str | None = None,
    guess: bool = False,
) -> ParsedFeed | None:
    """JSON Feed (jsonfeed.org), which feedparser does not read; None if it is not one."""
    head = data[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"{"):
        return None
    # JSON Feed is UTF-8: a bad byte costs one character, a control character in a string
    # nothing, and a document cut short or broken keeps what comes before the damage
    text = data.decode("utf-8-sig", errors="replace")
    broken, items_lost = None, False
    try:
        try:
            doc = json.loads(text, strict=False)
        except json.JSONDecodeError as exc:
            doc, items_lost = salvage_json_object(text, max_entries or SALVAGE_TRIES)
            broken = f"JSON broken at character {exc.pos} ({exc.msg})"
    except RecursionError:  # nesting deeper than the interpreter's stack: no feed does that
        raise FeedParseError("not a feed: JSON nested too deeply") from None
    if not isinstance(doc, dict) or "jsonfeed.org" not in _text(doc.get("version")):
        return None
    entries: list[FeedEntry] = []
    skipped = 0
    budget, unrepaired, too_long = RepairBudget(), 0, 0
    items = doc.get("items")
    if not isinstance(items, list):
        items = []
    titles = (i.get("title") for i in items if isinstance(i, dict))
    guessed = feed_zone(doc.get("language"), titles, url) if guess and not zone else None
    zone_read = ZoneInfo(named) if (named := zone or guessed) else None
    chosen, order = newest_entries(items, max_entries, lambda i: _json_date(i, zone_read))
    home = absolute_link(url, _text(doc.get("home_page_url")))
    # relative urls are the home page's when it is another address of the feed's site, as an
    # RSS channel's <link> (`_rebased`); the link as read before is kept for stored rows
    site = home if site_elsewhere(url, home) else None
    for item in chosen:
        if not isinstance(item, dict):
            skipped += 1
            continue
        before = budget.refused
        href = _text(item.get("url")) or _text(item.get("external_url"))
        as_read = absolute_link(url, href)
        link = (absolute_link(site, href) if site else None) or as_read
        if within_bounds(link) != link or within_bounds(as_read) != as_read:
            as_read, link, too_long = within_bounds(as_read), within_bounds(link), too_long + 1
        former = as_read if as_read and link != as_read else None
        body = _text(item.get("content_html")) or _text(item.get("summary"))
        text = _rendered(body, repair=None) or _text(item.get("content_text"))
        title = _rendered(_text(item.get("title")), repair=None)
        then = _repaired_key_text(
            (title[:MAX_TITLE_CHARS], text[:MAX_SUMMARY_CHARS]),
            _text(item.get("title")),
            body,
            budget,
            _text(item.get("content_text")),
            as_json=True,
        )
        if not link and not (title or text):
            skipped += 1
            continue
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        authors = authors if isinstance(authors, list) else []
        author = next(
            (_text(a.get("name")) for a in authors if isinstance(a, dict) and _text(a.get("name"))),
            None,
        )
        entries.append(
            _entry(
                _text(item.get("id"))[:1000] or None,
                link,
                title[:MAX_TITLE_CHARS],
                text[:MAX_SUMMARY_CHARS],
                _json_date(item, zone_read),
                author,
                former,
                repaired=then,
                budget=budget,
            )
        )
        unrepaired += budget.refused > before
    if broken and items_lost:
        kept = f"{len(items)} item{'' if len(items) == 1 else 's'}"
        broken += f": {kept} before it read, the rest lost"
    notes = [broken, order, _unrepaired(unrepaired), long_links_line(too_long)]
    notes.append(None if entries else "the feed has no entries")
    warning = "; ".join(filter(None, notes))
    return ParsedFeed(
        html_to_text(_text(doc.get("title"))) or None,
        entries,
        warning or None,
        skipped,
        None,
        home,
        # entries after the damage are stories lost (how many is unknown: at least one)
        unreadable=1 if items_lost else 0,
        date_zone=guessed,
        unrepaired=unrepaired,
    )


def _json_date(item: Any, zone: tzinfo | None) -> datetime | None:
    """A JSON Feed item's date: `date_published`, else `date_modified`."""
    if not isinstance(item, dict):
        return None
    published = real_date(parse_date(_text(item.get("date_published")), zone))
    return published or real_date(parse_date(_text(item.get("date_modified")), zone))


def parse_feed(
    data: bytes,
    url: str,
    http_charset: str | None = None,
    content_type: str | None = None,
    *,
    max_entries: int | None = None,
    zone: str | None = None,
    guess_zone: bool = True,
) -> ParsedFeed:
    """Parse feed bytes; raise FeedParseError when nothing feed-like is there. Only the first
    `max_entries` entries are read into `FeedEntry`s (all when None). `zone` (an IANA name, the
    feed's `timezone`) is the zone of dates the feed writes without one; when None, the feed's
    declared language or content tells it if `guess_zone` (`feed_zone`), else it is UTC."""
    as_json = _json_feed(data, url, max_entries, zone, guess_zone)
    if as_json is not None:
        return as_json
    try:
        data, neutralised = neutralise_entities(data)
    except ValueError as refused:
        raise FeedParseError(f"not a feed: {refused}") from None
    data, references = fix_references(data)
    data, crowded = few_attributes(data)
    media = (content_type or "").split(";")[0].strip().lower() or "application/xml"
    data, encoding = decodable(data, feed_encoding(data, http_charset))
    data, listed = thin_entries(data, encoding, max_entries)  # 40,000 entries: 20 s of parsing
    data, slimmed = slim_entries(data, encoding)
    try:
        parsed, raw_entries, repaired, unreadable, salvaged = read_feed(
            data, url, media, encoding, max_entries
        )
    except FeedReadError as exc:
        raise FeedParseError(str(exc)) from None
    version = parsed.get("version") or ""
    if not raw_entries and not version:
        reason = parsed.get("bozo_exception")
        detail = f": {str(reason).splitlines()[0][:160]}" if reason else ""
        raise FeedParseError(f"not a feed{detail}")
    ill_formed = complaint(parsed) if parsed.get("bozo") and not repaired else None
    titles = (raw.get("title") for raw in raw_entries)
    guessed = (
        feed_zone(parsed.feed.get("language"), titles, url) if guess_zone and not zone else None
    )
    local = ZoneInfo(named) if (named := zone or guessed) else None
    entries: list[FeedEntry] = []
    skipped = 0
    chosen, order = newest_entries(
        raw_entries, max_entries, lambda raw: entry_date(raw, local), listed or salvaged or None
    )
    site = parsed.feed.get("link")
    site_link = absolute_link(url, site) if site and re.match(r"^(https?://|/)", site) else None
    rebased = _rebased(data, url, site_link, raw_entries, (media, encoding, max_entries))
    position = {id(raw): at for at, raw in enumerate(raw_entries)}  # rebased is in file order
    budget, unrepaired, too_long, by_proxy = RepairBudget(), 0, 0, 0
    for raw in chosen:
        kept = budget.refused
        at = position[id(raw)]
        guid = raw.get("id") or None
        as_read = entry_link(raw, url)
        original = original_link(raw, url)
        link = original or (
            entry_link(rebased[at], site_link) if rebased and site_link else as_read
        )
        if within_bounds(link) != link or within_bounds(as_read) != as_read:
            as_read, link = within_bounds(as_read), within_bounds(link)
            if link is None and original is not None and as_read is not None:
                link, by_proxy = as_read, by_proxy + 1  # the proxy's link leads to the page
            else:
                too_long += 1
        former = as_read if as_read and link != as_read else None
        if link is None and not (raw.get("title") or raw.get("summary")):
            skipped += 1
            continue
        summary_html = raw.get("summary") or ""
        contents = raw.get("content") or []
        if contents and len(contents[0].get("value", "")) > len(summary_html):
            summary_html = contents[0]["value"]
        title = _rendered(raw.get("title") or "", repair=None)[:MAX_TITLE_CHARS]
        title = re.sub(r"\s+", " ", title).strip()
        summary = _rendered(summary_html, repair=None)[:MAX_SUMMARY_CHARS]
        then = _repaired_key_text((title, summary), raw.get("title") or "", summary_html, budget)
        entries.append(
            _entry(
                str(guid)[:1000] if guid else None,
                link,
                title,
                summary,
                entry_date(raw, local),
                raw.get("author") or None,
                former,
                _origin(raw, url),
                then,
                budget,
            )
        )
        unrepaired += budget.refused > kept
    notes = [
        repaired or ill_formed,
        neutralised,
        order,
        f"{slimmed} entr{'y' if slimmed == 1 else 'ies'} over {MAX_ENTRY_BYTES >> 10} KiB cut"
        if slimmed
        else None,
        f"{references} character references to no character replaced" if references else None,
        f"{skipped} empty entr{'y' if skipped == 1 else 'ies'} skipped" if skipped else None,
        _unrepaired(unrepaired),
        long_links_line(too_long, by_proxy),
        f"{crowded} tag(s) over 100 attributes cut to their first 100" if crowded else None,
        "the feed has no entries" if not raw_entries else None,
    ]
    warning = "; ".join(note for note in notes if note) or None
    feed_title = html_to_text(parsed.feed.get("title") or "") or None
    ttl = str(parsed.feed.get("ttl") or "").strip()  # "²".isdigit(), but int("²") raises
    return ParsedFeed(
        feed_title,
        entries,
        warning,
        skipped,
        _ttl_minutes(ttl),
        site_link,
        unreadable,
        guessed,
        unrepaired,
    )


def _unrepaired(count: int) -> str | None:
    """The note on entries whose text was kept as written (`RepairBudget`)."""
    if not count:
        return None
    kept = f"{count} entr{'y' if count == 1 else 'ies'}"
    return f"{kept} kept as written: past the feed's {MAX_REPAIR_CHARS:,} characters of repair"


def _origin(raw: Any, url: str) -> tuple[Origin, str] | None:
    found = origin_of(raw, url)
    return None if found is None else (found, url)


def _rebased(
    data: bytes,
    url: str,
    site: str | None,
    raw: list[Any],
    how: tuple[str, str | None, int | None],
) -> list[Any] | None:
    """The entries read again against the channel's `<link>` when the feed is served from
    another host of its site (`feeds.example.com` for `www.example.com`) and links there:
    relative item links are the site's pages (the feed host's are 404s). An `xml:base`, when
    written, is the base feedparser already used. None when there is nothing to read again."""
    if b"xml:base" in data or not site_elsewhere(url, site) or site is None:
        return None
    if not any(on_host_of(entry_link(r, url), url) for r in raw):
        return None
    try:  # read as before (the same entries, in the same places), links against the site
        again = read_feed(data, site, *how).entries
    except FeedReadError:
        return None
    return again if len(again) == len(raw) else None


def _ttl_minutes(text: str) -> int | None:
    """RSS <ttl> in ASCII digits (at most 12), clamped to a year: the schedule caps it at
    hours anyway, and a bigger number would overflow a timedelta."""
    if not re.fullmatch(r"[0-9]{1,12}", text):
        return None
    return min(int(text), 366 * 24 * 60)
