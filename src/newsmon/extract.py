"""Article text from page bytes: trafilatura first, then what the page embeds for scripts
(JSON-LD, a client-rendered page's app state), then the feed's summary, then the page's own
description.

Pure: bytes in, text out. The caller records `source` so the corpus says where a body came from.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import htmldate
import lxml.etree
import trafilatura

from newsmon.banners import prune_banners, prune_comment_threads, prune_signed_comments
from newsmon.bounds import clean_text
from newsmon.boxes import prune_hashtag_blocks, prune_titled_boxes
from newsmon.charset import (
    choose_encoding,
    decode,
    may_hold_mojibake,
    meta_declared,
    repair_tree_mojibake,
)
from newsmon.credits import strip_credits
from newsmon.dates import parse_date, real_date
from newsmon.embedded import (
    ARC_MARK,
    AppState,
    app_state_article,
    author_name,
    jsonld_article,
    jsonld_nodes,
)
from newsmon.feeds import html_to_text
from newsmon.feedzone import page_zone
from newsmon.language import detect_language
from newsmon.layout import (
    prune_hidden_blocks,
    prune_link_paragraphs,
    prune_related_lines,
    split_br_paragraphs,
    unwrap_layout_tables,
)
from newsmon.pagework import PageTooDeep, check_tree_work
from newsmon.teasers import prune_teaser_lists

TextSource = Literal["page", "json-ld", "app-state", "feed-summary", "page-description", "none"]
# Shorter page text is navigation or a teaser, not an article body.
MIN_BODY_CHARS = 150
# A page with more tags than this is not handed to trafilatura: its time and memory grow with
# the element count (~0.1-0.25 ms and ~1.5 KB per element), and news pages have a few thousand.
MAX_PAGE_TAGS = 100_000

logging.getLogger("trafilatura").setLevel(logging.ERROR)
logging.getLogger("htmldate").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Extracted:
    title: str | None
    text: str
    source: TextSource
    author: str | None = None
    published: datetime | None = None
    language: str | None = None
    note: str | None = None  # why a fallback was used, one line
    # A page with no article text that frames a page of its own site (Naver Blog puts each
    # post in `<iframe id="mainFrame">`): that page's URL, for the pass to read instead.
    frame: str | None = None


def page_encoding(data: bytes, http_charset: str | None = None) -> str | None:
    """The page's encoding: the HTTP header's claim, then `<meta charset>`'s, checked against
    the bytes by the decision feeds share (`charset.choose_encoding`); None: undecided."""
    return choose_encoding(data, (http_charset, meta_declared(data)))


def decode_html(data: bytes, http_charset: str | None = None) -> str:
    """The page as text: in its encoding (`page_encoding`), else as UTF-8 with replacements."""
    return decode(data, page_encoding(data, http_charset) or "utf-8")


def _looks_broken(text: str) -> bool:
    return text.count("\ufffd") > max(2, len(text) // 200)


def _parse(html: str) -> Any:
    """The page's tree by lxml's HTML parser (linear time), or None."""
    parser = lxml.etree.HTMLParser(recover=True, no_network=True, encoding="utf-8")
    try:
        return lxml.etree.fromstring(html.encode("utf-8", "replace"), parser)
    except (lxml.etree.LxmlError, ValueError):
        return None


def _date(raw: object, zone: tzinfo | None) -> datetime | None:
    """A page's date, never the Unix epoch placeholder (as a feed's: `dates.real_date`): time 0
    dated an entry the feed left undated 1970, and its new story's alert was skipped as old."""
    return real_date(parse_date(raw, zone))


def _stated_date(root: Any, zone: tzinfo | None = None) -> datetime | None:
    """The publication time the page's metadata states (Open Graph, microdata, JSON-LD):
    trafilatura's date is a day alone, midnight UTC, up to a day and more off. A time stated
    without a zone is in `zone` (the feed's), else UTC.

    Of several, a time that writes its zone (or a Unix time) wins over one that does not, and
    a time over a day alone; the first of the best. `article:published_time` won whatever it
    held: a day alone or a wall clock without a zone beat JSON-LD's full time by hours."""
    if root is None:
        return None
    stated: list[object] = [
        str(value)
        for value in root.xpath(
            "//meta[@property='article:published_time' or @name='article:published_time'"
            " or @property='og:article:published_time' or @itemprop='datePublished']/@content"
        )
    ]
    stated += [node.get("datePublished") for node in jsonld_nodes(root)]
    best: datetime | None = None
    best_rank = -1
    for raw in stated:
        published = _date(raw, zone)
        if published is None or not isinstance(raw, str):
            continue
        rank = _explicitness(raw)
        if rank > best_rank:
            best, best_rank = published, rank
        if rank == _ZONED:
            break
    return best


_DAY_ALONE = re.compile(r"\s*[0-9]{4}([-/.]?)[0-9]{1,2}\1[0-9]{1,2}\.?\s*")
_ZONED = 2  # a time that writes its zone, or a Unix time
_EAST, _WEST = timezone(timedelta(hours=5)), timezone(timedelta(hours=-5))


def _explicitness(text: str) -> int:
    """How fully a stated date says its moment: 2 a time with its zone (a Unix time), 1 a time
    without one (its zone taken from the feed), 0 a day alone (midnight)."""
    if parse_date(text, _EAST) == parse_date(text, _WEST):
        return _ZONED
    return 0 if _DAY_ALONE.fullmatch(text) else 1


def _shown_date(found: object, html: str, url: str | None, zone: tzinfo | None) -> datetime | None:
    """trafilatura's date (`found`) for a page that states none. When its markup shows none
    either, htmldate guesses from the text: a month or year it names, or the year of its
    copyright line, each as the 1st of the month. An entry its feed left undated took that:
    the new story was months old to `alerts.max_age_hours`, its alert skipped. A 1st is kept
    only when htmldate finds it without those guesses (`extensive_search`) too."""
    value = _date(found, zone)
    if value is None or value.day != 1:
        return value
    try:
        marked = htmldate.find_date(html, url=url, extensive_search=False, original_date=True)
    except SystemError:  # memory refused under the worker's cap: reported as in `_trafilatura`
        raise
    except Exception:  # as trafilatura may raise on a malformed tree: no date, not no article
        return None
    return _date(marked, zone)


def _from_app_state(
    state: AppState,
    meta: dict[str, Any],
    feed_title: str,
    hint: str | None,
    note: str,
    zone: tzinfo | None,
) -> Extracted:
    return Extracted(
        title=state.headline or meta.get("title") or feed_title or None,
        text=strip_credits(state.text),
        source="app-state",
        author=state.author,
        published=_date(state.published, zone),
        language=detect_language(state.text, hint),
        note=note,
    )


def _main_frame(root: Any, url: str | None) -> str | None:
    """The first frame of `root` whose page is on the page's own host (a blog's post frame;
    an advert's or a video's frame is on another host), as an absolute http(s) URL."""
    if root is None or not url:
        return None
    host = urlsplit(url).hostname
    for frame in root.iter("iframe", "frame"):
        src = str(frame.get("src") or "").strip()
        if not src or len(src) > 2000:
            continue
        target = urljoin(url, src)
        parts = urlsplit(target)
        if parts.scheme in ("http", "https") and parts.hostname == host and target != url:
            return target
    return None


def _meta_description(root: Any) -> str:
    """The page's own summary (``og:description``, ``description``, ``twitter:description``):
    the last resort for an entry whose feed has no summary."""
    if root is None:
        return ""
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        content = meta.get("content")
        if key in ("og:description", "description", "twitter:description") and content:
            found.setdefault(key, content)
    for key in ("og:description", "description", "twitter:description"):
        text = html_to_text(found.get(key, ""))
        if text:
            return text
    return ""


def compose_text(root: Any) -> int:
    """Compose (NFC) the text of the tree `root` (lxml), in place; the number of pieces changed.
    A CMS that stores text decomposed ("Leia tambe\u0301m", Hangul as jamo) wrote box titles,
    "related" markers and banner wording that the steps below, which read composed words, did
    not know: the box stayed in the body."""
    changed = 0
    for element in root.iter():
        for attr in ("text", "tail"):
            piece = getattr(element, attr)
            if piece and not unicodedata.is_normalized("NFC", piece):
                setattr(element, attr, unicodedata.normalize("NFC", piece))
                changed += 1
    return changed


def _laid_out(data: bytes | str, url: str | None) -> Any:
    """The page's tree as trafilatura parses it, its text encoded twice repaired (`charset`)
    and composed, its hidden blocks, consent and paywall banners and comment threads removed
    (`newsmon.banners`), its layout tables made blocks, its boxes of chrome known by their
    title removed, its ``<br>`` runs paragraph breaks, its lines of hashtags removed
    (`newsmon.boxes`), and its lines and paragraphs of links to other stories removed
    (`newsmon.layout`), and teasers of other posts (`newsmon.teasers`); the page itself when
    it does not parse."""
    tree = trafilatura.load_html(data)
    if tree is None:
        return data
    check_tree_work(tree)  # before any step reads it whole
    if may_hold_mojibake(data):  # text its publisher encoded twice, repaired before it is read
        repair_tree_mojibake(tree)
    compose_text(tree)
    prune_hidden_blocks(tree)
    prune_banners(tree)
    prune_comment_threads(tree)
    prune_signed_comments(tree)
    unwrap_layout_tables(tree)
    prune_titled_boxes(tree)
    split_br_paragraphs(tree)
    prune_hashtag_blocks(tree)  # after: a hashtag line of a `<br>` body is a paragraph now
    prune_related_lines(tree, url)
    prune_link_paragraphs(tree)
    prune_teaser_lists(tree, url)
    return tree


def _trafilatura(data: bytes | str, url: str | None) -> tuple[str | None, dict[str, Any]]:
    try:
        doc = trafilatura.bare_extraction(
            _laid_out(data, url),
            url=url,
            favor_precision=True,
            include_comments=False,
            include_tables=True,
            with_metadata=True,
        )
    except SystemError:  # the interpreter's, not the page's: C code refused memory under the
        raise  # worker's cap says so (newsmon.workers reports it as the memory budget)
    except PageTooDeep as exc:
        return None, {"refused": str(exc)}
    except Exception as exc:  # trafilatura raises on some malformed trees; treat as no text
        return None, {"error": f"{type(exc).__name__}: {exc}"}
    if doc is None:
        return None, {}
    meta = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    # Hangul typed on a Mac or emitted by some CMSs comes decomposed (ᄋ+ᅩ for 오): composed as
    # feed text is (`feeds.readable`), so titles are found by Slack search and read as Korean.
    for key in ("text", "title", "author"):
        if isinstance(meta.get(key), str):
            meta[key] = unicodedata.normalize("NFC", meta[key])
    if isinstance(meta.get("text"), str):  # captions, datelines, bylines, copyright notices
        meta["text"] = strip_credits(meta["text"])
    return (meta.get("text") or None), meta


def extract_article(
    data: bytes | None,
    *,
    url: str | None = None,
    http_charset: str | None = None,
    feed_title: str = "",
    feed_summary: str = "",
    language_hint: str | None = None,
    reason: str | None = None,
    zone: str | None = None,
    guess_zone: bool = False,
) -> Extracted:
    """Best available text for an entry; `reason` says why there are no page bytes, if so.
    `zone` (an IANA name, the feed's `timezone`) is the zone of dates the page states without
    one, as it is for the feed's own dates; without one, `guess_zone` (no feed speaks for the
    page) reads them in the zone the page itself tells (`page_zone`), else UTC."""
    if zone is None and guess_zone:
        zone = page_zone(data, url, feed_title)
    local = ZoneInfo(zone) if zone else None
    notes: list[str] = [reason] if reason else []
    meta: dict[str, Any] = {}
    html: str | None = None
    if data:
        # trafilatura guesses encodings and reads neither the HTTP header nor <meta charset>:
        # decode the page when its encoding is settled, else let it guess from the raw bytes.
        codec = page_encoding(data, http_charset)
        html = None if codec is None else clean_text(decode(data, codec))
        if html is None and b"\x00" in data:  # NUL stops lxml's parser: read as text instead
            html = clean_text(decode_html(data, http_charset))
        source: bytes | str = data if html is None else html
        text: str | None = None
        if data.count(b"<") > MAX_PAGE_TAGS:
            notes.append(f"page has over {MAX_PAGE_TAGS} tags")
        else:
            text, meta = _trafilatura(source, url)
            if text and _looks_broken(text) and isinstance(source, bytes):
                html = decode_html(data, http_charset)
                text, meta = _trafilatura(html, url)
            if text and len(text.strip()) >= MIN_BODY_CHARS:
                # an app shell's chrome can pass for an article while the story itself is
                # in the app state: the state wins when it holds much more text
                html = html or decode_html(data, http_charset)
                root = _parse(html)
                state = app_state_article(root) if ARC_MARK in data else None
                if state is not None and len(state.text) > 2 * len(text.strip()):
                    note = "app state holds more text than the page shows"
                    return _from_app_state(state, meta, feed_title, language_hint, note, local)
                return Extracted(
                    title=meta.get("title") or feed_title or None,
                    text=text.strip(),
                    source="page",
                    author=meta.get("author") or None,
                    published=_stated_date(root, local)
                    or _shown_date(meta.get("date"), html, url, local),
                    language=detect_language(text, language_hint),
                )
            why = "page had no article text" if not text else "page text too short"
            why = str(meta.get("refused") or why)
            if meta.get("error"):  # trafilatura raised: MemoryError under the worker's cap, ...
                why += f" ({str(meta['error'])[:200]})"
            notes.append(why)
        if html is None:
            html = decode_html(data, http_charset)
        root = _parse(html)
        article = jsonld_article(root)
        if article:
            body = strip_credits(html_to_text(article["articleBody"]))
            if len(body) >= MIN_BODY_CHARS or len(body) > len(feed_summary):
                return Extracted(
                    title=html_to_text(str(article.get("headline") or ""))
                    or meta.get("title")
                    or feed_title
                    or None,
                    text=body,
                    source="json-ld",
                    author=author_name(article.get("author")),
                    published=_date(article.get("datePublished"), local),
                    language=detect_language(body, language_hint),
                    note="; ".join(notes),
                )
        state = app_state_article(root)
        if state is not None and (
            len(state.text) >= MIN_BODY_CHARS or len(state.text) > len(feed_summary)
        ):
            return _from_app_state(state, meta, feed_title, language_hint, "; ".join(notes), local)
        frame = _main_frame(root, url)
        if frame:
            notes.append(f"page frames {frame[:200]}")
        description = "" if feed_summary.strip() else _meta_description(root)
        if description:
            return Extracted(
                title=feed_title or meta.get("title") or None,
                text=description,
                source="page-description",
                language=detect_language(description, language_hint),
                note="; ".join(notes) or None,
                frame=frame,
            )
    else:
        frame = None
    if feed_summary.strip():
        return Extracted(
            title=feed_title or meta.get("title") or None,
            text=feed_summary.strip(),
            source="feed-summary",
            language=detect_language(feed_summary, language_hint),
            note="; ".join(notes) or None,
            frame=frame,
        )
    return Extracted(
        title=feed_title or meta.get("title") or None,
        text="",
        source="none",
        language=language_hint,
        note="; ".join(notes) or "no text found",
        frame=frame,
    )
