"""Stories in a digest: a long body that is a list of one-paragraph stories (a newsletter's
roundup of community chatter) is scored one story at a time.

Summed over the whole body, one passing "regulation" in a story about GPUs and one "rules" in
another about a chatbot's manners reached the policy threshold together, though no story was
about policy. With `weights.story_words` set, a body of at least that many words made of at
least `MIN_BULLETS` list bullets counts only its best story's evidence (`scoring.py`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

# A list bullet opening an item: "*" or "•" standing alone between white space (or at the start).
# A Markdown digest flattened to one line keeps its bullets as " * "; "* * *" rules count too,
# and only cut stories apart.
BULLET = re.compile(r"(?:^|(?<=\s))[*•](?=\s)")
MIN_BULLETS = 5  # fewer: an article with a short list of key points, still one story


def story_starts(body: str, story_words: int) -> tuple[int, ...]:
    """Where each story of `body` begins (the first at 0), or () when `body` is one story:
    `story_words` is 0, the body is shorter, or it holds fewer than `MIN_BULLETS` bullets."""
    if story_words <= 0 or len(body) < story_words or len(body.split()) < story_words:
        return ()
    starts = [m.start() for m in BULLET.finditer(body)]
    if len(starts) < MIN_BULLETS:
        return ()
    return (0, *starts) if starts[0] > 0 else tuple(starts)


def story_of(starts: Sequence[int], position: int) -> int:
    """The index of the story holding `position` (starts from `story_starts`)."""
    return bisect_right(starts, position) - 1
