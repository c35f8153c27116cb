"""The text of a feed's title or summary markup, rendered once (`rendered`): what `feeds`
keys and shows entries by. Apart from feeds.py for its size."""

from __future__ import annotations

import html
import re

import lxml.html

from newsmon.bounds import xml_text
from newsmon.charset import repair_mojibake
from newsmon.feedslim import MAX_FIELD_CHARS

# Markup rendered at most, per field: ten times the summary's text is plenty for its first
# words, and rendering costs ~1 µs a character of tags (a 2 MB entry cost its feed's budget).
MAX_MARKUP_CHARS = MAX_FIELD_CHARS


def rendered(fragment: str, repair: bool = True) -> str:
    """The text of an HTML fragment, block elements kept apart: rendered once; `repair`:
    text encoded twice repaired (an entry's title and summary are repaired by `_entry`,
    after their keys' text is taken)."""
    if not fragment or not fragment.strip():
        return ""
    fragment = xml_text(_head(fragment))
    fragment = repair_mojibake(fragment) if repair else fragment  # a title encoded twice
    if "<" not in fragment:
        return re.sub(r"\s+", " ", html.unescape(fragment)).strip()
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.unescape(fragment))).strip()
    for bad in root.xpath(".//script|.//style"):
        bad.drop_tree()
    for block in root.xpath(".//p|.//br|.//div|.//li|.//h1|.//h2|.//h3|.//h4|.//tr"):
        block.tail = "\n" + (block.tail or "")
    text = root.text_content()
    lines = [re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _head(fragment: str) -> str:
    """The first `MAX_MARKUP_CHARS` of markup, without a tag cut in two."""
    if len(fragment) <= MAX_MARKUP_CHARS:
        return fragment
    cut = fragment[:MAX_MARKUP_CHARS]
    return cut[: cut.rfind("<")] if cut.rfind("<") > cut.rfind(">") else cut
