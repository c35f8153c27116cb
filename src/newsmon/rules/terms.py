"""The term compiler: one word or phrase to a regex whose boundaries suit the script at each end.

Latin-script terms respect word boundaries (``AI`` is not in "said") and all-capital acronyms
are case-sensitive; Korean terms may carry the particles and endings of `korean.py` but must
begin a word; words of a phrase may be joined by spaces or hyphens, or (Latin next to Hangul)
by nothing at all. Korean writers space compounds freely (오픈소스 / 오픈 소스, 인공지능 /
인공 지능), so a run of Hangul in a term may also be split by a space wherever both parts keep
at least two syllables (`hangul_splits`): 정부안 stays whole, and "정부 안에서" is no match.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import regex

from newsmon.bounds import INVISIBLE
from newsmon.rules.korean import (
    DICTIONARY_ENDINGS,
    HANGUL,
    NOUN_SUFFIXES,
    PARTICLES,
    VERB_NOUN_SUFFIX,
    VERB_STARTS,
    conjugated_last_syllable,
    is_hangul,
    native_verb_stem,
)
from newsmon.rules.termpattern import TermPattern, shared_tail

LATIN_WORD = "A-Za-z0-9"
_LATIN_RE = re.compile(f"[{LATIN_WORD}]")
# What joins the words of a term: white space, hyphens and dashes. The matcher reads a minus sign
# (U+2212, which copied text and some CMSs put for a hyphen: "open−source") as "-" (`fold_marks`).
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015"
_SEP = r"[\s\-\u2010-\u2015]"
# Headlines quote one word of a phrase for emphasis: 'AI' 기본법, 인공지능 ‘기본법’, the “open”
# weights. A reader reads the phrase through the quotes, so one closing quote may end a word and
# one opening quote begin the next. Typographic single quotes are folded to "'" with the text;
# the matcher reads every double quote as '"' (`fold_marks`): `re` compiles a class of many
# scattered non-Latin-1 characters to a 65,536-entry bitmap, which in every term's regex made
# loading the rules half as fast again.
QUOTES = "'\""
_QUOTE = "['\"]?"
DOUBLE_QUOTES = (
    "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a"  # “ ” „ ‟ « » ‹ ›
    "\u300c\u300d\u300e\u300f\u300a\u300b\u3008\u3009"  # 「 」 『 』 《 》 〈 〉
)
_MARKS_RE = re.compile(f"[{DOUBLE_QUOTES}\u2212]")
_MARKS_FOLD = str.maketrans({**dict.fromkeys(DOUBLE_QUOTES, '"'), "\u2212": "-"})


def fold_marks(text: str) -> str:
    """Every double quote (“”, «», 「」, 『』, 《》, 〈〉) as '"' and the minus sign as "-", as the
    rules read them; every offset is kept."""
    return text.translate(_MARKS_FOLD) if _MARKS_RE.search(text) else text


# Korean writing glosses a word in brackets attached to it: 인공지능(AI) 기본법, 오픈소스(Open
# Source) 모델, 대형언어모델(LLM) 개발. A reader reads past the gloss, so between two words of a
# term one may stand (attached to the first word: "open (and closed) weights" is an aside, not
# a gloss), and a term may begin with the gloss itself: "AI 기본법" in 인공지능(AI) 기본법.
GLOSS_CHARS = 40
_GLOSS = rf"(?:\([^()\n]{{1,{GLOSS_CHARS}}}\))?"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


# Characters that change how a text is stored but not what it says: invisible ones
# (`bounds.INVISIBLE`: soft hyphens from `&shy;`, zero-width spaces and joiners, word joiners,
# BOMs, bidi marks) sit inside words in CMS output and copied text ("오픈\u200b소스",
# "open\u00adsource") and would split every term they fall in; typographic apostrophes would keep
# "didn’t open-source" from the negations written with "'". NFKC keeps both.
_APOSTROPHES = "\u2018\u2019\u201b\u02bc"
_FOLDED = regex.compile(f"{INVISIBLE.pattern}|[{_APOSTROPHES}]")
# Korean keyboards type the middle dot as ㆍ (U+318D, the archaic vowel araea, a compatibility
# jamo): 과기정통부ㆍ개인정보위, AIㆍ반도체. As a Hangul letter it would glue the words on both
# sides (no boundary before or after a term); it reads as the middle dot it stands for.
_ARAEA = "\u318d"


def _fold(m: regex.Match[str]) -> str:
    return "'" if m.group() in _APOSTROPHES else ""


# Runs of white space read as one, as a reader sees them: CMS output doubles spaces ("&nbsp; "),
# indents lines and ends them with CRLF. Counted as written, they broke `re:` terms written with
# one space and moved a term out of the lede (its first characters) or a short body out of
# being short. A run holding a line break is one line break (`SPACE_RUN` is both rules at once).
_BREAK_RUN = re.compile(r"[^\S\n]*\n\s*")
_BLANK_RUN = re.compile(r"[^\S\n]{2,}|[^\S \n]")
SPACE_RUN = re.compile(r"[^\S\n]*\n\s*|[^\S\n]{2,}|[^\S \n]")


_TO_COLLAPSE = re.compile(r"\s\s|[^\S \n]")


def collapse_spaces(text: str) -> str:
    """Every run of white space as one space, or one line break when it holds one."""
    if not _TO_COLLAPSE.search(text):  # most texts: single spaces and line breaks only
        return text
    return _BLANK_RUN.sub(" ", _BREAK_RUN.sub("\n", text))


# Acronyms written with dots, as The New York Times and others do ("A.I.", "E.U.", "U.S."): a
# run of capital letters each followed by a dot reads as the acronym, or no AI term ("AI Act",
# "AI safety") would ever match such a story. Evidence still shows the dots (`shown.py`).
_DOTTED_ACRONYM = re.compile(r"(?<![A-Za-z0-9.])(?:[A-Z]\.){2,}")
_DOTTED_INSIDE = re.compile(r"\.[A-Z]\.")  # in every one: 50 times cheaper to look for first


def acronym_dots(text: str) -> list[int]:
    """Where the dots of dotted acronyms stand in `text` (folded characters), which go."""
    if not _DOTTED_INSIDE.search(text):
        return []
    return [
        m.start() + k
        for m in _DOTTED_ACRONYM.finditer(text)
        for k in range(1, m.end() - m.start(), 2)
    ]


def normalise_for_matching(text: str) -> str:
    """NFKC folds full-width letters (ＡＩ) and compatibility jamo; invisible characters go,
    typographic apostrophes read as "'", ㆍ as the middle dot ·, "A.I." as AI, and a run of
    white space as one (`collapse_spaces`). Lengths may change."""
    text = fold_characters(text)
    if _DOTTED_INSIDE.search(text):
        text = _DOTTED_ACRONYM.sub(lambda m: m.group().replace(".", ""), text)
    return collapse_spaces(text)


def fold_characters(text: str) -> str:
    """`normalise_for_matching` but for white space: what it does to each character."""
    if text.isascii():  # nothing to fold, and NFKC leaves ASCII as it is
        return text
    if _ARAEA in text:  # before NFKC, which makes it the conjoining vowel U+119E
        text = text.replace(_ARAEA, "\u00b7")
    text = unicodedata.normalize("NFKC", text)
    return _FOLDED.sub(_fold, text) if _FOLDED.search(text) else text


def lower_same_length(text: str) -> str:
    """Lower case that keeps every offset (falls back to ASCII-only when lengths would differ)."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


def is_latin(ch: str) -> bool:
    return bool(_LATIN_RE.match(ch))


# Both parts of a spaced Hangul compound keep at least this many syllables: Korean compound nouns
# are made of two-syllable (Sino-Korean) roots, while a one-syllable piece is usually a word of
# its own (정부안 "the government's bill" is not 정부 안 "inside the government").
MIN_HANGUL_PART = 2


def hangul_splits(token: str) -> list[int]:
    """Offsets inside `token` where a space may stand: inside a run of Hangul syllables, with at
    least `MIN_HANGUL_PART` syllables of the run on either side (오픈소스 → [2])."""
    out: list[int] = []
    for run in re.finditer("[\uac00-\ud7a3]+", token):
        start, end = run.span()
        out.extend(range(start + MIN_HANGUL_PART, end - MIN_HANGUL_PART + 1))
    return out


def literal_head(token: str) -> str:
    """The part of a term's first word that every match contains as written: up to its first
    possible space (오픈소스 → 오픈), what the matcher's automaton looks for."""
    splits = hangul_splits(token)
    return token[: splits[0]] if splits else token


def _token_pattern(token: str) -> str:
    """One word of a term; a Hangul compound may be spaced at its `hangul_splits`."""
    pieces: list[str] = []
    last = 0
    for at in hangul_splits(token):
        pieces.append(re.escape(token[last:at]))
        last = at
    pieces.append(re.escape(token[last:]))
    return f"{_SEP}*".join(pieces)


def _tokens(term: str) -> list[str]:
    # Korean text spaces Latin/Hangul junctions freely (AI안전연구소, AI 안전연구소).
    spaced = re.sub(
        f"(?<=[{LATIN_WORD}])(?=[{HANGUL}])|(?<=[{HANGUL}])(?=[{LATIN_WORD}])", " ", term
    )
    return [t for t in re.split(f"{_SEP}+", spaced) if t]


def stem_tokens(term: str) -> tuple[list[str], bool]:
    """The term's words, a dictionary-form verb (공개하다) cut to its stem; and whether it was."""
    tokens = _tokens(term)
    if not tokens or not any(c.isalnum() for c in term):
        raise ValueError(f"term {term!r} has no letters")
    last_token = tokens[-1]
    for ending in DICTIONARY_ENDINGS:
        if last_token.endswith(ending) and len(last_token) > len(ending):
            return [*tokens[:-1], last_token[: -len(ending)]], True
    return tokens, False


def fixed_first_word(tokens: list[str]) -> str:
    """What every match of the term's first word writes as given: all of it, but a native verb
    alone (올리다) conjugates its last syllable (올려, 올린), so only the syllables before it."""
    if len(tokens) == 1 and (stem := native_verb_stem(tokens[0])) is not None:
        return stem[:-1]
    return tokens[0]


def match_head(tokens: list[str]) -> str:
    """The text the matcher's automaton looks for (lower-case it): the fixed part of the first
    word up to its first possible space (오픈소스 → 오픈); empty when nothing is fixed (풀다)."""
    first = fixed_first_word(tokens)
    return first if first != tokens[0] else literal_head(first)


# A process that loads the rules again (each pass of a long-lived worker, the CLI's commands,
# the tests) reuses the patterns of the terms it has seen.
@lru_cache(maxsize=8192)
def compile_term(term: str, *, lax_korean_end: bool = False) -> TermPattern:
    """Matcher for one word or phrase, with boundaries chosen by the script at each end.

    The group ``core`` is the term itself, without the particle or ending it carries.
    With `lax_korean_end`, a Korean term may be followed by any Hangul (an analyser decides).
    Its `pattern` is the whole regex; the Hangul boundaries run outside the term's own regex
    (`termpattern.py` says why).
    """
    raw = term
    term = normalise_for_matching(term).strip()
    if not term:
        raise ValueError("empty term")
    tokens, verb_only = stem_tokens(term)
    native = None if verb_only else native_verb_stem(tokens[-1])
    words = [_token_pattern(t) for t in tokens]
    if native is not None:  # 올리다: 올리고, 올려, 올렸다, 올린 (never spaced: not a compound)
        words[-1] = re.escape(native[:-1]) + conjugated_last_syllable(native)
    if len(words) > 1:  # the first word may be a gloss: (AI) 기본법
        words[0] = f"(?:(?<=\\(){words[0]}\\)|{words[0]})"
    body = f"{_QUOTE}{_GLOSS}{_SEP}*{_QUOTE}".join(words)
    first, last = tokens[0][0], tokens[-1][-1]
    hangul_left, hangul_right = is_hangul(first), is_hangul(last)
    if hangul_left:
        left = f"(?<![{HANGUL}])"
    elif is_latin(first):
        left = f"(?<![{LATIN_WORD}])"
    else:
        left = ""
    verbs = "|".join(VERB_STARTS)
    if hangul_right and (lax_korean_end or native is not None):
        right = f"[{HANGUL}]*"  # a native verb's ending was checked by its own pattern
    elif hangul_right and verb_only:
        right = f"(?:{verbs})[{HANGUL}]*"
    elif hangul_right:
        particles = "|".join(PARTICLES)
        # a noun suffix (안전성, 오픈소스화, 공개적) may come first; then up to three particles;
        # or a verb, also of a noun made a process (오픈소스화했다, 오픈소스화된)
        right = (
            f"(?:{VERB_NOUN_SUFFIX}?(?:{verbs})[{HANGUL}]*"
            f"|(?:{NOUN_SUFFIXES})?(?:{particles}){{0,3}})(?![{HANGUL}])"
        )
    elif is_latin(last):
        right = f"(?![{LATIN_WORD}])"
    else:
        right = ""
    # Case-blind only inside the term itself: under a global IGNORECASE, `re` case-folds every
    # code point of each Hangul class around it (~2.5x the compile time, nothing to fold).
    core = body if is_acronym(term) else f"(?i:{body})"
    own = f"{'' if hangul_left else left}(?P<core>{core}){'' if hangul_right else right}"
    return TermPattern(
        f"{left}(?P<core>{core}){right}",
        re.compile(own),
        hangul_left,
        shared_tail(right) if hangul_right else None,
        (raw, lax_korean_end),
    )


def is_acronym(term: str) -> bool:
    """All-capital Latin letters (FTC, AISI) and no Hangul: matched exactly, never case-blind."""
    term = normalise_for_matching(term).strip()
    letters = [c for c in term if c.isalpha() and c.isascii()]
    return (
        len(letters) >= 2
        and all(c.isupper() for c in letters)
        and not any(is_hangul(c) for c in term)
    )
