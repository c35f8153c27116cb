"""Extraction quality on the real pages of ../shared/corpus/pages (skipped when absent).

    python bench/extraction_quality.py [--worst 5]

For each source of truth (human article bodies, must/must-not snippets, crawler output) and
language: pages, mean precision and recall of the extracted text (tests/support/shared_pages.py
says how they are computed), and where the text came from (page, json-ld, app-state,
page-description, none). The floors are in tests/integration/test_extraction_quality.py.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.shared_news import SHARED_PAGES
from tests.support.shared_pages import PageScore, page_scores


def _row(name: str, pages: list[PageScore]) -> str:
    precision = statistics.mean(p.precision for p in pages)
    recall = statistics.mean(p.recall for p in pages)
    sources = Counter(p.extracted.source for p in pages)
    where = ", ".join(f"{k} {v}" for k, v in sources.most_common())
    return f"  {name:<28} {len(pages):4}  {precision:.2f} / {recall:.2f}   {where}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worst", type=int, default=5, help="list the N worst pages per source")
    args = parser.parse_args()
    if not (SHARED_PAGES / "index.json").is_file():
        print(f"{SHARED_PAGES} is absent", file=sys.stderr)
        return 2
    scores = page_scores()
    groups: dict[tuple[str, str], list[PageScore]] = {}
    for s in scores:
        groups.setdefault((s.source, s.kind), []).append(s)
    print("  source (truth kind)           pages  precision / recall   text from")
    for (source, kind), pages in sorted(groups.items()):
        print(_row(f"{source} ({kind})", pages))
        by_lang: dict[str, list[PageScore]] = {}
        for p in pages:
            by_lang.setdefault(p.language or "?", []).append(p)
        for lang, part in sorted(by_lang.items(), key=lambda kv: -len(kv[1])):
            if len(part) >= 5:
                print(_row(f"  {lang}", part))
        for p in sorted(pages, key=lambda p: min(p.precision, p.recall))[: args.worst]:
            print(f"      worst {p.id}: {p.precision:.2f} / {p.recall:.2f} ({p.extracted.source})")
    print(_row("all", scores))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
