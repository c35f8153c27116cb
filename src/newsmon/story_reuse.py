"""Whether a changed entry is an edit of its stored story or another story under its key.

Some CMSs give every story the same link or GUID (a one-item "latest story" feed, a front
page slot): the next story looked like an edit of the previous one (updated in place, never
announced). An entry whose headline and teaser both share little with the stored story's
title and opening is another story; a reworded headline over the same text, or a new teaser
under the same headline, stays an edit.
"""

from __future__ import annotations

from newsmon.dedup import normalise_text

# n-gram length (characters of normalised text), as the short-body rules use
GRAM = 5
# at most this share of the shorter headline's n-grams in the other: not the same headline
TITLE_SHARED = 0.5
# at most this share of the teaser's n-grams in the stored opening: not the same text
TEXT_SHARED = 0.4
# characters of the stored text compared: its opening, where a teaser comes from
OPENING_CHARS = 2000


def _grams(text: str) -> set[str]:
    return {text[i : i + GRAM] for i in range(max(1, len(text) - GRAM + 1))} if text else set()


def shared(part: str, whole: str) -> float:
    """The share of `part`'s n-grams (normalised) found in `whole`; 0.0 when `part` is empty."""
    grams = _grams(normalise_text(part))
    return len(grams & _grams(normalise_text(whole))) / len(grams) if grams else 0.0


def another_story(title: str, teaser: str, stored_title: str | None, opening: str) -> bool:
    """Whether an entry (`title`, `teaser`) under a stored story's key is another story than
    the stored one (`stored_title`, the first `OPENING_CHARS` of its text). Without a headline
    or text on either side it cannot tell: an edit, as before."""
    if not (title and teaser and stored_title and opening):
        return False
    short, long = sorted((title, stored_title), key=len)
    if shared(short, long) > TITLE_SHARED:
        return False
    return shared(teaser[:OPENING_CHARS], opening) <= TEXT_SHARED
