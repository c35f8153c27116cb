"""Topic rules from `topics.yaml` and the matcher that applies them to an article.

A rule file lists, per topic, terms per language. A term is a word or phrase (`open weights`,
`오픈소스`), or a small expression (format version 2):

- ``a | b | c``: any of these (one term: it scores once, however many of them occur);
- ``a NEAR/5 b``: a and b within 5 words of each other, in either order (``NEAR/20c``: 20
  characters); each side may be an ``|`` group, in parentheses or not;
- ``title: a``: only a hit in the title counts;
- ``a NOT b``: a counts unless b occurs anywhere in the article (the topic's `exclude` list
  vetoes the whole topic instead);
- ``re: PATTERN``: a Python regular expression, validated when the file is loaded;
- ``"..."``: quotes keep a word such as NEAR, NOT or ``|`` literal.

Latin-script terms respect word boundaries (``AI`` is not in "said") and all-capital acronyms are
case-sensitive; Korean terms may carry particles and verb endings (오픈소스를, 공개했다; a term in
dictionary form such as 공개하다 matches its conjugations) but must begin a word and must not run
on into another noun. Optionally (``korean: kiwi``) the kiwipiepy morphological analyser decides
where a Korean word's stem ends instead of the built-in suffix lists.

All terms of all topics are found in one pass per field: an Aho-Corasick automaton over the
lower-cased first word of every term proposes candidates, and each term's compiled pattern
confirms it at that position. Every match keeps its evidence (terms, fields, positions, counts and
a snippet), so an alert can say why it was sent.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import ahocorasick

from newsmon.yamlfile import LocatedYaml, load_yaml

Field = Literal["title", "body"]
FIELDS: tuple[Field, ...] = ("title", "body")

HANGUL = "\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f"
_LATIN_WORD = "A-Za-z0-9"
_HANGUL_RE = re.compile(f"[{HANGUL}]")
_LATIN_RE = re.compile(f"[{_LATIN_WORD}]")
# Particles (조사) and copula forms a noun can carry; up to two may stack (에서+는, 와+의).
PARTICLES = sorted(
    {
        "이",
        "가",
        "을",
        "를",
        "은",
        "는",
        "의",
        "에",
        "에서",
        "서",  # 에서 shortened, as titles write it (평가서 1위)
        "에게",
        "께",
        "한테",
        "로",
        "으로",
        "로서",
        "으로서",
        "로써",
        "으로써",
        "와",
        "과",
        "도",
        "만",
        "까지",
        "부터",
        "보다",
        "처럼",
        "마저",
        "조차",
        "이나",
        "나",
        "이란",
        "란",
        "이라는",
        "라는",
        "이라고",
        "라고",
        "이며",
        "며",
        "이고",
        "이다",
        "다",
        "이었다",
        "였다",
        "입니다",
        "이자",
        "이라",
        "라",
        "인",
        "들",
        "랑",
        "이랑",
        "께서",
        "에는",
        "이든",
        "든",
        "이야",
        "야",
        "요",
        "측",
        "쪽",
        "대로",
        "마다",
        "밖에",
    },
    key=len,
    reverse=True,
)
# Derivational noun suffixes (접미사): 안전성 (safety), 오픈소스화 (open-sourcing), 공개적 (public).
NOUN_SUFFIXES = "성|화|적"
# A noun turned verb or adjective (공개 → 공개했다, 공개된): these starts, then any ending.
VERB_STARTS = (
    "하",
    "한",
    "할",
    "함",
    "해",
    "했",
    "되",
    "된",
    "될",
    "됨",
    "돼",
    "됐",
    "시키",
    "시킨",
    "당하",  # passive: 조종당할, 악용당한
    "당한",
    "당할",
    "당해",
    "당했",
)
# Dictionary forms: a term written 공개하다 matches the stem 공개 followed by a verb ending.
DICTIONARY_ENDINGS = ("하다", "되다", "시키다")
TITLE_WEIGHT = 3
BODY_WEIGHT = 1
BODY_CAP = 3
STRONG_WEIGHT = 3
SNIPPET_RADIUS = 90
NEAR_WORD_CHARS = 25  # NEAR/n in words also needs the gap under 25 * (n + 1) characters
MATCHED_CHARS = 80  # TermHit.matched is cut to this
OR_GAP = 2  # alternatives of one term this close together (a bracket) count as one mention
TOPIC_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LANGS = ("en", "ko")
VERSIONS = (1, 2)
KOREAN_MODES = ("suffix", "kiwi")
_SEP = r"[\s\-\u2010-\u2015]"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# kiwipiepy tags after which a stem may end: particles, endings, suffixes, copula.
_KIWI_FOLLOWERS = ("J", "E", "XS", "VCP", "VCN")


def normalise_for_matching(text: str) -> str:
    """NFKC folds full-width letters (ＡＩ) and compatibility jamo; lengths may change."""
    return unicodedata.normalize("NFKC", text)


def _lower_same_length(text: str) -> str:
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


def _is_hangul(ch: str) -> bool:
    return bool(_HANGUL_RE.match(ch))


def _is_latin(ch: str) -> bool:
    return bool(_LATIN_RE.match(ch))


def _tokens(term: str) -> list[str]:
    # Korean text spaces Latin/Hangul junctions freely (AI안전연구소, AI 안전연구소).
    spaced = re.sub(
        f"(?<=[{_LATIN_WORD}])(?=[{HANGUL}])|(?<=[{HANGUL}])(?=[{_LATIN_WORD}])", " ", term
    )
    return [t for t in re.split(r"[\s\-\u2010-\u2015]+", spaced) if t]


def _stem_tokens(term: str) -> tuple[list[str], bool]:
    """The term's words, a dictionary-form verb (공개하다) cut to its stem; and whether it was."""
    tokens = _tokens(term)
    if not tokens or not any(c.isalnum() for c in term):
        raise ValueError(f"term {term!r} has no letters")
    last_token = tokens[-1]
    for ending in DICTIONARY_ENDINGS:
        if last_token.endswith(ending) and len(last_token) > len(ending):
            return [*tokens[:-1], last_token[: -len(ending)]], True
    return tokens, False


def compile_term(term: str, *, lax_korean_end: bool = False) -> re.Pattern[str]:
    """Regex for one word or phrase, with boundaries chosen by the script at each end.

    The group ``core`` is the term itself, without the particle or ending it carries.
    With `lax_korean_end`, a Korean term may be followed by any Hangul (an analyser decides).
    """
    term = normalise_for_matching(term).strip()
    if not term:
        raise ValueError("empty term")
    tokens, verb_only = _stem_tokens(term)
    body = f"{_SEP}*".join(re.escape(t) for t in tokens)
    first, last = tokens[0][0], tokens[-1][-1]
    if _is_hangul(first):
        left = f"(?<![{HANGUL}])"
    elif _is_latin(first):
        left = f"(?<![{_LATIN_WORD}])"
    else:
        left = ""
    verbs = "|".join(VERB_STARTS)
    if _is_hangul(last) and lax_korean_end:
        right = f"[{HANGUL}]*"
    elif _is_hangul(last) and verb_only:
        right = f"(?:{verbs})[{HANGUL}]*"
    elif _is_hangul(last):
        particles = "|".join(PARTICLES)
        # a noun suffix (안전성, 오픈소스화, 공개적) may come first; then up to three particles
        right = (
            f"(?:(?:{verbs})[{HANGUL}]*|(?:{NOUN_SUFFIXES})?(?:{particles}){{0,3}})(?![{HANGUL}])"
        )
    elif _is_latin(last):
        right = f"(?![{_LATIN_WORD}])"
    else:
        right = ""
    letters = [c for c in term if c.isalpha() and c.isascii()]
    acronym = (
        len(letters) >= 2
        and all(c.isupper() for c in letters)
        and not any(_is_hangul(c) for c in term)
    )
    flags = 0 if acronym else re.IGNORECASE
    return re.compile(f"{left}(?P<core>{body}){right}", flags)


# --- the rule model ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Atom:
    """One word, phrase or regex that the matcher looks for."""

    text: str
    pattern: re.Pattern[str]
    key: str | None  # lower-cased first word, for the automaton; None for a regex
    korean_end: bool = False  # ends in Hangul: a particle or ending may follow
    single_word: bool = False  # one word: nothing may follow the key


@dataclass(frozen=True)
class Term:
    """One entry of a topic's `terms`, `strong` or `exclude` list."""

    text: str  # as written in the file: what explanations show
    lang: str
    pattern: re.Pattern[str]  # the first alternative's pattern (kept for callers of v1)
    atoms: tuple[Atom, ...] = ()  # any of these
    near: tuple[Atom, ...] = ()  # ... within `distance` of any of these
    distance: int = 0
    unit: Literal["words", "chars"] = "words"
    title_only: bool = False
    unless: tuple[Atom, ...] = ()  # the term counts only if none of these is in the article


@dataclass(frozen=True)
class Weights:
    title: int = TITLE_WEIGHT
    body: int = BODY_WEIGHT
    body_cap: int = BODY_CAP
    strong: int = STRONG_WEIGHT


@dataclass(frozen=True)
class TopicRule:
    key: str
    label: str
    min_score: int
    terms: tuple[Term, ...]
    strong: tuple[Term, ...] = ()
    exclude: tuple[Term, ...] = ()
    weights: Weights = field(default_factory=Weights)
    requires: tuple[Term, ...] = ()  # at least one must occur, else the topic cannot match


@dataclass(frozen=True)
class TermHit:
    term: str  # the rule entry as written
    field: Field
    position: int  # of the first occurrence, in the NFKC-normalised field
    count: int
    matched: str = ""  # the text of the first occurrence ("open-weight model", "딥시크가")

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "term": self.term,
            "field": self.field,
            "position": self.position,
            "count": self.count,
        }
        if self.matched:
            out["matched"] = self.matched
        return out


@dataclass(frozen=True)
class TopicMatch:
    topic: str
    score: int
    hits: tuple[TermHit, ...]
    snippet: str

    @property
    def terms(self) -> list[str]:
        seen: dict[str, None] = {}
        for hit in self.hits:
            seen.setdefault(hit.term, None)
        return list(seen)


@dataclass(frozen=True)
class Rules:
    topics: tuple[TopicRule, ...]
    version: str  # hash of the rule file, recorded with each match so replays can tell rules apart
    labels: dict[str, str] = field(default_factory=dict)
    korean: str = "suffix"  # or "kiwi": kiwipiepy decides where a Korean stem ends
    _matcher: list[Matcher] = field(default_factory=list, compare=False, repr=False)

    @property
    def matcher(self) -> Matcher:
        if not self._matcher:
            self._matcher.append(Matcher(self.topics, self.korean))
        return self._matcher[0]

    def classify(self, title: str | None, body: str | None) -> list[TopicMatch]:
        return classify(self, title, body)


# --- parsing rule expressions --------------------------------------------------------------------

_TOKEN = re.compile(
    r'\s*(?:"(?P<quoted>[^"]*)"|(?P<op>\||\(|\)|NEAR/\d+c?(?=[\s("]|$)|NOT(?=[\s("]|$))'
    r'|(?P<word>[^\s|()"]+))'
)
_NEAR = re.compile(r"NEAR/(\d+)(c?)")


def _lex(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read {text[pos:]!r}")
        pos = m.end()
        if m.group("quoted") is not None:
            out.append(("word", m.group("quoted")))
        elif m.group("op") is not None:
            out.append(("op", m.group("op")))
        else:
            out.append(("word", m.group("word")))
    return out


def _group(tokens: list[tuple[str, str]], what: str) -> list[str]:
    """`a | b c | (d)` → ["a", "b c", "d"]; parentheses around the whole group are optional."""
    if tokens and tokens[0] == ("op", "(") and tokens[-1] == ("op", ")"):
        tokens = tokens[1:-1]
    phrases: list[str] = []
    words: list[str] = []
    for kind, value in tokens:
        if kind == "op" and value == "|":
            if not words:
                raise ValueError(f"an empty alternative in {what}")
            phrases.append(" ".join(words))
            words = []
        elif kind == "op":
            raise ValueError(f"unexpected {value!r} in {what} (no nesting: one level of ( | ))")
        else:
            words.append(value)
    if not words:
        raise ValueError(f"{what} is empty" if not phrases else f"an empty alternative in {what}")
    phrases.append(" ".join(words))
    return phrases


def _atom(text: str, lax_korean: bool) -> Atom:
    pattern = compile_term(text, lax_korean_end=lax_korean)
    tokens, _ = _stem_tokens(normalise_for_matching(text).strip())
    return Atom(
        text,
        pattern,
        _lower_same_length(tokens[0]),
        _is_hangul(tokens[-1][-1]),
        len(tokens) == 1,
    )


def _regex_atom(source: str) -> Atom:
    source = source.strip()
    if not source:
        raise ValueError("re: needs a pattern")
    try:
        pattern = re.compile(source)
    except re.error as exc:
        raise ValueError(f"invalid regex {source!r}: {exc}") from None
    if pattern.search("") is not None:
        raise ValueError(f"regex {source!r} matches the empty string: it would match everything")
    return Atom(f"re:{source}", pattern, None)


def parse_term(text: str, lang: str, *, expressions: bool = True, lax_korean: bool = False) -> Term:
    """Parse one entry of a rule list; raises ValueError with a reason a person can act on."""
    raw = text
    text = text.strip()
    if not text:
        raise ValueError("a term must be a non-empty string")
    if not expressions:  # format version 1: every entry is a plain word or phrase
        atom = _atom(text, lax_korean)
        return Term(text, lang, atom.pattern, (atom,))
    title_only = False
    if text.startswith("title:"):
        title_only, text = True, text[len("title:") :].strip()
    if text.startswith("re:"):
        atom = _regex_atom(text[3:])
        return Term(raw.strip(), lang, atom.pattern, (atom,), title_only=title_only)
    tokens = _lex(text)
    nots = [i for i, t in enumerate(tokens) if t == ("op", "NOT")]
    unless: tuple[Atom, ...] = ()
    if len(nots) > 1:
        raise ValueError("at most one NOT per term (group the exceptions: a NOT (b | c))")
    if nots:
        after = tokens[nots[0] + 1 :]
        if not after:
            raise ValueError("NOT needs a term after it")
        unless = tuple(_atom(p, lax_korean) for p in _group(after, "the NOT part"))
        tokens = tokens[: nots[0]]
    nears = [i for i, t in enumerate(tokens) if t[0] == "op" and t[1].startswith("NEAR/")]
    near: tuple[Atom, ...] = ()
    distance, unit = 0, "words"
    if len(nears) > 1:
        raise ValueError("at most one NEAR per term")
    if nears:
        m = _NEAR.fullmatch(tokens[nears[0]][1])
        assert m is not None
        distance, unit = int(m.group(1)), ("chars" if m.group(2) else "words")
        right = tokens[nears[0] + 1 :]
        if not right or not tokens[: nears[0]]:
            raise ValueError("NEAR needs a term on both sides")
        near = tuple(_atom(p, lax_korean) for p in _group(right, "the right side of NEAR"))
        tokens = tokens[: nears[0]]
    if not tokens:
        raise ValueError("nothing to match before NOT")
    atoms = tuple(_atom(p, lax_korean) for p in _group(tokens, "the term"))
    return Term(
        raw.strip(),
        lang,
        atoms[0].pattern,
        atoms,
        near,
        distance,
        unit,  # type: ignore[arg-type]
        title_only,
        unless,
    )


# --- matching ------------------------------------------------------------------------------------

Span = tuple[int, int, int]  # start, end, end of the term itself (before a particle or ending)

_KIWI: list[Any] = []
_KIWI_LOCK = threading.Lock()


def kiwi_available() -> bool:
    try:
        import kiwipiepy  # noqa: F401
    except ImportError:
        return False
    return True


def get_kiwi() -> Any:
    """The process's one kiwipiepy analyser (about 2.5 s and 500 MB to load: done once)."""
    with _KIWI_LOCK:
        if not _KIWI:
            from kiwipiepy import Kiwi

            _KIWI.append(Kiwi())
        return _KIWI[0]


def _stem_ends(text: str) -> dict[int, bool]:
    """Analyser view of `text`: for each morpheme start, whether that morpheme may follow a stem."""
    out: dict[int, bool] = {}
    for token in reversed(get_kiwi().tokenize(text)):  # the first morpheme at a start wins
        out[token.start] = token.tag.startswith(_KIWI_FOLLOWERS)
    return out


_LATIN_LEFT, _HANGUL_LEFT = 1, 2


class Matcher:
    """Finds every atom of every topic in one pass per field."""

    def __init__(self, topics: Sequence[TopicRule], korean: str = "suffix") -> None:
        self.topics = tuple(topics)
        self.korean = korean
        self.atoms: list[Atom] = []
        index: dict[tuple[str, str], int] = {}
        self.regex_ids: list[int] = []
        by_key: dict[str, list[int]] = {}
        # per term (by identity): ids of its atoms, of its NEAR side, of its NOT side
        self.plans: dict[int, tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = {}
        self.users: dict[int, list[int]] = {}  # atom id -> the terms (by identity) built on it
        for topic in topics:
            for term in (*topic.terms, *topic.strong, *topic.exclude, *topic.requires):
                ids: list[tuple[int, ...]] = []
                for group in (term.atoms, term.near, term.unless):
                    group_ids: list[int] = []
                    for atom in group:
                        ident = (atom.text, atom.pattern.pattern)
                        if ident not in index:
                            index[ident] = len(self.atoms)
                            self.atoms.append(atom)
                            if atom.key is None:
                                self.regex_ids.append(index[ident])
                            else:
                                by_key.setdefault(atom.key, []).append(index[ident])
                        group_ids.append(index[ident])
                    ids.append(tuple(group_ids))
                self.plans[id(term)] = (ids[0], ids[1], ids[2])
                for i in ids[0]:
                    self.users.setdefault(i, []).append(id(term))
        self._id = index
        self.match_at = [a.pattern.match for a in self.atoms]
        # One plain Latin word needs no regex: the boundaries are checked by hand below, and an
        # acronym by comparing the exact text (`None`: run the atom's pattern).
        self.plain: list[str | None] = [None] * len(self.atoms)
        self.exact: list[bool] = [False] * len(self.atoms)
        for i, a in enumerate(self.atoms):
            if a.key and a.single_word and a.key.isascii() and a.key.isalnum():
                self.plain[i] = _stem_tokens(normalise_for_matching(a.text).strip())[0][0]
                self.exact[i] = not a.pattern.flags & re.IGNORECASE
        self.automaton: Any = ahocorasick.Automaton()
        for key, ids_ in by_key.items():
            # A cheap test of the left boundary (the key's first letter decides) before any regex.
            left = _LATIN_LEFT if _is_latin(key[0]) else _HANGUL_LEFT if _is_hangul(key[0]) else 0
            # ... and of the right one, when every atom on this key is just this one Latin word.
            whole_word = _is_latin(key[-1]) and all(self.atoms[i].single_word for i in ids_)
            self.automaton.add_word(key, (len(key), left, whole_word, tuple(ids_)))
        if by_key:
            self.automaton.make_automaton()
        self.has_keys = bool(by_key)

    def __reduce__(self) -> tuple[Any, ...]:
        # Plans are keyed by the identity of term objects: rebuild them after unpickling.
        return (Matcher, (self.topics, self.korean))

    def atom_id(self, atom: Atom) -> int:
        return self._id[(atom.text, atom.pattern.pattern)]

    def find(self, text: str) -> dict[int, list[Span]]:
        """Every occurrence of every atom in `text`, non-overlapping per atom, in order."""
        found: dict[int, list[Span]] = {}
        if not text:
            return found
        if self.has_keys:
            lowered = _lower_same_length(text)
            last_end = [0] * len(self.atoms)
            match, plain, exact = self.match_at, self.plain, self.exact
            size = len(text)
            for end, (length, left, whole_word, ids) in self.automaton.iter(lowered):
                if whole_word and end + 1 < size:
                    after = text[end + 1]
                    if after.isascii() and after.isalnum():
                        continue
                start = end - length + 1
                if start and left:
                    before = text[start - 1]
                    if left == _LATIN_LEFT:
                        if before.isascii() and before.isalnum():
                            continue
                    else:
                        o = ord(before)
                        if 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
                            continue
                after_is_latin: bool | None = None
                for i in ids:
                    if start < last_end[i]:
                        continue
                    word = plain[i]
                    if word is not None:
                        if after_is_latin is None:
                            nxt = text[end + 1] if end + 1 < size else ""
                            after_is_latin = nxt.isascii() and nxt.isalnum()
                        if after_is_latin or (exact[i] and text[start : end + 1] != word):
                            continue
                        found.setdefault(i, []).append((start, end + 1, end + 1))
                        last_end[i] = end + 1
                        continue
                    m = match[i](text, start)
                    if m is not None:
                        found.setdefault(i, []).append((start, m.end(), m.end("core")))
                        last_end[i] = m.end()
        for i in self.regex_ids:
            spans = [(m.start(), m.end(), m.end()) for m in self.atoms[i].pattern.finditer(text)]
            if spans:
                found[i] = spans
        if self.korean == "kiwi" and found and _HANGUL_RE.search(text):
            found = self._confirm_with_kiwi(text, found)
        return found

    def _confirm_with_kiwi(self, text: str, found: dict[int, list[Span]]) -> dict[int, list[Span]]:
        """Keep a Korean hit only where the analyser says the term's stem ends."""
        stems: dict[int, bool] | None = None
        out: dict[int, list[Span]] = {}
        for i, spans in found.items():
            atom = self.atoms[i]
            if not atom.korean_end:
                out[i] = spans
                continue
            kept: list[Span] = []
            for start, end, core_end in spans:
                if core_end == end:
                    kept.append((start, end, core_end))
                    continue
                if stems is None:
                    stems = _stem_ends(text)
                if stems.get(core_end):
                    kept.append((start, end, core_end))
            if kept:
                out[i] = kept
        return out


class _Field:
    """One field's text and what the matcher found in it."""

    __slots__ = ("found", "groups", "text")

    def __init__(self, text: str, found: dict[int, list[Span]]) -> None:
        self.text = text
        self.found = found
        self.groups: dict[tuple[int, ...], list[Span]] = {}  # `|` groups, merged, by atom ids

    def words_between(self, lo: int, hi: int, limit: int) -> int:
        """Words in text[lo:hi], counting at most `limit` + 1 of them."""
        if hi <= lo:
            return 0
        gap = self.text[lo:hi]
        n = len(gap.split(maxsplit=limit + 1))
        if not gap[0].isspace():  # the tail of the first term's word ("AI's")
            n -= 1
        if n > 0 and not gap[-1].isspace():  # the head of the second term's word
            n -= 1
        return max(0, n)


def _near_spans(
    field: _Field, left: list[Span], right: list[Span], distance: int, unit: str
) -> list[Span]:
    """Pairs of a left and a right occurrence close enough together, one per occurrence."""
    if len(right) < len(left):  # NEAR is symmetric: walk the shorter list, bisect the longer
        left, right = right, left
    starts = [b[0] for b in right]
    max_chars = distance if unit == "chars" else (distance + 1) * NEAR_WORD_CHARS
    out: list[Span] = []
    for a in left:
        i = bisect_left(starts, a[0])
        for j in (i, i - 1, i + 1, i - 2):
            if not 0 <= j < len(right) or right[j] == a:
                continue
            b = right[j]
            first, second = (a, b) if a[0] <= b[0] else (b, a)
            gap = second[0] - first[1]
            if gap > max_chars:
                continue
            if (
                unit == "words"
                and gap > 0
                and field.words_between(first[1], second[0], distance) > distance
            ):
                continue
            out.append((first[0], max(a[1], b[1]), max(a[2], b[2])))
            break
    out.sort()
    return out


def _spans_of(ids: tuple[int, ...], field: _Field) -> list[Span]:
    found = field.found
    if len(ids) == 1:
        return found.get(ids[0], [])
    cached = field.groups.get(ids)
    if cached is not None:
        return cached
    spans: list[Span] = []
    for i in ids:
        spans.extend(found.get(i, ()))
    if not spans:
        field.groups[ids] = spans
        return spans
    spans.sort()
    # Alternatives that touch are one mention: 깃허브(GitHub), "AI (인공지능)".
    merged: list[Span] = []
    for span in spans:
        if merged and span[0] <= merged[-1][1] + OR_GAP:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], span[1]), max(last[2], span[2]))
        else:
            merged.append(span)
    field.groups[ids] = merged
    return merged


def term_spans(
    matcher: Matcher, term: Term, fields: dict[Field, _Field]
) -> dict[Field, list[Span]]:
    """Where `term` occurs, per field (fields without an occurrence are left out)."""
    atoms, near, unless = matcher.plans[id(term)]
    if unless and any(_spans_of(unless, f) for f in fields.values()):
        return {}
    out: dict[Field, list[Span]] = {}
    for name in ("title",) if term.title_only else FIELDS:
        field_ = fields[name]
        spans = _spans_of(atoms, field_)
        if spans and near:
            others = _spans_of(near, field_)
            spans = _near_spans(field_, spans, others, term.distance, term.unit) if others else []
        if spans:
            out[name] = spans
    return out


def _snippet(text: str, start: int, end: int) -> str:
    lo = max(0, start - SNIPPET_RADIUS)
    hi = min(len(text), end + SNIPPET_RADIUS)
    if lo > 0:
        space = text.find(" ", lo, start)
        lo = space + 1 if space != -1 else lo
    if hi < len(text):
        space = text.rfind(" ", end, hi)
        hi = space if space != -1 else hi
    piece = re.sub(r"\s+", " ", text[lo:hi]).strip()
    return ("…" if lo > 0 else "") + piece + ("…" if hi < len(text) else "")


@dataclass(frozen=True)
class TopicScoreDetail:
    """How one topic scored on one article, matched or not: what `newsmon classify` shows."""

    topic: str
    score: int
    min_score: int
    hits: tuple[TermHit, ...]
    snippet: str
    vetoed_by: str | None = None  # the exclude term that vetoed the topic, or missing context

    @property
    def matched(self) -> bool:
        return self.vetoed_by is None and self.score >= self.min_score and bool(self.hits)


def explain(
    rules: Rules, title: str | None, body: str | None, *, all_snippets: bool = True
) -> list[TopicScoreDetail]:
    """Every topic's score and evidence on this article, in rule order.

    Without `all_snippets`, only topics that match get a snippet (what `classify` needs).
    """
    fields: dict[Field, str] = {
        "title": normalise_for_matching(title or ""),
        "body": normalise_for_matching(body or ""),
    }
    matcher = rules.matcher
    found = {name: _Field(text, matcher.find(text)) for name, text in fields.items()}
    # Only terms built on an atom that occurs can have spans: skip the rest cheaply.
    active = {t for f in found.values() for i in f.found for t in matcher.users.get(i, ())}
    results: list[TopicScoreDetail] = []
    for topic in rules.topics:
        veto = next(
            (t.text for t in topic.exclude if id(t) in active and term_spans(matcher, t, found)),
            None,
        )
        if (
            veto is None
            and topic.requires
            and not any(id(t) in active and term_spans(matcher, t, found) for t in topic.requires)
        ):
            veto = "requires: none of its context terms occurs"
        w = topic.weights
        score = 0
        hits: list[TermHit] = []
        # The snippet comes from the body when it can: the title is shown in the alert anyway.
        best: dict[Field, tuple[int, int, int]] = {}  # field -> (weight, start, end)
        for kind, terms in (("term", topic.terms), ("strong", topic.strong)):
            for term in terms:
                if id(term) not in active:
                    continue
                term_score = 0
                for name, spans in term_spans(matcher, term, found).items():
                    first = spans[0]
                    surface = " ".join(fields[name][first[0] : first[1]].split())[:MATCHED_CHARS]
                    hits.append(TermHit(term.text, name, first[0], len(spans), surface))
                    if kind == "strong":
                        gain = w.strong
                        term_score = w.strong  # decisive once, wherever it stands
                    else:
                        gain = w.title if name == "title" else min(len(spans), w.body_cap) * w.body
                        term_score += gain
                    current = best.get(name)
                    if current is None or (gain, -first[0]) > (current[0], -current[1]):
                        best[name] = (gain, first[0], first[1])
                score += term_score
        snippet = ""
        if best and (all_snippets or (veto is None and score >= topic.min_score)):
            name = "body" if "body" in best else "title"
            _, start, end = best[name]
            snippet = _snippet(fields[name], start, end)
        hits.sort(key=lambda h: (h.field != "title", h.position))
        results.append(
            TopicScoreDetail(
                topic.key,
                score,
                topic.min_score,
                tuple(hits),
                snippet,
                veto,
            )
        )
    return results


def classify(rules: Rules, title: str | None, body: str | None) -> list[TopicMatch]:
    return [
        TopicMatch(d.topic, d.score, d.hits, d.snippet)
        for d in explain(rules, title, body, all_snippets=False)
        if d.matched
    ]


# --- loading -------------------------------------------------------------------------------------

TOPIC_KEYS = {"label", "min_score", "weights", "terms", "strong", "exclude", "requires"}
WEIGHT_KEYS = {"title", "body", "body_cap", "strong"}


def _terms(
    doc: LocatedYaml,
    loc: tuple[str | int, ...],
    value: object,
    *,
    expressions: bool,
    lax_korean: bool,
) -> tuple[Term, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise doc.error(loc, "must map a language (en, ko) to a list of terms")
    out: list[Term] = []
    for lang, items in value.items():
        if lang not in LANGS:
            raise doc.error((*loc, lang), f"unknown language; use one of {', '.join(LANGS)}")
        if not isinstance(items, list):
            raise doc.error((*loc, lang), "must be a list of terms")
        for i, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                raise doc.error((*loc, lang, i), "a term must be a non-empty string")
            try:
                out.append(parse_term(item, lang, expressions=expressions, lax_korean=lax_korean))
            except (ValueError, re.error) as exc:
                raise doc.error((*loc, lang, i), f"bad term {item!r}: {exc}") from None
    return tuple(out)


def _locate(doc: LocatedYaml, loc: tuple[str | int, ...], spec: dict[str, Any], term: Term) -> Any:
    for part in ("terms", "strong", "exclude"):
        for lang, items in (spec.get(part) or {}).items():
            for i, item in enumerate(items):
                if isinstance(item, str) and item.strip() == term.text:
                    return (*loc, part, lang, i)
    return loc


def _inside(outer: Atom, inner: Atom) -> bool:
    """Does every occurrence of `outer` contain an occurrence of `inner`?"""
    if outer.key is None or inner.key is None:
        return False
    text = normalise_for_matching(outer.text)
    return inner.pattern.search(text) is not None


def _check_can_match(
    doc: LocatedYaml, loc: tuple[str | int, ...], spec: dict[str, Any], topic: TopicRule
) -> None:
    """Refuse rules that can never count: vetoed by their own topic or their own NOT part."""
    for term in (*topic.terms, *topic.strong):
        for atom in term.atoms:
            for veto in term.unless:
                if _inside(atom, veto):
                    raise doc.error(
                        _locate(doc, loc, spec, term),
                        f"term {term.text!r} can never match: its NOT part {veto.text!r} "
                        "occurs in every match",
                    )
            for ex in topic.exclude:
                if (
                    len(term.atoms) == 1
                    and not ex.near
                    and not ex.unless
                    and not ex.title_only
                    and any(_inside(atom, e) for e in ex.atoms)
                ):
                    raise doc.error(
                        _locate(doc, loc, spec, term),
                        f"term {term.text!r} can never match: exclude {ex.text!r} vetoes "
                        "every article that has it",
                    )
    w = topic.weights
    best = sum(
        w.title + (0 if t.title_only else w.body * w.body_cap) for t in topic.terms
    ) + w.strong * len(topic.strong)
    if best < topic.min_score:
        raise doc.error(
            (*loc, "min_score"),
            f"can never be reached: all terms together score at most {best}",
        )


def _int(doc: LocatedYaml, loc: tuple[str | int, ...], value: object, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise doc.error(loc, f"must be a whole number >= {minimum}")
    return value


def load_rules(path: Path, *, korean: str | None = None) -> Rules:
    """Load and validate topic rules; a bad rule fails here naming file, line and reason.

    `korean` overrides the file's `korean:` setting ("suffix" or "kiwi").
    """
    doc = load_yaml(path)
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("topics"), dict):
        raise doc.error(("topics",), "the file must have a 'topics' mapping")
    unknown = set(data) - {"version", "korean", "topics"}
    if unknown:
        raise doc.error((sorted(unknown)[0],), "unknown key")
    version = data.get("version", 1)
    if version not in VERSIONS:
        raise doc.error(("version",), "versions 1 and 2 are understood")
    mode = korean or data.get("korean", "suffix")
    if mode not in KOREAN_MODES:
        raise doc.error(("korean",), f"must be one of {', '.join(KOREAN_MODES)}")
    if version == 1 and "korean" in data:
        raise doc.error(("korean",), "needs version: 2")
    if mode == "kiwi" and not kiwi_available():
        raise doc.error(
            ("korean",), "kiwi needs kiwipiepy: pip install 'newsmon[korean]' (or use suffix)"
        )
    expressions = version >= 2
    lax = mode == "kiwi"
    topics: list[TopicRule] = []
    for key, spec in data["topics"].items():
        loc: tuple[str | int, ...] = ("topics", key)
        if not TOPIC_KEY.match(key):
            raise doc.error(loc, "topic keys are lower-case words joined by '-'")
        if not isinstance(spec, dict):
            raise doc.error(loc, "a topic must be a mapping")
        allowed = TOPIC_KEYS if expressions else TOPIC_KEYS - {"weights", "requires"}
        extra = set(spec) - allowed
        if extra:
            raise doc.error((*loc, sorted(extra)[0]), "unknown key")
        weights = Weights()
        if "weights" in spec:
            wspec = spec["weights"]
            if not isinstance(wspec, dict):
                raise doc.error((*loc, "weights"), "must map title/body/body_cap/strong to numbers")
            bad = set(wspec) - WEIGHT_KEYS
            if bad:
                raise doc.error((*loc, "weights", sorted(bad)[0]), "unknown key")
            weights = Weights(
                **{k: _int(doc, (*loc, "weights", k), v, 0) for k, v in wspec.items()}
            )
        min_score = _int(doc, (*loc, "min_score"), spec.get("min_score", weights.title), 1)
        opts = {"expressions": expressions, "lax_korean": lax}
        terms = _terms(doc, (*loc, "terms"), spec.get("terms"), **opts)
        strong = _terms(doc, (*loc, "strong"), spec.get("strong"), **opts)
        if not terms and not strong:
            raise doc.error(loc, "a topic needs at least one term (terms or strong)")
        rule = TopicRule(
            key=key,
            label=str(spec.get("label") or key),
            min_score=min_score,
            terms=terms,
            strong=strong,
            exclude=_terms(doc, (*loc, "exclude"), spec.get("exclude"), **opts),
            weights=weights,
            requires=_terms(doc, (*loc, "requires"), spec.get("requires"), **opts),
        )
        _check_can_match(doc, loc, spec, rule)
        topics.append(rule)
    # The hash covers the analyser choice too: the same file can match differently with kiwi.
    hashed = {**data, "korean": mode} if mode != "suffix" else data
    canonical = json.dumps(hashed, sort_keys=True, ensure_ascii=False).encode()
    digest = hashlib.sha256(canonical).hexdigest()[:12]
    rules = Rules(tuple(topics), digest, {t.key: t.label for t in topics}, mode)
    rules.matcher  # noqa: B018 - build the automaton now, at start, not on the first article
    return rules
