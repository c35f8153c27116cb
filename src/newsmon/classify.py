"""Topic rules from `topics.yaml` and the matcher that applies them to an article.

Latin-script terms respect word boundaries (``AI`` is not in "said"); Korean terms may carry
particles and verb endings (오픈소스를, 공개했다) but must begin a word, so compounds are
listed explicitly in the rules. Every match keeps its evidence: terms, fields, positions and a
snippet, so an alert can say why it was sent.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from newsmon.yamlfile import LocatedYaml, load_yaml

Field = Literal["title", "body"]

HANGUL = "\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f"
_LATIN_WORD = "A-Za-z0-9"
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
    },
    key=len,
    reverse=True,
)
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
)
TITLE_WEIGHT = 3
BODY_CAP = 3
STRONG_WEIGHT = 3
SNIPPET_RADIUS = 90
TOPIC_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LANGS = ("en", "ko")


def normalise_for_matching(text: str) -> str:
    """NFKC folds full-width letters (ＡＩ) and compatibility jamo; lengths may change."""
    return unicodedata.normalize("NFKC", text)


def _is_hangul(ch: str) -> bool:
    return bool(re.match(f"[{HANGUL}]", ch))


def _is_latin(ch: str) -> bool:
    return bool(re.match(f"[{_LATIN_WORD}]", ch))


def compile_term(term: str) -> re.Pattern[str]:
    """Regex for one rule term, with boundaries chosen by the script at each end."""
    term = normalise_for_matching(term).strip()
    if not term:
        raise ValueError("empty term")
    # Korean text spaces Latin/Hangul junctions freely (AI안전연구소, AI 안전연구소).
    spaced = re.sub(
        f"(?<=[{_LATIN_WORD}])(?=[{HANGUL}])|(?<=[{HANGUL}])(?=[{_LATIN_WORD}])", " ", term
    )
    tokens = [t for t in re.split(r"[\s\-\u2010-\u2015]+", spaced) if t]
    if not tokens:
        raise ValueError(f"term {term!r} has no letters")
    body = r"[\s\-\u2010-\u2015]*".join(re.escape(t) for t in tokens)
    first, last = tokens[0][0], tokens[-1][-1]
    if _is_hangul(first):
        left = f"(?<![{HANGUL}])"
    elif _is_latin(first):
        left = f"(?<![{_LATIN_WORD}])"
    else:
        left = ""
    if _is_hangul(last):
        particles = "|".join(PARTICLES)
        verbs = "|".join(VERB_STARTS)
        right = f"(?:(?:{verbs})[{HANGUL}]*|(?:{particles}){{0,2}})(?![{HANGUL}])"
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
    return re.compile(f"{left}{body}{right}", flags)


@dataclass(frozen=True)
class Term:
    text: str
    lang: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class TopicRule:
    key: str
    label: str
    min_score: int
    terms: tuple[Term, ...]
    strong: tuple[Term, ...] = ()
    exclude: tuple[Term, ...] = ()


@dataclass(frozen=True)
class TermHit:
    term: str
    field: Field
    position: int
    count: int

    def as_dict(self) -> dict[str, object]:
        return {
            "term": self.term,
            "field": self.field,
            "position": self.position,
            "count": self.count,
        }


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

    def classify(self, title: str | None, body: str | None) -> list[TopicMatch]:
        return classify(self, title, body)


def _terms(doc: LocatedYaml, loc: tuple[str | int, ...], value: object) -> tuple[Term, ...]:
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
                out.append(Term(item.strip(), lang, compile_term(item)))
            except (ValueError, re.error) as exc:
                raise doc.error((*loc, lang, i), f"bad term {item!r}: {exc}") from None
    return tuple(out)


def load_rules(path: Path) -> Rules:
    """Load and validate topic rules; a bad rule fails here naming file, line and reason."""
    doc = load_yaml(path)
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("topics"), dict):
        raise doc.error(("topics",), "the file must have a 'topics' mapping")
    unknown = set(data) - {"version", "topics"}
    if unknown:
        raise doc.error((sorted(unknown)[0],), "unknown key")
    if data.get("version", 1) != 1:
        raise doc.error(("version",), "only version 1 is understood")
    topics: list[TopicRule] = []
    for key, spec in data["topics"].items():
        loc: tuple[str | int, ...] = ("topics", key)
        if not TOPIC_KEY.match(key):
            raise doc.error(loc, "topic keys are lower-case words joined by '-'")
        if not isinstance(spec, dict):
            raise doc.error(loc, "a topic must be a mapping")
        extra = set(spec) - {"label", "min_score", "terms", "strong", "exclude"}
        if extra:
            raise doc.error((*loc, sorted(extra)[0]), "unknown key")
        min_score = spec.get("min_score", TITLE_WEIGHT)
        if not isinstance(min_score, int) or isinstance(min_score, bool) or min_score < 1:
            raise doc.error((*loc, "min_score"), "must be a whole number >= 1")
        terms = _terms(doc, (*loc, "terms"), spec.get("terms"))
        strong = _terms(doc, (*loc, "strong"), spec.get("strong"))
        if not terms and not strong:
            raise doc.error(loc, "a topic needs at least one term (terms or strong)")
        topics.append(
            TopicRule(
                key=key,
                label=str(spec.get("label") or key),
                min_score=min_score,
                terms=terms,
                strong=strong,
                exclude=_terms(doc, (*loc, "exclude"), spec.get("exclude")),
            )
        )
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False).encode()
    version = hashlib.sha256(canonical).hexdigest()[:12]
    return Rules(tuple(topics), version, {t.key: t.label for t in topics})


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


def _find(term: Term, fields: dict[Field, str]) -> Iterable[tuple[Field, re.Match[str], int]]:
    for name, text in fields.items():
        matches = list(term.pattern.finditer(text))
        if matches:
            yield name, matches[0], len(matches)


def classify(rules: Rules, title: str | None, body: str | None) -> list[TopicMatch]:
    fields: dict[Field, str] = {
        "title": normalise_for_matching(title or ""),
        "body": normalise_for_matching(body or ""),
    }
    results: list[TopicMatch] = []
    for topic in rules.topics:
        if any(True for t in topic.exclude for _ in _find(t, fields)):
            continue
        score = 0
        hits: list[TermHit] = []
        # The snippet comes from the body when it can: the title is shown in the alert anyway.
        best: dict[Field, tuple[int, int, int]] = {}  # field -> (weight, start, end)
        for weight_kind, terms in (("term", topic.terms), ("strong", topic.strong)):
            for term in terms:
                term_score = 0
                for name, first, count in _find(term, fields):
                    hits.append(TermHit(term.text, name, first.start(), count))
                    if weight_kind == "strong":
                        gain = STRONG_WEIGHT
                        term_score = STRONG_WEIGHT  # decisive once, wherever it stands
                    else:
                        gain = TITLE_WEIGHT if name == "title" else min(count, BODY_CAP)
                        term_score += gain
                    current = best.get(name)
                    if current is None or (gain, -first.start()) > (current[0], -current[1]):
                        best[name] = (gain, first.start(), first.end())
                score += term_score
        if score >= topic.min_score and best:
            name = "body" if "body" in best else "title"
            _, start, end = best[name]
            hits.sort(key=lambda h: (h.field != "title", h.position))
            results.append(
                TopicMatch(topic.key, score, tuple(hits), _snippet(fields[name], start, end))
            )
    return results
