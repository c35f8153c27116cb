"""Measure topic rules on labelled articles: precision, recall and F1 per topic.

A labelled item is one JSON object per line (``*.jsonl``) with ``id``, ``title``, ``text``,
``topics`` (the topics it belongs to; ``[]`` for none) and optionally ``lang``. Prefect-free.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from newsmon.rules import Rules, TopicMatch
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

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Miss:
    item: LabelledItem
    expected: frozenset[str]
    got: tuple[TopicMatch, ...]

    @property
    def predicted(self) -> frozenset[str]:
        return frozenset(m.topic for m in self.got)


@dataclass
class Evaluation:
    scores: dict[str, TopicScore]
    misses: list[Miss] = field(default_factory=list)
    items: int = 0
    seconds: float = 0.0
    by_lang: dict[str, dict[str, TopicScore]] = field(default_factory=dict)

    def below(
        self, floors: dict[str, dict[str, float]], min_precision: float, min_recall: float
    ) -> list[str]:
        """Every figure under its floor, as readable lines (empty when all hold)."""
        out: list[str] = []
        for topic, s in self.scores.items():
            want_p = max(min_precision, floors.get(topic, {}).get("precision", 0.0))
            want_r = max(min_recall, floors.get(topic, {}).get("recall", 0.0))
            if s.precision + 1e-9 < want_p:
                out.append(f"{topic}: precision {s.precision:.3f} < floor {want_p:.3f}")
            if s.recall + 1e-9 < want_r:
                out.append(f"{topic}: recall {s.recall:.3f} < floor {want_r:.3f}")
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
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"{file}: cannot read: {exc}") from None
        for n, line in enumerate(lines, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            where = f"{file}:{n}"
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
            items.append(
                LabelledItem(
                    ident, raw.title or "", raw.text or "", frozenset(raw.topics), raw.lang, where
                )
            )
    return items


def load_floors(path: Path) -> dict[str, dict[str, float]]:
    """`topic: {precision: 0.9, recall: 0.9}` per topic, as recorded in the repository."""
    return load_yaml(path).validate(_FLOORS)


def evaluate(rules: Rules, items: Sequence[LabelledItem]) -> Evaluation:
    topics = list(rules.labels)
    unknown = sorted({t for item in items for t in item.topics} - set(topics))
    if unknown:
        where = next(i.source for i in items if set(i.topics) & set(unknown))
        raise ConfigError(f"{where}: topic {unknown[0]!r} is not in the rules")
    result = Evaluation({t: TopicScore(t) for t in topics}, items=len(items))
    started = time.perf_counter()
    for item in items:
        matches = tuple(rules.classify(item.title, item.text))
        got = {m.topic for m in matches}
        lang = result.by_lang.setdefault(item.lang or "?", {t: TopicScore(t) for t in topics})
        for topic in topics:
            for s in (result.scores[topic], lang[topic]):
                if topic in got and topic in item.topics:
                    s.tp += 1
                elif topic in got:
                    s.fp += 1
                elif topic in item.topics:
                    s.fn += 1
        if got != item.topics:
            result.misses.append(Miss(item, item.topics, matches))
    result.seconds = time.perf_counter() - started
    return result


def report(result: Evaluation) -> list[str]:
    """The table and the misclassified items, as lines."""
    lines = [f"{'topic':<14} {'precision':>9} {'recall':>7} {'F1':>6}   tp  fp  fn"]
    for s in result.scores.values():
        lines.append(
            f"{s.topic:<14} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f}  "
            f"{s.tp:>3} {s.fp:>3} {s.fn:>3}"
        )
    if len(result.by_lang) > 1:
        for lang, scores in sorted(result.by_lang.items()):
            figures = "  ".join(
                f"{s.topic} {s.precision:.2f}/{s.recall:.2f}" for s in scores.values()
            )
            lines.append(f"  {lang}: {figures}   (precision/recall)")
    per_item = result.seconds / result.items * 1000 if result.items else 0.0
    lines.append(
        f"{result.items} items, {len(result.misses)} misclassified, {per_item:.2f} ms/item"
    )
    for miss in result.misses:
        extra = sorted(miss.predicted - miss.expected)
        missing = sorted(miss.expected - miss.predicted)
        parts = [f"+{t}" for t in extra] + [f"-{t}" for t in missing]
        lines.append(f"  {miss.item.id} ({miss.item.source}): {' '.join(parts)}  {miss.item.title}")
        for m in miss.got:
            if m.topic in extra:
                terms = ", ".join(f"{h.term}@{h.field}" for h in m.hits)
                lines.append(f"      {m.topic} score {m.score}: {terms}")
    return lines
