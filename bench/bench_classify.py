"""Classification speed: median time per 5 KB article, shipped rules and 300 generated rules.

    python bench/bench_classify.py [--rounds 300] [--kiwi]

Articles are built from the labelled set (tests/data/labels), an English one and a Korean one,
each cut to 5,000 bytes of UTF-8. The 300 generated rules are phrases and NEAR pairs made of words
that occur in those articles, so the automaton proposes many candidates that must be checked.
`--kiwi` also times the optional kiwipiepy mode (its ~2.5 s load is reported separately).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from newsmon.rules import Rules, load_rules

LABELS = ROOT / "tests" / "data" / "labels"
SHIPPED = ROOT / "config" / "topics.yaml"
ARTICLE_BYTES = 5000


def article(lang: str) -> tuple[str, str]:
    items = []
    for file in sorted(LABELS.glob("*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                if item.get("lang") == lang:
                    items.append(item)
    title = items[0]["title"]
    body = ""
    i = 0
    while len(body.encode()) < ARTICLE_BYTES:
        body += items[i % len(items)]["text"] + "\n\n"
        i += 1
    body = body.encode()[:ARTICLE_BYTES].decode("utf-8", errors="ignore")
    return title, body


def generated_rules(words_en: list[str], words_ko: list[str], n: int = 300) -> str:
    rng = random.Random(5)
    lines = ["version: 2", "topics:"]
    per_topic = n // 10
    for t in range(10):
        lines += [f"  topic-{t}:", "    min_score: 3", "    terms:"]
        for lang, words in (("en", words_en), ("ko", words_ko)):
            terms = []
            for k in range(per_topic // 2):
                a, b = rng.choice(words), rng.choice(words)
                if k % 5 == 0:
                    terms.append(f"{a} NEAR/4 {b}")
                elif k % 3 == 0:
                    terms.append(f"{a} | {b}")
                else:
                    terms.append(f"{a} {b}")
            lines.append(f"      {lang}: {json.dumps(terms, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def vocabulary(text: str) -> list[str]:
    words = {w.strip(".,'\"()…“”‘’") for w in text.split()}
    return sorted(w for w in words if len(w) >= 2 and w.isalnum() and w not in ("NEAR", "NOT"))


def median_us(rules: Rules, title: str, body: str, rounds: int) -> tuple[float, float]:
    """Median and minimum CPU time (µs): on a shared machine the minimum moves least."""
    rules.classify(title, body)  # warm up: build the automaton
    times = []
    for _ in range(rounds):
        # CPU time of this thread: other jobs on a shared machine do not inflate it
        start = time.thread_time()
        rules.classify(title, body)
        times.append(time.thread_time() - start)
    return statistics.median(times) * 1e6, min(times) * 1e6


def count_terms(rules: Rules) -> int:
    return sum(
        len(t.terms) + len(t.strong) + len(t.exclude) + len(t.requires) for t in rules.topics
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--kiwi", action="store_true", help="also time korean: kiwi")
    args = parser.parse_args()
    en, ko = article("en"), article("ko")
    shipped = load_rules(SHIPPED)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.yaml"
        path.write_text(generated_rules(vocabulary(en[1]), vocabulary(ko[1])), encoding="utf-8")
        generated = load_rules(path)
    print(f"classification: median (minimum) CPU time of {args.rounds} runs per 5 KB article")
    for name, rules in (
        (f"shipped rules ({count_terms(shipped)} terms)", shipped),
        (f"generated rules ({count_terms(generated)} terms)", generated),
    ):
        for lang, (title, body) in (("en", en), ("ko", ko)):
            us, low = median_us(rules, title, body, args.rounds)
            print(f"  {name:<32} {lang}: {us:8.0f} µs ({low:5.0f})  ({len(body)} chars)")
    if args.kiwi:
        start = time.perf_counter()
        kiwi_rules = load_rules(SHIPPED, korean="kiwi")
        kiwi_rules.classify(*ko)
        print(f"  kiwi: first article incl. analyser load {time.perf_counter() - start:.2f} s")
        for lang, (title, body) in (("en", en), ("ko", ko)):
            us, low = median_us(kiwi_rules, title, body, max(20, args.rounds // 10))
            print(f"  shipped rules, korean: kiwi         {lang}: {us:8.0f} µs ({low:5.0f})")


if __name__ == "__main__":
    main()
