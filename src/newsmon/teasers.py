"""Teasers of other posts inside the article's container, removed before extraction.

A blog's post page often lists, in the same column and with no title over them, other posts
as teasers: an archive loop of ``<article>``s, "Read more" cards, a list of headlines with
excerpts. Their markup varies, but each teaser is a short block that links to another page of
the site and whose text stops mid-sentence on an ellipsis ("…", "...", "[…]"), maybe followed
by a "Read more" link. trafilatura kept them when they sat beside the post's paragraphs: other
posts' excerpts became the post's text (a Portuguese blog page of the shared corpus read at
0.20 precision) and gave it their topics.

Two or more such teasers side by side (children of one block) are removed; the block and its
other children stay. A single one stays (a story's paragraph may link and trail off in "…"),
so does a paragraph ending in "…" that links nowhere on the site, a block holding the h1, and
teasers that are the page's text (a newsletter digest; `layout.leaves_a_story`).
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

from newsmon.layout import (
    leaves_a_story,
    page_chars,
    remove_keeping_tail,
    site_host,
    text_owners,
    to_other_page,
)

# a teaser's text, at most: a longer block is a story (or holds one)
TEASER_MAX_CHARS = 1_200
# an ellipsis, then what a "Read more" link or arrow adds after it, at most this long
_ENDS_CUT = re.compile(
    r"(?:…|\.{3}|\[\s*(?:…|\.{3})\s*]|\(\s*(?:…|\.{3})\s*\))\s*([^.!?。]{0,30})$"
)
_ELLIPSIS_END = re.compile(r"(?:…|\.{3})\s*[\])]?\s*$")
_MAX_NODES = 256
_MAX_PIECES = 64
# ancestors of an ellipsis looked at for the teaser holding it, at most
_MAX_CLIMB = 5


def _text(element: Any) -> str | None:
    """The element's whole text, squashed, when it is at most a teaser's; else None. Reads a
    bounded part of the element whatever it holds."""
    if next(islice(element.iter(), _MAX_NODES, None), None) is not None:
        return None
    pieces = list(islice(element.itertext(), _MAX_PIECES + 1))
    if len(pieces) > _MAX_PIECES:
        return None
    text = " ".join("".join(pieces).split())
    return text if len(text) <= TEASER_MAX_CHARS else None


def _is_teaser(element: Any, host: str | None) -> bool:
    text = _text(element)
    if not text or _ENDS_CUT.search(text) is None:
        return False
    if element.tag == "h1" or next(element.iter("h1"), None) is not None:
        return False
    return any(to_other_page(a.get("href"), host) for a in islice(element.iter("a"), 32))


def _cut_pieces(root: Any) -> list[Any]:
    """The elements holding a text piece that ends on an ellipsis (a piece followed by a short
    link, "… Read more", counts as its owner's too), in document order."""
    return list(dict.fromkeys(text_owners(root, _cut)))


def _cut(piece: str) -> bool:
    return ("…" in piece or "..." in piece) and _ELLIPSIS_END.search(piece) is not None


def prune_teaser_lists(root: Any, url: str | None = None) -> int:
    """Remove from the tree `root` (lxml) the teasers of other posts (of `url`'s site) that
    sit two or more side by side (see the module's docstring); the number removed."""
    host = site_host(url)
    found: dict[Any, dict[Any, None]] = {}  # block -> its teaser children
    seen: set[Any] = set()  # each element is read once, however many cut pieces it holds
    for owner in _cut_pieces(root):
        item = owner
        for _ in range(_MAX_CLIMB):
            parent = item.getparent()
            if parent is None or parent.tag in ("html", "body") or item in seen:
                break
            seen.add(item)
            if _is_teaser(item, host):  # every level: a card's paragraph, the card, ...
                found.setdefault(parent, {})[item] = None
            item = parent
    lists = [list(teasers) for teasers in found.values() if len(teasers) >= 2]
    # teasers beside a post leave the post; a digest's items are the page's text
    page = page_chars(root) if lists else 0
    lists = [teasers for teasers in lists if leaves_a_story(page, teasers)]
    removed = 0
    for teasers in lists:
        for item in teasers:
            if item.getparent() is not None:
                remove_keeping_tail(item)
                removed += 1
    return removed
