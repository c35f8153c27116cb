"""Which language a text is in, as far as the topic rules care: Korean or English.

Pages, feed summaries and labelled items often say nothing of their language (or say it
wrongly); the script of the text does. A feed's configured language is a hint for text too
short to tell, never a verdict over the script: Korean outlets carry English stories.
"""

from __future__ import annotations

import re
import unicodedata

SAMPLE_CHARS = 4000

# Hints that name a language written in another script than Latin: Latin text is not in them.
NON_LATIN = frozenset({"ko", "ja", "zh"})

# Hangul letters: syllables, and the jamo of text typed decomposed (NFD, as macOS file names
# and some editors give it; composed first, so that a syllable counts once), compatibility
# jamo (ㅋㅋ, initials) and half-width jamo.
_HANGUL = re.compile(
    "[\u1100-\u11ff\u3131-\u318e\ua960-\ua97f\uac00-\ud7a3\ud7b0-\ud7ff\uffa0-\uffdc]"
)
_LATIN = re.compile("[A-Za-z]")
# Links and mail addresses are Latin letters in every language: a Korean teaser ending with
# its source links is Korean.
_LINK = re.compile(
    r"\b(?:[a-z][a-z0-9+.-]{0,15}://|www\.)[!-~]+"  # ASCII: https://x.kr에서 stops at 에
    r"|\b[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}\.[a-z0-9.-]{1,253}",  # bounded: no quadratic scan
    re.IGNORECASE,
)


def detect_language(text: str, hint: str | None = None) -> str | None:
    """``ko`` when Hangul is more than a small share of the letters, else ``en`` for Latin text
    (or the hint, when it names another Latin-script language), else the hint. Links and
    mail addresses are not counted."""
    sample = _LINK.sub(" ", unicodedata.normalize("NFC", text[:SAMPLE_CHARS]))
    hangul = len(_HANGUL.findall(sample))
    latin = len(_LATIN.findall(sample))
    if hangul and hangul * 3 >= latin * 0.5:
        return "ko"
    if latin > 20:
        return "en" if hint is None or hint in NON_LATIN else hint
    return hint
