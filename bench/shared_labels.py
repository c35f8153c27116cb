"""Error analysis of topic rules on the labelled real items of ../shared/corpus/news.

    python bench/shared_labels.py [--rules config/topics.yaml] [--split dev|test|all] [--misses]
                                  [--set shared|extra|blind|all] [--only IDS_FILE]

Prints precision and recall per topic, for all items and per language, on the dev and test splits
(tests/support/shared_news.py says how items are split), and with --misses every false negative
and false positive with each topic's score and the terms that fired (for a false negative: the
terms that nearly made it, or the context that was missing). Tune on dev; report test as it comes.
Sets: ``shared`` (../shared/corpus/news, or NEWSMON_SHARED_CORPUS), ``extra`` (a larger random
sample of real items read from two public repositories, tests/support/extra_news.py says where),
``blind`` (tests/data/labels/blind.jsonl: items written for the project by an author who never saw
the rules). Default: every set that is present, each reported on its own. ``--only`` keeps the
items whose ids a file lists, one per line (tests/data/labels/extra_sample3_ids.txt: the extra
set's third sample, measured once before any rule change was made for it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.extra_news import extra_available, labelled_extra_items
from tests.support.shared_news import LABELS, SHARED_NEWS, labelled_shared_items, split_of

from newsmon.evaluate import LabelledItem, TopicScore, evaluate, figure, load_labels
from newsmon.rules import Rules, explain, load_rules


def _row(name: str, scores: dict[str, TopicScore]) -> str:
    cells = "  ".join(
        f"{s.topic} {figure(s.precision, 2)}/{figure(s.recall, 2)} ({s.tp + s.fn})"
        for s in scores.values()
    )
    return f"  {name:<10} {cells}"


def _sets(chosen: str) -> dict[str, list[LabelledItem]]:
    sets: dict[str, list[LabelledItem]] = {}
    if chosen in ("shared", "all") and SHARED_NEWS.is_dir():
        sets["shared"] = labelled_shared_items()
    if chosen in ("extra", "all") and extra_available():
        sets["extra"] = labelled_extra_items()
    blind = LABELS / "blind" / "blind.jsonl"
    if chosen in ("blind", "all") and blind.is_file():
        sets["blind"] = load_labels(blind)
    return sets


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=Path, default=ROOT / "config" / "topics.yaml")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all")
    parser.add_argument("--set", choices=("shared", "extra", "blind", "all"), default="all")
    parser.add_argument("--misses", action="store_true", help="list every FN and FP")
    parser.add_argument("--only", type=Path, help="a file of item ids, one per line")
    args = parser.parse_args()
    sets = _sets(args.set)
    if args.only:
        lines = args.only.read_text(encoding="utf-8").splitlines()
        wanted = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
        sets = {name: [i for i in items if i.id in wanted] for name, items in sets.items()}
        sets = {name: items for name, items in sets.items() if items}
    if not sets:
        print("no labelled set is present (see --help)", file=sys.stderr)
        return 2
    rules = load_rules(args.rules)
    splits = ("dev", "test", "all") if args.split == "all" else (args.split,)
    print("precision/recall (positives) per topic")
    for name, items in sets.items():
        for split in splits:
            part = [i for i in items if _in_split(name, i.id, split)]
            result = evaluate(rules, part)
            print(f"{name} {split}: {len(part)} items")
            print(_row("all", result.scores))
            for lang, scores in sorted(result.by_lang.items()):
                print(_row(lang, scores))
    if args.misses:
        for name, items in sets.items():
            _misses(rules, [i for i in items if _in_split(name, i.id, args.split)])
    return 0


def _in_split(name: str, item_id: str, split: str) -> bool:
    """The blind set is all dev: its author wrote it to be tuned on."""
    if split == "all":
        return True
    return split == "dev" if name == "blind" else split_of(item_id) == split


def _misses(rules: Rules, items: list[LabelledItem]) -> None:
    print("\nmisses (FN = labelled, not matched; FP = matched, not labelled)")
    for item in items:
        details = explain(rules, item.title, item.text)
        got = {d.topic for d in details if d.matched}
        if got == item.topics:
            continue
        text = (item.title + " | " if item.title else "") + item.text
        print(f"- {item.id} [{split_of(item.id)}, {item.lang}] {text[:160]}")
        for d in details:
            kind = (
                "FN"
                if d.topic in item.topics - got
                else "FP"
                if d.topic in got - item.topics
                else ""
            )
            if not kind:
                continue
            terms = ", ".join(f"{h.term}@{h.field}x{h.count}" for h in d.hits) or "none"
            veto = f"  vetoed: {d.veto.term or d.veto.kind.value}" if d.veto else ""
            print(f"    {kind} {d.topic} score {d.score}/{d.min_score}: {terms}{veto}")


if __name__ == "__main__":
    raise SystemExit(main())
