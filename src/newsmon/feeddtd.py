"""Entity declarations out of a feed's DTD before any parser sees it (defusedxml's stance).

An internal DTD subset can declare entities that expand to megabytes each (the "billion
laughs"); feedparser's fallback parser copies such declarations and expands them. No real
feed needs its own entities, so the internal subset of a DOCTYPE that declares any is
removed (the references left behind are read as unknown entities, i.e. as text). Bytes in an
encoding that is not ASCII-compatible (UTF-16/32) are refused when they declare entities,
since they cannot be edited safely here. The scan is linear in the size of the feed.
"""

from __future__ import annotations

import re

_MARK = b"<!ENTITY"
_WIDE_MARKS = tuple(
    "<!ENTITY".encode(codec) for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)
_DOCTYPE = re.compile(rb"<!DOCTYPE\b")
_ELEMENT = re.compile(rb"<[A-Za-z_:]")
_SUBSET_TOKEN = re.compile(rb"[\"'\[\]>]|<!--")
_CLOSE = re.compile(rb"\s*>")


def neutralise_entities(data: bytes) -> tuple[bytes, bool]:
    """`data` without entity declarations, and whether any were removed; ValueError (one
    line) when they cannot be removed safely."""
    if _MARK not in data:
        if any(mark in data for mark in _WIDE_MARKS):
            raise ValueError("the feed declares DTD entities in a wide encoding (refused)")
        return data, False
    doctype = _DOCTYPE.search(data)
    root = _ELEMENT.search(data)
    if doctype is None or (root is not None and root.start() < doctype.start()):
        raise ValueError("entity declarations outside a DOCTYPE (refused)")
    opened, closed = _internal_subset(data, doctype.end())
    if opened is None:
        raise ValueError("entity declarations outside a DOCTYPE (refused)")
    cleaned = data[:opened] + b">" + data[closed:]
    if _MARK in cleaned[: (_ELEMENT.search(cleaned) or _end(cleaned)).start()]:
        raise ValueError("entity declarations outside a DOCTYPE (refused)")
    return cleaned, True


def _end(data: bytes) -> re.Match[bytes]:
    match = re.search(rb"\Z", data)
    assert match is not None
    return match


def _internal_subset(data: bytes, pos: int) -> tuple[int | None, int]:
    """Where the DOCTYPE's internal subset opens (its "[") and where the DOCTYPE ends (just
    after its ">"); (None, end) when it has no subset."""
    opened: int | None = None
    while True:
        token = _SUBSET_TOKEN.search(data, pos)
        if token is None:
            raise ValueError("unterminated DOCTYPE (refused)")
        text = token.group()
        if text in (b'"', b"'"):
            close = data.find(text, token.end())
            if close < 0:
                raise ValueError("unterminated DOCTYPE (refused)")
            pos = close + 1
        elif text == b"<!--":
            close = data.find(b"-->", token.end())
            if close < 0:
                raise ValueError("unterminated comment in the DOCTYPE (refused)")
            pos = close + 3
        elif text == b"[" and opened is None:
            opened, pos = token.start(), token.end()
        elif text == b"]" and opened is not None:
            end = _CLOSE.match(data, token.end())
            if end is not None:
                return opened, end.end()
            pos = token.end()
        elif text == b">" and opened is None:
            return None, token.end()
        else:
            pos = token.end()
