"""Look-alikes that are not one story: two stories of one site under a shared block of its
furniture, and a text that is only an editor's note. A similarity rule (newsmon.dedup) finds
such pairs alike; these checks tell them apart (newsmon.clusters applies them). Split from
newsmon.dedup, whose rules compute identities. README "Deduplication".
"""

from __future__ import annotations

import re

import numpy as np

from newsmon.dedup import (
    MIN_SHORT_BODY_CHARS,
    SHORT_BODY_CHARS,
    SHORT_TEXT_BASE,
    body_similarity,
    information_chars,
    is_short_duplicate,
    normalise_text,
)
from newsmon.headlines import without_headline

# --- one site's look-alikes: a shared opening or closing that is not the story ----------------
#
# Two stories of one site can share a block that is not the story: a wire's dateline and byline
# over a reporter's standing subject, a series' table of contents, an editor's note, a
# newsletter box, copyright lines. In a short text such a block can be half of the n-grams,
# enough for the whole-text or the short-item rule (real items: five parts of one series, each
# summary opening with the series' 160-character contents, joined at 0.33-0.46). A copy keeps
# the story outside the block as well; another story does not. README "Deduplication" has the
# measurements.

# Each text's own part (without the common opening and closing) must be at least this share of
# it, and this long, to tell the pair apart: an edited copy keeps at most a fifth of its text
# (the edited sentences), a truncated copy or a teaser next to nothing.
OWN_PART_SHARE = 1 / 3
MIN_OWN_PART_CHARS = 30
# A common opening and closing shorter than this is no block (normalised characters: a wire's
# dateline and byline, "서울 연합뉴스 홍길동 기자 ", is 16).
MIN_BLOCK_CHARS = 15
# Texts longer than this (raw characters) are not checked: a block would have to be thousands
# of characters long to carry their similarity, and candidates' texts are read to check.
LOOKALIKE_TEXT_CHARS = 10 * SHORT_BODY_CHARS


def _common_length(a: str, b: str) -> int:
    """How many leading characters two strings share."""
    n = min(len(a), len(b))
    x = np.frombuffer(a[:n].encode("utf-32-le"), dtype="<u4")
    y = np.frombuffer(b[:n].encode("utf-32-le"), dtype="<u4")
    differ = np.flatnonzero(x != y)
    return int(differ[0]) if differ.size else n


def own_parts(a: str, b: str) -> tuple[str, str]:
    """Two normalised texts without their common opening and closing, in whole words: a word
    the texts differ in is each text's own."""
    start = _common_length(a, b)
    if start < min(len(a), len(b)):
        start = a.rfind(" ", 0, start) + 1
    rest_a, rest_b = a[start:], b[start:]
    end = _common_length(rest_a[::-1], rest_b[::-1])
    cut = len(rest_a) - end
    if end < min(len(rest_a), len(rest_b)) and cut and rest_a[cut - 1] != " ":
        space = rest_a.find(" ", cut)
        end = 0 if space < 0 else len(rest_a) - space
    return rest_a[: len(rest_a) - end].strip(), rest_b[: len(rest_b) - end].strip()


def told_apart(a: str, b: str) -> bool:
    """Whether two normalised texts a rule found alike are two stories under one block of a
    site's furniture: they share an opening or closing, each keeps a substantial part of its
    own (OWN_PART_SHARE, MIN_OWN_PART_CHARS) and those parts are not one story
    (`body_similarity` under SHORT_THRESHOLD)."""
    own_a, own_b = own_parts(a, b)
    if len(a) - len(own_a) < MIN_BLOCK_CHARS:
        return False  # no block in common: the rule's own measure stands
    if any(  # the floor in information: 25 Hangul syllables tell a story, 25 letters do not
        len(own) < OWN_PART_SHARE * len(whole) or information_chars(own) < MIN_OWN_PART_CHARS
        for own, whole in ((own_a, a), (own_b, b))
    ):
        return False
    return not is_short_duplicate(body_similarity(own_a, own_b))


# --- a text that is only an editor's note -------------------------------------------------------
#
# A column's feed summary can be nothing but the series' editor's note, cut inside it ("[※ 편집자
# 주 = … 시간과 공간의..."): every part carries the note, so two parts' teasers are alike and tell
# nothing of either story (real items: two parts of a weekly column a week apart joined at 0.77,
# the later one never announced). Such a text joins no story and no story joins it by a
# similarity rule; an identical body joins by its hash only under the same headline
# (`clusters.same_part`). Only a note the brackets hold counts ("[편집자주] …" does not say
# where the note ends). README "Deduplication".

_NOTE = re.compile(
    r"\s*([\[(【〔])\s*※?\s*(?:편집자\s*주|editor[’']?s?[’']?\s*note)\s*[=:：]", re.I
)
_CLOSE = {"[": "]", "(": ")", "【": "】", "〔": "〕"}
# The note opens the body (after a headline line at most): only this prefix is searched for it.
NOTE_SEARCH_CHARS = 2000


def note_only(title: str | None, text: str | None) -> bool:
    """Whether a text (headline line aside) is an editor's note in brackets and, after it, less
    than MIN_SHORT_BODY_CHARS of anything else (the feed cut the text inside the note). A note
    never closed holds a summary-length text to its end, a longer one to the end of its line."""
    if not text or not _NOTE.search(text[:NOTE_SEARCH_CHARS]):
        return False  # the common case, without normalising a line of a long text
    body = without_headline(title, text, normalise_text)
    found = _NOTE.match(body)
    if found is None:
        return False
    opened, depth = found.group(1), 1
    for at in range(found.end(), len(body)):
        depth += (body[at] == opened) - (body[at] == _CLOSE[opened])
        if not depth:
            return len(normalise_text(body[at + 1 :])) < MIN_SHORT_BODY_CHARS
    # never closed: a summary-length text ends inside the note (the feed cut it); a longer one
    # only lost its bracket (a typo, another bracket), and its note ends with its line: read as
    # all note, a page's whole story joined none of its copies
    if len(body) <= SHORT_TEXT_BASE and len(normalise_text(body)) < SHORT_BODY_CHARS:
        return True
    line_end = body.find("\n", found.end())
    rest = "" if line_end < 0 else body[line_end:]
    return len(normalise_text(rest)) < MIN_SHORT_BODY_CHARS
