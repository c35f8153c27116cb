"""What the index retention costs: one pass's share of old stories leaving the index.

    python bench/bench_retention.py [--articles 3000] [--runs 3] [--postgres URL]

Stores N distinct full-length articles (about 200 words, a signature and 42 band rows each) in
a fresh SQLite corpus (and, with --postgres or NEWSMON_TEST_POSTGRES_URL, in a throwaway schema
of that database), marks them first seen 40 days ago, and times `prune_index` taking all of
them out of the index in one call. Prints the median per article over the runs.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.articles import new_article
from tests.support.index_retention import band_rows, first_seen

from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.pipeline import prune_index


def one_run(url: str, articles: int, seed: int) -> float:
    """Milliseconds per article taken out of the index."""
    store = Store.open(url)
    try:
        rng = random.Random(seed)
        words = [f"w{i}" for i in range(5000)]
        ids = [
            store.add_article(
                new_article(
                    f"https://a.example/{seed}/{i}",
                    " ".join(rng.choice(words) for _ in range(200)),
                    signed=True,
                )
            ).id
            for i in range(articles)
        ]
        first_seen(store, ids, utcnow() - timedelta(days=40))
        rows = band_rows(store)
        started = time.perf_counter()
        outcome = prune_index(store, 30, utcnow(), 0)
        elapsed = time.perf_counter() - started
        assert outcome.dropped == articles and band_rows(store) == 0, outcome
        print(f"  {articles} articles, {rows} band rows: {elapsed:.2f} s", flush=True)
        return elapsed * 1000 / articles
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", default=os.environ.get("NEWSMON_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    per_article = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            per_article.append(one_run(f"sqlite:///{folder}/corpus.db", args.articles, run))
    print(f"SQLite: median {statistics.median(per_article):.2f} ms an article")
    if args.postgres:
        from tests.support.postgres import throwaway_schema

        per_article = []
        for run in range(args.runs):
            with throwaway_schema(args.postgres, prefix="bench") as url:
                per_article.append(one_run(url, args.articles, run))
        print(f"PostgreSQL: median {statistics.median(per_article):.2f} ms an article")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
