"""Which language a text is in, as far as the topic rules care: Korean or English.

Pages, feed summaries and labelled items often say nothing of their language (or say it
wrongly); the script of the text does. A feed's configured language is a hint for text too
short to tell, never a verdict over the script: Korean outlets carry English stories.
"""

from __future__ import annotations

# Hints that name a language written in another script than Latin: Latin text is not in them.
NON_LATIN = frozenset({"ko", "ja", "zh"})


def detect_language(text: str, hint: str | None = None) -> str | None:
    """``ko`` when Hangul is more than a small share of the letters, else ``en`` for Latin text
    (or the hint, when it names another Latin-script language), else the hint."""
    sample = text[:4000]
    hangul = sum(1 for ch in sample if "\uac00" <= ch <= "\ud7a3")
    latin = sum(1 for ch in sample if ch.isascii() and ch.isalpha())
    if hangul and hangul * 3 >= latin * 0.5:
        return "ko"
    if latin > 20:
        return "en" if hint is None or hint in NON_LATIN else hint
    return hint
