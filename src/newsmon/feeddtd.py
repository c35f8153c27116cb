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
_ESCAPED = b"&lt;!ENTITY"
_WIDE_MARKS = tuple(
    "<!ENTITY".encode(codec) for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)
_DOCTYPE = re.compile(rb"<!DOCTYPE\b")
_ELEMENT = re.compile(rb"<[A-Za-z_:]")
_SUBSET_TOKEN = re.compile(rb"[\"'\[\]>]|<!--")
_CLOSE = re.compile(rb"\s*>")


def neutralise_entities(data: bytes) -> tuple[bytes, str | None]:
    """`data` with no entity declaration a parser could act on, and what was done (None:
    nothing); ValueError (one line) when that cannot be done safely.

    A DOCTYPE's internal subset that declares entities is removed. After the root element
    starts, ``<!ENTITY`` can only be text: a security blog's post about XXE quoting one in a
    CDATA section. It is escaped there (``&lt;!ENTITY``), so no parser sees a declaration and
    the feed is still read. Anywhere else in the prolog it is refused."""
    if _MARK not in data:
        if any(mark in data for mark in _WIDE_MARKS):
            raise ValueError("the feed declares DTD entities in a wide encoding (refused)")
        return data, None
    notes = []
    doctype = _DOCTYPE.search(data)
    first = _ELEMENT.search(data)
    prolog_end = 0
    if doctype is not None and (first is None or doctype.start() < first.start()):
        opened, closed = _internal_subset(data, doctype.end())
        prolog_end = closed
        if opened is not None and _MARK in data[opened:closed]:
            data = data[:opened] + b">" + data[closed:]
            prolog_end = opened + 1
            notes.append("DTD entity declarations removed")
    root = _ELEMENT.search(data, prolog_end)
    body_start = root.start() if root is not None else len(data)
    if _MARK in data[:body_start]:
        raise ValueError("entity declarations outside a DOCTYPE (refused)")
    if _MARK in data[body_start:]:
        data = data[:body_start] + data[body_start:].replace(_MARK, _ESCAPED)
        notes.append("entity declarations in the text escaped")
    return data, "; ".join(notes) or None


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
