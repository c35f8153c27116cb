"""The records of the rule model and of its outcomes: atoms, terms, topics, hits, matches, vetoes.

Plain frozen dataclasses, built by `loader.py` from `topics.yaml` and read by the matcher and
scoring; nothing here parses, matches or scores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Literal, get_args

from newsmon.rules.termpattern import TermPattern

Field = Literal["title", "body"]
FIELDS: tuple[Field, ...] = get_args(Field)
Lang = Literal["en", "ko"]
LANGS: tuple[Lang, ...] = get_args(Lang)
KoreanMode = Literal["suffix", "kiwi"]  # kiwi: the kiwipiepy analyser decides where stems end
KOREAN_MODES: tuple[KoreanMode, ...] = get_args(KoreanMode)
TITLE_WEIGHT = 3
BODY_WEIGHT = 1
BODY_CAP = 3
STRONG_WEIGHT = 3
SHORT_WORDS = 100  # body weights are meant for full articles; shorter bodies count mentions more
LEDE_WEIGHT = 2  # a decisive term in the lede (the body's opening) says what the story is
LEDE_CHARS = 200
STORY_WORDS = 0  # 0: a long body's evidence is summed over the whole body, whatever it holds


@dataclass(frozen=True)
class Atom:
    """One word, phrase or regex that the matcher looks for."""

    text: str
    pattern: TermPattern | re.Pattern[str]  # a word or phrase; a ``re:`` pattern (RE2)
    key: str | None  # lower-cased first word (its head before a possible space); None: regex
    korean_end: bool = False  # ends in Hangul: a particle or ending may follow
    single_word: bool = False  # one word: nothing may follow the key


@dataclass(frozen=True)
class Term:
    """One entry of a topic's `terms`, `strong`, `exclude` or `requires` list."""

    text: str  # as written in the file: what explanations show
    lang: str
    atoms: tuple[Atom, ...] = ()  # any of these
    near: tuple[Atom, ...] = ()  # ... within `distance` of any of these
    distance: int = 0
    unit: Literal["words", "chars"] = "words"
    title_only: bool = False
    unless: tuple[Atom, ...] = ()  # the term counts only if none of these is in the article
    generic: bool = False  # `generic:`: a common noun, never counted more in a short body
    specific: bool = False  # `specific:`: a NEAR pair that names the topic, decisive as a phrase


@dataclass(frozen=True)
class Weights:
    """What a hit is worth: in the title, per body mention (at most `body_cap` mentions per
    term), a strong term once. In a body of n < `short_words` words (a feed summary, a digest
    line) each mention of a decisive term counts `short_words // n` times: one mention in a
    30-word summary is worth three in a full article (0 turns this off). A decisive term whose
    first mention stands in the lede (the body's first `lede_chars` characters: the sentence a
    reporter opens with) counts that mention `lede` instead of `body`: the lede says what the
    story is about, a later mention may be in passing (lede = body turns this off). A body of
    at least `story_words` words that is a list of stories (a digest: `stories.py`) scores its
    body evidence per story, the best story's alone (0 turns this off)."""

    title: int = TITLE_WEIGHT
    body: int = BODY_WEIGHT
    body_cap: int = BODY_CAP
    strong: int = STRONG_WEIGHT
    short_words: int = SHORT_WORDS
    lede: int = LEDE_WEIGHT
    lede_chars: int = LEDE_CHARS
    story_words: int = STORY_WORDS

    def mentions_per_hit(self, body_words: int) -> int:
        """How many mentions one body hit counts for in a body of `body_words` words."""
        if 0 < body_words < self.short_words:
            return self.short_words // body_words
        return 1

    def body_points(self, count: int, per_hit: int) -> int:
        return min(count * per_hit, self.body_cap) * self.body


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

    @cached_property
    def context(self) -> frozenset[str]:
        """The `requires` words, case-folded: context for the topic, never evidence of it."""
        return frozenset(a.text.casefold() for t in self.requires for a in t.atoms)


@dataclass(frozen=True)
class TermHit:
    term: str  # the rule entry as written
    field: Field
    position: int  # of the first occurrence, in the NFKC-normalised field
    count: int
    matched: str = ""  # the text of the first occurrence ("open-weight model", "법률 … AI")
    label: str = ""  # the rule words that matched, for readers ("open weights", "court … AI")
    points: int = 0  # what this hit added to the topic's score
    lede: bool = False  # its first body mention stood in the lede and counted more

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "term": self.term,
            "field": self.field,
            "position": self.position,
            "count": self.count,
        }
        if self.matched:
            out["matched"] = self.matched
        if self.label:
            out["label"] = self.label
        if self.lede:
            out["lede"] = True
        return out

    @property
    def shown(self) -> str:
        """What a reader is shown: the rule words that matched, else the term as written."""
        return self.label or self.term


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


class VetoKind(StrEnum):
    """Why a topic cannot match an article, whatever it scores."""

    EXCLUDED = "exclude"  # one of the topic's `exclude` terms occurs
    NO_CONTEXT = "requires"  # none of the topic's `requires` terms occurs


@dataclass(frozen=True)
class Veto:
    kind: VetoKind
    term: str | None = None  # the exclude term, as written, that vetoed the topic


class NearMissKind(StrEnum):
    """Which part of a term kept it from counting: what an editor would change."""

    NOT_PART = "not"  # its NOT part occurs
    TITLE_ONLY = "title"  # a `title:` term stands only in the body
    NEAR_WINDOW = "near"  # both sides of a NEAR pair occur, further apart than its window


@dataclass(frozen=True)
class NearMiss:
    """A term of which some part occurred without counting: what `newsmon eval` shows."""

    term: str  # as written
    reason: str  # "both sides occur, not within 5 words", "its NOT part occurs", …
    kind: NearMissKind = NearMissKind.NEAR_WINDOW


@dataclass(frozen=True)
class TopicScoreDetail:
    """How one topic scored on one article, matched or not: what `newsmon classify` shows."""

    topic: str
    score: int
    min_score: int
    hits: tuple[TermHit, ...]
    snippet: str
    veto: Veto | None = None
    mentions_per_hit: int = 1  # > 1: a short body, each body hit counted this many times
    near_misses: tuple[NearMiss, ...] = ()

    @property
    def matched(self) -> bool:
        return self.veto is None and self.score >= self.min_score and bool(self.hits)
