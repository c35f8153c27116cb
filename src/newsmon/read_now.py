"""Text a corpus stored under an earlier release, as a pass reads it now.

Rows stored before Korean credits were stripped (2026-12) or double-encoded text repaired
hold their dateline, byline and notice, or mojibake. Compared or classified as stored, an
old teaser outweighed its page's article (never replaced), and a notice's "AI 학습 … 금지"
gave a replayed story an AI word. What reads a stored text against today's reading reads it
through these, like against like; the rows themselves stay as stored.
"""

from __future__ import annotations

from newsmon.charset import repair_mojibake
from newsmon.credits import strip_credits
from newsmon.feeds import MAX_SUMMARY_CHARS, readable


def teaser_read_now(stored: str) -> str:
    """A feed summary stored as the body (as rendered then), as `feeds` reads it now:
    repaired if encoded twice, made `readable`, without Korean credits."""
    return strip_credits(readable(repair_mojibake(stored)))[:MAX_SUMMARY_CHARS]


def body_read_now(stored: str) -> str:
    """A stored body as extraction gives it now: repaired if encoded twice, without Korean
    credits."""
    return strip_credits(repair_mojibake(stored))
