"""Precision sweep: topic matches that rest on one weak term, over thousands of unlabelled items.

    python bench/weak_matches.py [--rules config/topics.yaml] [--term REGEX] [--show N]
    python bench/weak_matches.py --compare OLD.yaml [--rules NEW.yaml]

The labelled sets are small; the two public repositories of the extra set hold ~20,000 real
items (tests/support/extra_news.py says where). A match whose only evidence is one term at the
threshold is where a word with another sense (an iPhone "jailbreak", "AI를 무기로", a "power
bill") shows first. The first form groups such matches by term, most frequent first, with a few
headlines each and how many of them the dev labels confirm (held-out items are left out, so the
listing never shows a test label). The second form lists every item whose topics differ between
two rule files: what an edit gains and loses beyond the labelled sets.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.extra_news import extra_available, extra_items, labelled_extra_items

from newsmon.rules import load_rules


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=Path, default=ROOT / "config" / "topics.yaml")
    parser.add_argument("--term", default="", help="only terms matching this regex")
    parser.add_argument("--show", type=int, default=4, help="headlines shown per term")
    parser.add_argument("--compare", type=Path, help="an older rule file to diff against")
    args = parser.parse_args()
    if not extra_available():
        print("the extra repositories are absent (tests/support/extra_news.py)", file=sys.stderr)
        return 2
    rules = load_rules(args.rules)
    held_out = {i.id for i in labelled_extra_items(split="test")}
    items = {k: v for k, v in extra_items().items() if k not in held_out}
    if args.compare:
        old = load_rules(args.compare)
        changed = 0
        for key, item in items.items():
            before = {m.topic for m in old.classify(item.title, item.text)}
            after = {m.topic for m in rules.classify(item.title, item.text)}
            if before != after:
                changed += 1
                lost, gained = sorted(before - after), sorted(after - before)
                print(f"{key} -{lost} +{gained} | {item.title[:70]} | {item.text[:100]!r}")
        print(f"{len(items)} items (held-out left out), {changed} change")
        return 0
    dev = {i.id: i.topics for i in labelled_extra_items(split="dev")}
    pattern = re.compile(args.term)
    weak: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for key, item in items.items():
        for match in rules.classify(item.title, item.text):
            if len(match.hits) == 1 and pattern.search(match.hits[0].term):
                hit = match.hits[0]
                weak[(match.topic, hit.term)].append((key, item.title, hit.matched))
    for (topic, term), found in sorted(weak.items(), key=lambda kv: -len(kv[1])):
        labelled = [key for key, _, _ in found if key in dev]
        confirmed = sum(topic in dev[key] for key in labelled)
        print(f"{len(found):5d} {topic:<12} dev labels {confirmed}/{len(labelled)} | {term[:100]}")
        for _, title, matched in found[: args.show]:
            print(f"        {title[:80]} | {matched[:40]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
