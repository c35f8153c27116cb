"""Which language a text is in, from its script: Korean or English, as far as the topic rules
care, and Japanese or Chinese, which are neither (stored, shown and counted as what they are).

Pages, feed summaries and labelled items often say nothing of their language (or say it
wrongly); the script of the text does. A feed's configured language is a hint for text too
short to tell, never a verdict over the script: Korean outlets carry English stories. Text in
another script is never English: its language when the script has one (Thai, Greek, Hebrew),
else None (Cyrillic, Arabic, Devanagari and the rest are written in many).
"""

from __future__ import annotations

import re
import unicodedata

# Characters read, at most: the whole text when it is short, else WINDOWS spans spread over it,
# so that an opening quote, byline block or code sample does not speak for the whole article.
SAMPLE_CHARS = 4000
WINDOWS = 8

# The languages a feed may be configured in (`FeedConfig.language`), which the rules have terms for.
RULE_LANGUAGES = ("ko", "en")
# Hints that name a language written in another script than Latin: Latin text is not in them.
NON_LATIN = frozenset({"ko", "ja", "zh"})

# Hangul syllables (about three letters each), and single letters: the jamo of text typed
# decomposed (NFD, as macOS file names and some editors give it; composed first, so that a
# syllable counts once), compatibility jamo (ㅋㅋ, initials) and half-width jamo.
_SYLLABLES = re.compile("[\uac00-\ud7a3]+")
_JAMO = re.compile("[\u1100-\u11ff\u3131-\u318e\ua960-\ua97f\ud7b0-\ud7ff\uffa0-\uffdc]+")
# Kana (not the katakana middle dot ・, which Korean text uses too) and Han characters (which
# Korean headlines use as abbreviations: 美, 中, 日).
_KANA = re.compile(
    "[\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9d]+"
)
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN = re.compile("[A-Za-z]+")
# Every letter of Latin script, accented ones too: what is neither these nor a script above nor
# one of _SCRIPTS is a letter of some other script.
_LATIN_ANY = re.compile("[A-Za-z\u00aa\u00b5\u00ba\u00c0-\u024f\u1e00-\u1eff]+")
_LETTER = re.compile(r"[^\W\d_]+")
# Scripts of their own: the language when one is written in it, else None.
_SCRIPTS: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile("[\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f]+"), None),  # Cyrillic
    (re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc]+"), None),
    (re.compile("[\u0900-\u097f\ua8e0-\ua8ff]+"), None),  # Devanagari
    (re.compile("[\u0e01-\u0e5b]+"), "th"),
    (re.compile("[\u0370-\u03ff\u1f00-\u1fff]+"), "el"),
    (re.compile("[\u0590-\u05ff\ufb1d-\ufb4f]+"), "he"),
)
# Links and mail addresses are Latin letters in every language: a Korean teaser ending with
# its source links is Korean.
_LINK = re.compile(
    r"\b(?:[a-z][a-z0-9+.-]{0,15}://|www\.)[!-~]+"  # ASCII: https://x.kr에서 stops at 에
    r"|\b[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}\.[a-z0-9.-]{1,253}",  # bounded: no quadratic scan
    re.IGNORECASE,
)
# Code is in no language: fenced and <pre>/<code> blocks, short lines that import, assign or are
# typed at a prompt, and words made of identifiers (from_pretrained, model.generate(, a/b, x=1);
# not Markdown's _emphasis_ or [links](...), nor a paragraph that opens with "X = Y".
_CODE_BLOCK = re.compile(
    r"```.*?(?:```|\Z)|<(pre|code)\b.*?(?:</\1>|\Z)", re.DOTALL | re.IGNORECASE
)
_CODE_LINE = re.compile(
    r"^(?=[^\n]{0,160}$)[ \t]*(?:(?:from [\w.]+ )?import [\w.]+|def \w+|class \w+[(:]"
    r"|\$ |>>> |#include\b|[A-Za-z_][\w.\[\]]*[ \t]*[-+*/]?=[^=])[^\n]*",
    re.MULTILINE,
)
_CODE_WORD = re.compile(r"(?<![!-~])(?=[!-~]*?(?:[{}=<>;\\|/]|\w_\w|\w\(|[A-Za-z]\.[a-z]))[!-~]+")
_ASCII_RUN = re.compile(r"[!-~]+")


def detect_language(text: str, hint: str | None = None) -> str | None:
    """``ko`` when Hangul is more than a small share of the letters (a syllable weighs three),
    ``ja`` or ``zh`` when Han characters and kana are (one weighs three), the script's language
    or None when another script is, else ``en`` for Latin text (or the hint, when it names
    another Latin-script language), else the hint. Links and code are not counted."""
    sample = _without_code(_LINK.sub(" ", unicodedata.normalize("NFC", _sample(text))))
    syllables = _count(_SYLLABLES, sample)
    korean = 3 * syllables + _count(_JAMO, sample)
    kana = _count(_KANA, sample)
    han = _count(_HAN, sample)
    cjk = 3 * (kana + han)
    latin = _count(_LATIN, sample)
    other, other_code = _other_script(sample, syllables + han + kana)
    if korean and korean * 2 >= latin and korean * 2 >= cjk and korean >= other:
        return "ko"
    if cjk and cjk * 2 >= latin and cjk > korean * 2 and cjk >= other:
        return "ja" if kana * 20 >= kana + han else "zh"  # Japanese writes kana in every sentence
    if other and other * 2 >= latin:
        return other_code
    if latin > 20:
        return "en" if hint is None or hint in NON_LATIN else hint
    return hint


def _sample(text: str) -> str:
    """The text, or WINDOWS spans of it spread from start to end (each begun at a word)."""
    if len(text) <= SAMPLE_CHARS:
        return text
    width = SAMPLE_CHARS // WINDOWS
    spans = []
    for i in range(WINDOWS):
        start = i * (len(text) - width) // (WINDOWS - 1)
        space = text.find(" ", start, start + 40) if start else -1  # not inside a word or link
        start = space + 1 if space >= 0 else start
        spans.append(text[start : start + width])
    return "\n".join(spans)


def _without_code(sample: str) -> str:
    """The sample with the ASCII of code blocks, code lines and identifiers blanked."""
    sample = _CODE_BLOCK.sub(lambda m: _ASCII_RUN.sub(" ", m.group()), sample)
    sample = _CODE_LINE.sub(lambda m: _ASCII_RUN.sub(" ", m.group()), sample)
    return _CODE_WORD.sub(" ", sample)


def _other_script(sample: str, cjk_hangul: int) -> tuple[int, str | None]:
    """Letters of the most used script other than Latin, Hangul and CJK, and its language."""
    rest = _count(_LETTER, sample) - _count(_LATIN_ANY, sample) - cjk_hangul
    rest -= _count(_JAMO, sample)
    best, code = 0, None
    if rest <= 0:  # Latin, Hangul and CJK letters only: the common case, six scans saved
        return best, code
    for pattern, language in _SCRIPTS:
        n = _count(pattern, sample)
        rest -= n
        if n > best:
            best, code = n, language
    if rest > best:  # Georgian, Armenian, Bengali, Tamil, Ethiopic, ...: no language told
        best, code = rest, None
    return best, code


def _count(pattern: re.Pattern[str], sample: str) -> int:
    """Characters the pattern's runs cover (runs: a list of words, not one of characters)."""
    return sum(map(len, pattern.findall(sample)))
