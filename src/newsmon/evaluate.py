"""Measure topic rules on labelled articles: precision, recall and F1 per topic, every miss
explained, and hints for the person editing the rules.

A labelled item is one JSON object per line (``*.jsonl``) with ``id``, ``title``, ``text``,
``topics`` (the topics it belongs to; ``[]`` for none) and optionally ``lang`` (guessed from
the script when absent: Hangul is ``ko``, Latin ``en``, so figures per language need no tags).
Every false negative and false positive is listed with its score against the topic's minimum,
the terms that fired, those that nearly did, and any veto; `suggest` finds words and word pairs
frequent in missed positives and rare in negatives. Prefect-free.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import count, pairwise
from math import log
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from newsmon.eval_explain import RULE_CHARS, explain_lines, missing, state
from newsmon.language import detect_language
from newsmon.rules import Rules, TopicScoreDetail, Weights, explain
from newsmon.rules.korean import PARTICLES, VERB_STARTS
from newsmon.yamlfile import ConfigError, first_problem, load_yaml, reworded


@dataclass(frozen=True)
class LabelledItem:
    id: str
    title: str
    text: str
    topics: frozenset[str]
    lang: str | None = None
    source: str = ""  # file:line


@dataclass
class TopicScore:
    topic: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def positives(self) -> int:
        """Labelled items of the topic: what recall is counted on."""
        return self.tp + self.fn

    @property
    def negatives(self) -> int:
        """Labelled items outside the topic: what false positives can come from."""
        return self.fp + self.tn

    # None when the set cannot measure it (nothing matched; no labelled item of the topic):
    # shown "n/a", never a perfect 1.0 that would pass any floor.
    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        both = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / both if both else None


_UNMEASURED = {
    "precision": "n/a (the rules matched no item)",
    "recall": "n/a (no labelled item of the topic)",
}
# A figure counted on fewer items than this says little (1.00 on 3 positives is one miss away
# from 0.67): it fails any floor above 0 rather than passing it.
MIN_MEASURED = 10
_COUNTED_ON = {"precision": "matched items", "recall": "labelled positives"}


def figure(value: float | None, digits: int = 3) -> str:
    """A precision, recall or F1 as printed: `n/a` when the set cannot measure it."""
    return "n/a" if value is None else f"{value:.{digits}f}"


@dataclass(frozen=True)
class Miss:
    item: LabelledItem
    expected: frozenset[str]
    details: tuple[TopicScoreDetail, ...]  # every topic's score and evidence on this item

    @property
    def predicted(self) -> frozenset[str]:
        return frozenset(d.topic for d in self.details if d.matched)

    def wrong(self) -> list[tuple[str, TopicScoreDetail]]:
        """("FN" or "FP", the topic's detail) for each topic this item got wrong, in rule order."""
        out: list[tuple[str, TopicScoreDetail]] = []
        for d in self.details:
            if d.matched != (d.topic in self.expected):
                out.append(("FP" if d.matched else "FN", d))
        return out


@dataclass
class Evaluation:
    scores: dict[str, TopicScore]
    misses: list[Miss] = field(default_factory=list)
    items: int = 0
    seconds: float = 0.0
    by_lang: dict[str, dict[str, TopicScore]] = field(default_factory=dict)
    weights: dict[str, Weights] = field(default_factory=dict)  # per topic, for `missing`

    def below(
        self, floors: dict[str, dict[str, float]], min_precision: float, min_recall: float
    ) -> list[str]:
        """Every figure under its floor, as readable lines (empty when all hold). A floor for a
        topic the rules do not have would never hold anything: ConfigError."""
        keys = {_topic_key(t): t for t in self.scores}
        unknown = sorted(t for t in floors if _topic_key(t) not in keys)
        if unknown:
            raise ConfigError(f"floors: topic {unknown[0]!r} is not in the rules")
        wanted = {keys[_topic_key(t)]: floor for t, floor in floors.items()}
        out: list[str] = []
        for topic, s in self.scores.items():
            want_p = max(min_precision, wanted.get(topic, {}).get("precision", 0.0))
            want_r = max(min_recall, wanted.get(topic, {}).get("recall", 0.0))
            for name, got, want, counted in (
                ("precision", s.precision, want_p, s.tp + s.fp),
                ("recall", s.recall, want_r, s.positives),
            ):
                if want <= 0:
                    continue
                if got is None or got + 1e-9 < want:
                    shown = _UNMEASURED[name] if got is None else f"{got:.3f}"
                    out.append(f"{topic}: {name} {shown} < floor {want:.3f}")
                elif counted < MIN_MEASURED:
                    out.append(
                        f"{topic}: {name} {got:.3f} on {counted} {_COUNTED_ON[name]}: too few "
                        f"to measure (fewer than {MIN_MEASURED})"
                    )
        return out


class _LabelLine(BaseModel):
    """One line of a labelled set; other keys (notes, sources) are the labeller's own."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    id: str | None = None  # default: file:line
    title: str | None = None
    text: str | None = None
    topics: Annotated[
        list[Annotated[str, Field(strict=True), reworded("a topic key must be a string")]],
        reworded("must be a list of topic keys ([] for none)"),
    ] = Field(default=None, validate_default=True)
    lang: str | None = None


MAX_LABEL_LINE_BYTES = 4_000_000  # one labelled article; a longer line is no labelled item
_LINE = TypeAdapter(Annotated[_LabelLine, reworded("each line must be a JSON object")])
_FloorKey = Annotated[
    str, Field(pattern="^(precision|recall)$"), reworded("unknown key; use precision or recall")
]
_Fraction = Annotated[
    float, Field(strict=True, ge=0, le=1), reworded("must be a number from 0 to 1")
]
_Floor = Annotated[dict[_FloorKey, _Fraction], reworded("must be {precision: x, recall: y}")]
_FLOORS = TypeAdapter(
    Annotated[dict[str, _Floor], reworded("must map each topic to {precision: x, recall: y}")]
)


def load_labels(path: Path) -> list[LabelledItem]:
    """Items from a .jsonl file, or from every .jsonl file in a folder (sorted by name)."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not files:
        raise ConfigError(f"{path}: no *.jsonl files with labelled items")
    items: list[LabelledItem] = []
    seen: set[str] = set()
    for file in files:
        try:  # a line at a time: a 200 MB set is never held as bytes, lines and text at once
            for n, raw_line in _raw_lines(file):
                item = _item(f"{file}:{n}", raw_line, seen)
                if item is not None:
                    items.append(item)
        except OSError as exc:
            raise ConfigError(f"{file}: cannot read: {exc}") from None
    if not items:  # figures of nothing would pass every floor
        raise ConfigError(f"{path}: no labelled items")
    return items


def _item(where: str, raw_line: bytes, seen: set[str]) -> LabelledItem | None:
    """One line as a labelled item (None for a blank line or a comment); a bad one is a
    ConfigError naming file, line and reason."""
    try:
        line = raw_line.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = f"byte 0x{raw_line[exc.start]:02x} at column {exc.start + 1}"
        raise ConfigError(f"{where}: not UTF-8 text ({bad})") from None
    if not line.strip() or line.lstrip().startswith("#"):
        return None
    try:
        raw = _LINE.validate_python(json.loads(line))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}: invalid JSON: {exc.msg}") from None
    except ValidationError as exc:
        loc, reason = first_problem(exc)
        key = ".".join(str(p) for p in loc)
        raise ConfigError(f"{where}: {key + ': ' if key else ''}{reason}") from None
    ident = raw.id or where
    if ident in seen:
        raise ConfigError(f"{where}: duplicate id {ident!r}")
    seen.add(ident)
    title, text = raw.title or "", raw.text or ""
    if not (title.strip() or text.strip()):
        raise ConfigError(f"{where}: no title and no text: nothing to classify")
    lang = raw.lang or detect_language(f"{title}\n{text}")
    return LabelledItem(ident, title, text, frozenset(raw.topics), lang, where)


def _raw_lines(file: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of a labels file, read a line at a time: a line over
    MAX_LABEL_LINE_BYTES (a dump, a file that is not JSON lines) is refused before it is read
    whole. JSON lines end at \\n only: U+2028 or NEL inside a text is text (str.splitlines
    would cut there); a byte-order mark and CRLF ends, as editors on Windows save, are fine."""
    with file.open("rb") as stream:
        for n in count(1):
            line = stream.readline(MAX_LABEL_LINE_BYTES + 1)
            if not line:
                return
            if len(line) > MAX_LABEL_LINE_BYTES and not line.endswith(b"\n"):
                raise ConfigError(
                    f"{file}:{n}: line longer than {MAX_LABEL_LINE_BYTES // 1_000_000} MB: "
                    "not one labelled item (one JSON object per line)"
                )
            yield n, (line.removeprefix(b"\xef\xbb\xbf") if n == 1 else line).rstrip(b"\n")


def load_floors(path: Path) -> dict[str, dict[str, float]]:
    """`topic: {precision: 0.9, recall: 0.9}` per topic, as recorded in the repository."""
    return load_yaml(path).validate(_FLOORS)


def _topic_key(name: str) -> str:
    """Labels written `open_source`, `Open-Source` or `AI safety` name the rules' topic keys."""
    return re.sub(r"[\s_]+", "-", name.strip().casefold())


def canonical(rules: Rules, items: Iterable[LabelledItem]) -> list[LabelledItem]:
    """The items with their topics spelled as the rules' keys; a topic the rules do not have is
    a ConfigError naming file and line."""
    items = list(items)
    keys = {_topic_key(t): t for t in rules.labels}
    unknown = sorted({t for item in items for t in item.topics if _topic_key(t) not in keys})
    if unknown:
        where = next(i.source for i in items if set(i.topics) & set(unknown))
        raise ConfigError(f"{where}: topic {unknown[0]!r} is not in the rules")
    return [
        replace(item, topics=frozenset(keys[_topic_key(t)] for t in item.topics)) for item in items
    ]


def evaluate(rules: Rules, items: Sequence[LabelledItem]) -> Evaluation:
    topics = list(rules.labels)
    items = canonical(rules, items)
    result = Evaluation({t: TopicScore(t) for t in topics}, items=len(items))
    result.weights = {t.key: t.weights for t in rules.topics}
    started = time.perf_counter()
    for item in items:
        details = tuple(explain(rules, item.title, item.text))
        got = {d.topic for d in details if d.matched}
        lang = result.by_lang.setdefault(item.lang or "?", {t: TopicScore(t) for t in topics})
        for topic in topics:
            for s in (result.scores[topic], lang[topic]):
                if topic in got and topic in item.topics:
                    s.tp += 1
                elif topic in got:
                    s.fp += 1
                elif topic in item.topics:
                    s.fn += 1
                else:
                    s.tn += 1
        if got != item.topics:
            result.misses.append(Miss(item, item.topics, details))
    result.seconds = time.perf_counter() - started
    return result


def report(result: Evaluation) -> list[str]:
    """The table and the misclassified items, as lines."""
    lines = [f"{'topic':<14} {'precision':>9} {'recall':>7} {'F1':>6}   tp  fp  fn   pos   neg"]
    for s in result.scores.values():
        lines.append(
            f"{s.topic:<14} {figure(s.precision):>9} {figure(s.recall):>7} {figure(s.f1):>6}  "
            f"{s.tp:>3} {s.fp:>3} {s.fn:>3} {s.positives:>5} {s.negatives:>5}"
        )
    if len(result.by_lang) > 1:
        for lang, scores in sorted(result.by_lang.items()):
            figures = "  ".join(
                f"{s.topic} {figure(s.precision, 2)}/{figure(s.recall, 2)} "
                f"({s.positives}+/{s.negatives}-)"
                for s in scores.values()
            )
            lines.append(f"  {lang}: {figures}   (precision/recall (positives+/negatives-))")
    per_item = result.seconds / result.items * 1000 if result.items else 0.0
    lines.append(
        f"{result.items} items, {len(result.misses)} misclassified, {per_item:.2f} ms/item"
    )
    for miss in result.misses:
        parts = [f"{'+' if kind == 'FP' else '-'}{d.topic}" for kind, d in miss.wrong()]
        lines.append(f"  {miss.item.id} ({miss.item.source}): {' '.join(parts)}  {miss.item.title}")
        for kind, d in miss.wrong():
            lines.append(f"      {kind} {d.topic}: {state(d)}")
            fn = kind == "FN"
            if fn:
                weights = result.weights.get(d.topic, Weights())
                lines.extend(f"      missing: {why}" for why in missing(d, weights))
            evidence = explain_lines(d, snippet=False, near_misses=not fn)
            lines.extend("    " + line for line in evidence)
    return lines


__all__ = ["RULE_CHARS", "explain_lines"]  # where `newsmon classify` has always found them


# --- hints for rule authors -------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z0-9\uac00-\ud7a3]+(?:[-'’][A-Za-z0-9]+)*")
_ENDING = re.compile(
    "(?:" + "|".join(PARTICLES) + "){1,3}$|(?:" + "|".join(VERB_STARTS) + ")[\uac00-\ud7a3]*$"
)
# Not words of a subject: links (every part of them), tags and entities left in pasted text, and
# amounts (2024년, 10억, 1.5배: a number with its counter); 7B or GPT-4o stay (letters in them).
_NOT_WORDS = re.compile(
    r"(?:https?://|www\.)\S+|(?<![\w.-])(?:[\w-]{1,63}\.){1,6}(?:com|org|net|io|ai|kr)\b(?:/\S*)?"
    r"|<[^<>]{0,200}>|&#?\w{1,10};"
    r"|(?<![\w.-])\d[\d.,]*[\uac00-\ud7a3]*(?![A-Za-z0-9])",
    re.IGNORECASE,
)
SUGGEST_MAX_NEGATIVE_SHARE = 0.02  # a hint occurs in at most this share of the negatives
SUGGEST_MIN_MISSED = 2  # ... and in at least this many missed positives: not one article's names
# Function words never make a hint, alone or at either end of a pair.
_STOP_WORDS = """
    a an the and or but if of to in on at by for from with as into onto about over than then
    that this these those it its it's they them their there here he she his her we our you your
    i is are was were be been being has have had do does did will would can could may might must
    shall should not no so such too very also just more most much many some any all each other
    new says said say after before while when where which who whom whose what how why up out
    이 그 저 및 등 또 또한 더 것 수 때 중 위해 통해 대한 대해 이번 지난 따르면 밝혔 했다 있다
    말했 현지시간"""
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True)
class Suggestion:
    text: str  # a word or a pair of words, lower-cased; Korean words without their endings
    missed: int  # missed positives of the topic that contain it
    negatives: int  # items outside the topic that contain it
    in_rules: bool  # some term of the topic already matches it (too weak there, or vetoed)
    of_missed: int = 0  # the topic's missed positives, and its negatives: the scale of each count
    of_negatives: int = 0


def words(text: str) -> list[str]:
    """Words for hints: Latin words lower-cased, Korean words cut to their stem (가중치를 →
    가중치, 공개했다 → 공개) when at least two syllables remain; numbers, amounts, links,
    markup and single letters out."""
    out: list[str] = []
    for m in _WORD.finditer(_NOT_WORDS.sub(" ", text)):
        word = m.group(0)
        if "\uac00" <= word[-1] <= "\ud7a3":  # a Korean word (오픈AI를, 가중치를): drop its ending
            for k in range(2, len(word)):
                if _ENDING.match(word, k):
                    word = word[:k]
                    break
        if len(word) > 1 and not word.isdigit():
            out.append(word.lower())
    return out


def _features(item: LabelledItem) -> set[str]:
    found: set[str] = set()
    for part in (item.title, item.text):
        ws = words(part)
        found.update(w for w in ws if w not in _STOP)
        found.update(f"{a} {b}" for a, b in pairwise(ws) if a not in _STOP and b not in _STOP)
    return found


def suggest(
    rules: Rules, result: Evaluation, items: Iterable[LabelledItem], limit: int = 10
) -> dict[str, list[Suggestion]]:
    """Per topic, words and word pairs in at least two of its missed positives (every word of
    a single miss would be a "hint") and in at most 2 % of the items outside it: hints, not
    rules. Ranked by how much more
    often they occur in the misses than in the negatives (smoothed log odds); among equals,
    those frequent in all the topic's positives first (a word of the subject, not of one
    article)."""
    items = canonical(rules, items)  # `open_source` in a label is the topic `open-source`
    features = {item.id: _features(item) for item in items}
    out: dict[str, list[Suggestion]] = {}
    for topic in rules.labels:
        missed = [m.item for m in result.misses if topic in m.expected - m.predicted]
        if not missed:
            continue
        negatives = [i for i in items if topic not in i.topics]
        in_missed = Counter(f for item in missed for f in features[item.id])
        in_negatives = Counter(f for item in negatives for f in features[item.id])
        in_topic = Counter(f for i in items if topic in i.topics for f in features[i.id])
        allowed = SUGGEST_MAX_NEGATIVE_SHARE * len(negatives)
        m, n = len(missed) + 1, len(negatives) + 1
        ranked = sorted(
            (
                # smoothed log odds of occurring in a missed positive rather than in a negative
                (log((k + 0.5) / m) - log((in_negatives[f] + 0.5) / n), k, in_negatives[f], f)
                for f, k in in_missed.items()
                if k >= SUGGEST_MIN_MISSED and in_negatives[f] <= allowed
            ),
            key=lambda t: (-t[0], -in_topic[t[3]], t[3]),
        )
        out[topic] = [
            Suggestion(f, k, neg, _in_rules(rules, topic, f), len(missed), len(negatives))
            for _, k, neg, f in ranked[:limit]
        ]
    return out


def _in_rules(rules: Rules, topic: str, text: str) -> bool:
    """Does a term or strong term of `topic` already match `text` on its own?"""
    details = explain(rules, text, "", all_snippets=False, near_misses=False)
    return any(d.hits for d in details if d.topic == topic)


def suggestion_lines(hints: dict[str, list[Suggestion]]) -> list[str]:
    lines = ["hints: words and word pairs frequent in missed positives, rare in negatives"]
    if not hints:
        lines.append("  (no missed positives)")
    for topic, found in hints.items():
        lines.append(f"  {topic}:")
        if not found:
            lines.append(
                f"    (no word in at least {SUGGEST_MIN_MISSED} missed positives and at most "
                f"{SUGGEST_MAX_NEGATIVE_SHARE:.0%} of negatives)"
            )
        for s in found:
            note = "   (a rule already matches it)" if s.in_rules else ""
            lines.append(
                f"    {s.text:<28} in {s.missed} of {s.of_missed} missed, "
                f"{s.negatives} of {s.of_negatives} negatives{note}"
            )
    return lines
