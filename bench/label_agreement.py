"""How far two independent labellers of the extra set agree, and the rules measured against each.

    python bench/label_agreement.py [--first tests/data/labels/extra_news_first.yaml] [--second tests/data/labels/extra_news_second.yaml]
                                    [--third tests/data/labels/extra_news_third.yaml]
                                    [--rules config/topics.yaml] [--disagreements]

A recall target only means something up to the labels' own noise: if two careful readers of the
same guide disagree on a fifth of the AI-safety stories, no classifier scores 0.9 against either
one. The first labelling is extra_news_first.yaml; the second (extra_news_second.yaml) was made by
labellers who had the guide of shared_news.yaml and saw neither the rules nor the first labels. Per topic and split, this prints:

- the first and second labellers' positives, Cohen's kappa, and the second labeller scored as a
  classifier against the first (precision/recall): the ceiling of what "agreeing with a reader"
  means;
- the rules against the first labels, the second labels, and the *agreed* items only (an item
  the two labellers disagree on for a topic leaves that topic's count): the rules' figure on
  labels nobody disputes;
- with a third labelling of the items the two disagree on (extra_news_third.yaml, made blind to
  both), the rules against the majority of the three: the labels extra_news.yaml carries.

The extra set's text is read from two public repositories (tests/support/extra_news.py); the
script exits 2 when they are absent.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.extra_news import extra_available, extra_corpus, extra_items
from tests.support.shared_news import LABELS, join_labels, load_label_file, majority, split_of

from newsmon.evaluate import LabelledItem, TopicScore, figure
from newsmon.rules import Rules, explain, load_rules

FIRST = LABELS / "extra_news_first.yaml"
SECOND = LABELS / "extra_news_second.yaml"
THIRD = LABELS / "extra_news_third.yaml"


@dataclass
class Counts(TopicScore):
    """Confusion counts of a prediction against a reference for one topic, true negatives too
    (kappa needs them)."""

    tn: int = 0

    def add(self, predicted: bool, actual: bool) -> None:
        if predicted and actual:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif actual:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def kappa(self) -> float:
        """Cohen's kappa of the two yes/no judgements (1 = full agreement, 0 = chance)."""
        n = self.tp + self.fp + self.fn + self.tn
        if not n:
            return 1.0
        observed = (self.tp + self.tn) / n
        yes = ((self.tp + self.fp) / n) * ((self.tp + self.fn) / n)
        no = ((self.fn + self.tn) / n) * ((self.fp + self.tn) / n)
        expected = yes + no
        return 1.0 if expected == 1 else (observed - expected) / (1 - expected)

    def pr(self) -> str:
        return f"{figure(self.precision, 2)}/{figure(self.recall, 2)}"


def predictions(rules: Rules, items: Iterable[LabelledItem]) -> dict[str, frozenset[str]]:
    return {
        item.id: frozenset(d.topic for d in explain(rules, item.title, item.text) if d.matched)
        for item in items
    }


def table(
    items: list[LabelledItem],
    second: dict[str, frozenset[str]],
    third: dict[str, frozenset[str]] | None,
    got: dict[str, frozenset[str]],
    topics: list[str],
) -> list[str]:
    lines = [
        f"  {'topic':<12} {'first':>5} {'second':>6} {'kappa':>5}  {'2nd vs 1st':>10}"
        f"  {'rules vs 1st':>12} {'vs 2nd':>9} {'vs agreed':>15}"
        + (f" {'vs majority':>17}" if third is not None else "")
    ]
    for topic in topics:
        labellers, vs_first, vs_second, vs_agreed, vs_most = (Counts(topic) for _ in range(5))
        for item in items:
            first, other, rule = (
                topic in item.topics,
                topic in second[item.id],
                topic in got[item.id],
            )
            labellers.add(other, first)
            vs_first.add(rule, first)
            vs_second.add(rule, other)
            if first == other:
                vs_agreed.add(rule, first)
            if third is not None:
                most = majority(item.topics, second[item.id], third.get(item.id))
                vs_most.add(rule, topic in most)
        line = (
            f"  {topic:<12} {labellers.tp + labellers.fn:>5} {labellers.tp + labellers.fp:>6} "
            f"{labellers.kappa:>5.2f}  {labellers.pr():>10}  {vs_first.pr():>12} "
            f"{vs_second.pr():>9} {vs_agreed.pr():>9} ({vs_agreed.tp + vs_agreed.fn:>3})"
        )
        if third is not None:
            line += f" {vs_most.pr():>11} ({vs_most.tp + vs_most.fn:>3})"
        lines.append(line)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--first", type=Path, default=FIRST)
    parser.add_argument("--second", type=Path, default=SECOND)
    parser.add_argument("--third", type=Path, default=THIRD)
    parser.add_argument("--rules", type=Path, default=ROOT / "config" / "topics.yaml")
    parser.add_argument(
        "--disagreements", action="store_true", help="list items the labellers disagree on"
    )
    args = parser.parse_args()
    if not extra_available():
        print(
            "the extra set's repositories are absent (tests/support/extra_news.py)", file=sys.stderr
        )
        return 2
    items = join_labels(load_label_file(args.first), extra_items(), extra_corpus())
    second = load_label_file(args.second)
    missing = [i.id for i in items if i.id not in second]
    if missing:
        print(f"{len(missing)} items have no second label, e.g. {missing[0]}", file=sys.stderr)
        return 2
    third = load_label_file(args.third) if args.third.is_file() else None
    disputed = [i.id for i in items if i.topics != second[i.id]]
    if third is not None and (unjudged := [k for k in disputed if k not in third]):
        print(
            f"{len(unjudged)} disputed items have no third label, e.g. {unjudged[0]}",
            file=sys.stderr,
        )
        return 2
    rules = load_rules(args.rules)
    topics = list(rules.labels)
    got = predictions(rules, items)
    for split in ("dev", "test", "all"):
        part = [i for i in items if split == "all" or split_of(i.id) == split]
        for lang in (None, "en", "ko"):
            chosen = [i for i in part if lang is None or i.lang == lang]
            print(f"{split} {lang or 'all'}: {len(chosen)} items")
            print("\n".join(table(chosen, second, third, got, topics)))
    if args.disagreements:
        print("\ndisagreements (first → second → third; rules)")
        for item in items:
            if item.topics != second[item.id]:
                first = ",".join(sorted(item.topics)) or "-"
                other = ",".join(sorted(second[item.id])) or "-"
                rule = ",".join(sorted(got[item.id])) or "-"
                judged = "" if third is None else " → " + (",".join(sorted(third[item.id])) or "-")
                print(f"- {item.id} [{split_of(item.id)}] {first} → {other}{judged}; rules {rule}")
                print(f"    {item.title[:90]} | {item.text[:150]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
