"""Feed bytes feedparser can read, when strangers' bytes make it crash instead of complaining.

feedparser reports most broken feeds as `bozo` and reads them anyway, but some input makes it
raise: a character reference to a code point that cannot exist (``&#xD800;``, ``&#x110000;``),
an XML declaration whose encoding name is not text, an element its fallback parser mishandles
(a stray ``</height>`` in an ill-formed feed). One such byte must not cost the whole feed, every
pass. So `fix_references` runs on every feed (only when ``&#`` occurs); after a crash the feed
is read again as `clean_utf8`; and if that crashes too, `entry_documents` cuts it into one small
feed per entry, so a broken entry (or a broken channel header) loses only itself.

Other input makes it read less without raising: an unclosed comment or CDATA section swallows
every entry after it. `count_entries` tells how many the bytes hold, so the reader can notice
entries gone missing and read them one by one as well.

A JSON Feed is all or nothing to `json.loads`: cut short (a feed over the size cap) or broken by
one bad value, it had no entries. `salvage_json_object` keeps what comes before the damage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from newsmon.bounds import xml_text
from newsmon.charset import decode, decodes

_REFERENCE = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_REPLACEMENT = b"&#xFFFD;"
_DECLARATION = re.compile(r"\A\s*<\?xml[^>]{0,500}\?>")
_ENTRY_START = re.compile(rb"<(item|entry)[\s/>]", re.IGNORECASE)
_ENTRY_END = re.compile(rb"</(item|entry)\s*>", re.IGNORECASE)
_ROOT = re.compile(rb"<(rss|feed|rdf:RDF)(?:\s[^>]{0,4000})?>", re.IGNORECASE)
_JSON = json.JSONDecoder(strict=False)  # a control character in a string costs nothing
_JSON_SPACE = " \t\r\n"


def _is_xml_char(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def fix_references(data: bytes) -> tuple[bytes, int]:
    """`data` with every character reference to a code point XML forbids (a surrogate, NUL, a
    control character, beyond U+10FFFF) replaced by one to U+FFFD, and how many there were."""
    if b"&#" not in data:
        return data, 0
    fixed = 0

    def check(match: re.Match[bytes]) -> bytes:
        nonlocal fixed
        hexa, digits = match.group(1), match.group(1) or match.group(2)
        if len(digits) <= 8 and _is_xml_char(int(digits, 16 if hexa else 10)):
            return match.group(0)
        fixed += 1
        return _REPLACEMENT

    return _REFERENCE.sub(check, data), fixed


def clean_utf8(data: bytes, encoding: str | None) -> bytes:
    """The feed as UTF-8 without its XML declaration (the caller says UTF-8), without the
    characters XML forbids, with its character references checked."""
    text = _DECLARATION.sub("", decode(data, encoding or "utf-8"), count=1)
    return fix_references(xml_text(text).encode("utf-8"))[0]


def decodable(data: bytes, encoding: str | None) -> tuple[bytes, str | None]:
    """The bytes and codec to give feedparser. Told a codec that fails on a few of the bytes
    (a UTF-8 feed with an EUC-KR advert pasted in, a cut mid-character at the size cap), it
    read the whole feed in a codec of its own guess (every title mojibake); such bytes are
    given as clean UTF-8 instead, U+FFFD for the strays (`charset.decode`)."""
    if encoding is None or decodes(data, encoding):
        return data, encoding
    return clean_utf8(data, encoding), "utf-8"


def without_comments(data: bytes) -> bytes:
    """`data` without its comments; an unclosed one loses only its ``<!--``, so what it swallowed
    stays readable. Linear: each comment's end is looked for once, from its start."""
    if b"<!--" not in data:
        return data
    kept: list[bytes] = []
    at = 0
    while (start := data.find(b"<!--", at)) >= 0:
        kept.append(data[at:start])
        end = data.find(b"-->", start + 4)
        if end < 0:
            at = start + 4
            break
        at = end + 3
    kept.append(data[at:])
    return b"".join(kept)


def entry_spans(data: bytes) -> Iterator[tuple[int, int]]:
    """Where each ``<item>``/``<entry>`` starts and ends, in order. Linear: starts and ends are
    found once each; an entry without an end is skipped, and an entry's start inside the
    previous one's text is not another entry."""
    ends = _ENTRY_END.finditer(data)
    end: re.Match[bytes] | None = next(ends, None)
    taken = 0
    for start in _ENTRY_START.finditer(data):
        if start.start() < taken:
            continue
        while end is not None and end.start() < start.start():
            end = next(ends, None)
        if end is None:
            return
        taken = end.end()
        yield start.start(), taken


def count_entries(data: bytes) -> int:
    """How many entries `entry_documents` would cut from `data`."""
    return sum(1 for _ in entry_spans(data))


def root_start(data: bytes) -> tuple[bytes, str]:
    """The document's root start tag (its namespace declarations) and name, or a plain RSS
    one's."""
    root = _ROOT.search(data)
    opening = root.group(0) if root else b'<rss version="2.0">'
    return opening, (root.group(1) if root else b"rss").decode("ascii")


def entry_documents(data: bytes) -> Iterator[bytes]:
    """One small feed per ``<item>``/``<entry>`` of `data` (UTF-8), in the document's order,
    each under the document's own root start tag or a plain RSS one (`root_start`)."""
    opening, name = root_start(data)
    channel = name.lower() == "rss"
    head = b'<?xml version="1.0" encoding="utf-8"?>\n' + opening
    head += b"<channel>" if channel else b""
    tail = (b"</channel>" if channel else b"") + f"</{name}>".encode("ascii")
    for start, end in entry_spans(data):
        yield head + data[start:end] + tail


def _space(text: str, at: int) -> int:
    while at < len(text) and text[at] in _JSON_SPACE:
        at += 1
    return at


def salvage_json_object(text: str, max_items: int) -> tuple[dict[str, Any], bool]:
    """The members of a broken JSON object up to the first that does not decode, and whether
    the damage was inside a list member (a JSON Feed's `items`: its elements before the bad one
    are kept, `max_items` at most; reading stops there). Each value is decoded once, so this is
    linear; a value nested past the interpreter's stack raises RecursionError as `json.loads`
    does."""
    doc: dict[str, Any] = {}
    at = _space(text, 0)
    if not text.startswith("{", at):
        return doc, False
    at += 1
    while True:
        at = _space(text, at)
        try:
            key, at = _JSON.raw_decode(text, at)
        except ValueError:
            return doc, False
        at = _space(text, at)
        if not isinstance(key, str) or not text.startswith(":", at):
            return doc, False
        at = _space(text, at + 1)
        if text.startswith("[", at):
            values: list[Any] = []
            doc[key] = values
            at = _space(text, at + 1)
            while not text.startswith("]", at):
                if len(values) >= max_items:
                    return doc, False
                try:
                    value, at = _JSON.raw_decode(text, at)
                except ValueError:
                    return doc, True
                values.append(value)
                at = _space(text, at)
                if text.startswith(",", at):
                    at = _space(text, at + 1)
                elif not text.startswith("]", at):
                    return doc, True
            at += 1
        else:
            try:
                doc[key], at = _JSON.raw_decode(text, at)
            except ValueError:
                return doc, False
        at = _space(text, at)
        if not text.startswith(",", at):
            return doc, False
        at += 1


# attributes of one start tag feedparser is given, at most: its strict parser looks each one up
# by a scan of them all (quadratic: 20,000 attributes on one <enclosure> took 6 s of CPU,
# 40,000 in 419 KiB 26 s, over a feed's parse budget), and no feed element needs more than a few
_MAX_ATTRIBUTES = 100
_ATTRIBUTE = rb"""\s+[^\s<>="'/]+\s*=\s*(?:"[^"<]*"|'[^'<]*'|[^\s<>"']+)"""
_MANY_ATTRIBUTES = re.compile(
    rb"(<[A-Za-z][^\s<>/]*(?:" + _ATTRIBUTE + rb"){%d})(?:" % _MAX_ATTRIBUTES + _ATTRIBUTE + rb")+"
)


def few_attributes(data: bytes) -> tuple[bytes, int]:
    """`data` with each start tag's attributes past the first `_MAX_ATTRIBUTES` dropped, and
    how many tags had them."""
    return _MANY_ATTRIBUTES.subn(rb"\1", data)
