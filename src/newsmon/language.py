"""Which language a text is in, from its script: Korean or English, as far as the topic rules
care, and Japanese or Chinese, which are neither (stored, shown and counted as what they are).

Pages, feed summaries and labelled items often say nothing of their language (or say it
wrongly); the script of the text does. A feed's configured language is a hint for text too
short to tell, never a verdict over the script: Korean outlets carry English stories.
"""

from __future__ import annotations

import re
import unicodedata

SAMPLE_CHARS = 4000

# The languages a feed may be configured in (`FeedConfig.language`), which the rules have terms for.
RULE_LANGUAGES = ("ko", "en")
# Hints that name a language written in another script than Latin: Latin text is not in them.
NON_LATIN = frozenset({"ko", "ja", "zh"})

# Hangul letters: syllables, and the jamo of text typed decomposed (NFD, as macOS file names
# and some editors give it; composed first, so that a syllable counts once), compatibility
# jamo (ㅋㅋ, initials) and half-width jamo.
_HANGUL = re.compile(
    "[\u1100-\u11ff\u3131-\u318e\ua960-\ua97f\uac00-\ud7a3\ud7b0-\ud7ff\uffa0-\uffdc]"
)
# Kana (not the katakana middle dot ・, which Korean text uses too) and Han characters (which
# Korean headlines use as abbreviations: 美, 中, 日).
_KANA = re.compile(
    "[\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9d]"
)
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile("[A-Za-z]")
# Links and mail addresses are Latin letters in every language: a Korean teaser ending with
# its source links is Korean.
_LINK = re.compile(
    r"\b(?:[a-z][a-z0-9+.-]{0,15}://|www\.)[!-~]+"  # ASCII: https://x.kr에서 stops at 에
    r"|\b[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}\.[a-z0-9.-]{1,253}",  # bounded: no quadratic scan
    re.IGNORECASE,
)


def detect_language(text: str, hint: str | None = None) -> str | None:
    """``ko`` when Hangul is more than a small share of the letters (a syllable or a Han
    character weighs about three Latin letters), ``ja`` or ``zh`` when Han characters and kana
    are, else ``en`` for Latin text (or the hint, when it names another Latin-script
    language), else the hint. Links and mail addresses are not counted."""
    sample = _LINK.sub(" ", unicodedata.normalize("NFC", text[:SAMPLE_CHARS]))
    hangul = len(_HANGUL.findall(sample))
    kana = len(_KANA.findall(sample))
    cjk = kana + len(_HAN.findall(sample))
    latin = len(_LATIN.findall(sample))
    if hangul and hangul * 6 >= latin and hangul * 2 >= cjk:
        return "ko"
    if cjk and cjk * 6 >= latin and cjk > hangul * 2:
        return "ja" if kana * 20 >= cjk else "zh"  # Japanese writes kana in every sentence
    if latin > 20:
        return "en" if hint is None or hint in NON_LATIN else hint
    return hint
