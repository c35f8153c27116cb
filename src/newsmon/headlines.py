"""Which line of a page's text is its headline: the page's <h1>, which extractors keep, is the
text's first line, and dedup compares the story without it (newsmon.dedup). Feeds and pages
label a headline differently ("[속보] …", "UPDATE 1-…", "BREAKING: …" on one side only), and
a headline line taken for the story's first sentence pushes the story out of the opening the
lead rule compares. README "Deduplication", Short items.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

# Web addresses name a page, they do not tell the story (a link post's summary is a template
# around one): they are left out of a body.
ADDRESS = re.compile(r"(?:https?://|www\.)\S+", re.I)
# Labels a desk puts before a headline: a short tag in brackets ("[속보]", "[단독]", "[종합]",
# "(종합2보)", "【速報】", "(LEAD)", also in full-width brackets: "［속보］", "（종합）",
# "＜단독＞", "〖速報〗", which NFKC folds only after this is read) or a wire's word and dash
# or colon ("UPDATE 1-", "BREAKING:", "EXCLUSIVE-"), one or more.
_LABEL = re.compile(
    r"^\s*(?:(?:[\[(【〔<〈《［（＜〖][^\])】〕>〉》］）＞〗\n]{1,12}[\])】〕>〉》］）＞〗]"
    r"|(?:breaking(?:\s+news)?|update\s*\d*|exclusive|wrapup\s*\d*|corrected|refile|urgent)"
    r"\s*[-:–—])\s*)+",
    re.I,
)


def unlabelled(headline: str) -> str:
    """A headline without the labels before it (itself when it is nothing but labels)."""
    rest = _LABEL.sub("", headline, count=1)
    return rest or headline


def is_headline(
    line: str, title: str | None, fold: Callable[[str], str], labels: bool = True
) -> bool:
    """Whether a text's first line is the headline: equal to the title once normalised, or one
    of the two the other plus a suffix (a site name, a subtitle, "(종합)"), with or without a
    label before either (`labels`; without, the rule before 2026-12)."""
    pairs = [(line, title or "")] + [(unlabelled(line), unlabelled(title or ""))] * labels
    for first, name in pairs:
        head, named = fold(first), fold(name)
        if head and named:
            shorter, longer = sorted((head, named), key=len)
            if longer.startswith(shorter) and len(shorter) * 2 >= len(longer):
                return True
    return False


def without_headline(title: str | None, text: str, fold: Callable[[str], str]) -> str:
    """The text (not normalised) without its first line when that line is the headline."""
    first, sep, rest = text.strip().partition("\n")
    return rest if sep and is_headline(first, title, fold) else text


# --- an item that is its headline alone ----------------------------------------------------
#
# An aggregator's item (`aggregated`: a search feed's) is a headline and a wrapper link: no
# text of the story to compare. Its headline, the publisher's, is the story's: an article is
# also indexed by its headline (`headline_key`), and a headline-only item joins a story under
# the same headline, in either order (`clusters.headline_copy`).

HEADLINE_SCHEME = "headline-v1"


def headline_key(name: str) -> int:
    """The band key of a normalised headline without labels."""
    digest = hashlib.blake2b(f"{HEADLINE_SCHEME}/{name}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def headline_only(title: str | None, text: str | None, fold: Callable[[str], str]) -> bool:
    """Whether an item's text says nothing but its headline (or nothing at all)."""
    if len(text or "") > 2 * len(title or "") + 20:
        return False  # more than a headline, whatever folding removes: spare the work
    body = fold(ADDRESS.sub(" ", without_headline(title, text or "", fold)))
    return body in ("", fold(title or ""), fold(unlabelled(title or "")))
