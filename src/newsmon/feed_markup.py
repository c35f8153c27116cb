"""The text of a feed's title or summary markup, rendered once (`rendered`): what `feeds`
keys entries by; and made `readable`, what it shows them by. Apart from feeds.py for its
size."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable

import lxml.html

from newsmon.bounds import xml_text
from newsmon.charset import repair_mojibake
from newsmon.feedslim import MAX_FIELD_CHARS

# Markup rendered at most, per field: ten times the summary's text is plenty for its first
# words, and rendering costs ~1 µs a character of tags (a 2 MB entry cost its feed's budget).
MAX_MARKUP_CHARS = MAX_FIELD_CHARS


def rendered(fragment: str, repair: Callable[[str], str] | None = repair_mojibake) -> str:
    """The text of an HTML fragment, block elements kept apart: rendered once; `repair`:
    text encoded twice repaired, by it (a feed's `RepairBudget`; None: not repaired, as an
    entry's title and summary are repaired by `_entry` after their keys' text is taken)."""
    if not fragment or not fragment.strip():
        return ""
    fragment = xml_text(_head(fragment))
    fragment = repair(fragment) if repair else fragment  # a title encoded twice
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


def html_to_text(fragment: str) -> str:
    """Readable text from an HTML fragment, block elements kept apart (`readable`)."""
    return readable(rendered(fragment))


# What is left in text rendered once when its publisher escaped it twice ("R&amp;amp;D" in a
# description, "&amp;quot;" in a title): a reference ending in ";" that names a character, "&nbsp"
# (CMSs drop its ";"), or an HTML tag by an element's name (not "<3" or 《…》 written <…>).
_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});|&nbsp")
_TAG = re.compile(
    r"</?(?:a|b|i|u|s|em|strong|p|br|hr|span|div|font|sup|sub|small|big|mark|q|cite|code|img"
    r"|li|ul|ol|h[1-6]|blockquote|strike|figure|figcaption)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
# Format characters with no visible effect that a reader or a search could need: soft hyphen,
# combining grapheme joiner, Mongolian vowel separator, zero-width space, word joiner, invisible
# operators, byte order mark. Page extraction drops them too. Joiners, bidi marks and variation
# selectors stay: emoji, Indic and right-to-left text need them (dedup ignores them all).
_INVISIBLE = re.compile("[\u00ad\u034f\u180e\u200b\u2060-\u2064\ufeff]+")
# Renderings again at most: text escaped three times is rare, more is not text.
_RENDERINGS_AGAIN = 2


def _escaped_twice(line: str) -> bool:
    return bool(_TAG.search(line)) or any(
        html.unescape(ref) != ref for ref in _REFERENCE.findall(line)
    )


def readable(text: str, repair: Callable[[str], str] = repair_mojibake) -> str:
    """Text rendered once from HTML as its publisher meant it to read: a line still holding
    references or tags is rendered again (the publisher escaped it twice), invisible format
    characters are dropped, letters composed (NFC: Hangul typed on a Mac comes decomposed).
    Text without any of these comes back unchanged; `repair` repairs lines rendered again."""
    for _ in range(_RENDERINGS_AGAIN):
        lines = text.split("\n")
        if not any(map(_escaped_twice, lines)):
            break
        again = (rendered(line, repair) if _escaped_twice(line) else line for line in lines)
        text = "\n".join(line for line in again if line)
    if _INVISIBLE.search(text):
        bare = (re.sub(" {2,}", " ", _INVISIBLE.sub("", line)).strip() for line in text.split("\n"))
        text = "\n".join(line for line in bare if line)
    return unicodedata.normalize("NFC", text)
