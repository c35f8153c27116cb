"""Per-article dedup decision time and memory against SQLite corpora of growing size.

    python bench/bench_dedup.py [--sizes 10000,100000,1000000] [--queries 200] [--dir PATH]

One SQLite corpus is built (schema by newsmon's migrations) and grown to each size in turn.
At each size a fresh process times the decision `add_article` makes before storing: MinHash
of the body, body-hash lookup, band-index lookup and verification of candidates' signatures
(`Store.find_cluster`: the same policy and queries, storing nothing), and reports the median and p95 per
article and its peak memory. Half the queries are new stories (the miss path), half copies of
stored articles truncated to 60 % (the hit path). Prints a table and the largest/smallest ratio.

Filler articles are synthetic: a short body and a random signature with random band keys,
which is what unrelated bodies look like to the index (computing real MinHashes for 1M bodies
would take hours on 2 cores). A few real articles with real signatures are planted at every
size so the hit path is exercised. The corpus stays in the OS page cache (warm) while measured.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import numpy as np

from newsmon.corpus import Store
from newsmon.corpus.records import NewArticle
from newsmon.dedup import (
    BANDS,
    MINHASH_SCHEME,
    NUM_PERM,
    content_hash,
    minhash_signature,
)
from newsmon.urls import canonical_url

PLANTED_PER_SIZE = 20
WORDS = [
    "".join(random.Random(i).choice("abcdefghijklmnopqrstuvwxyz") for _ in range(3 + i % 7))
    for i in range(5000)
]
HANGUL = [chr(0xAC00 + (i * 7919) % 11172) for i in range(3000)]


def body(seed: int, chars: int = 5000) -> str:
    """A synthetic article body: English-like words, with a Korean sentence every so often."""
    rnd = random.Random(seed)
    out: list[str] = []
    size = 0
    while size < chars:
        if rnd.random() < 0.1:
            word = "".join(rnd.choice(HANGUL) for _ in range(rnd.randint(2, 5)))
        else:
            word = rnd.choice(WORDS)
        out.append(word)
        size += len(word) + 1
    return " ".join(out)


def article(url: str, text: str) -> NewArticle:
    return NewArticle(
        canonical_url=canonical_url(url),
        url=url,
        feed_id=None,
        guid=None,
        title="t",
        text=text,
        text_source="page",
        extraction_note=None,
        language="en",
        author=None,
        published_at=None,
        content_hash=content_hash(text),
        signature=minhash_signature(text),
    )


def grow(db: Path, start: int, stop: int, chunk: int = 50_000) -> None:
    """Bulk-load synthetic articles start..stop-1 and their band rows (executemany)."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    rng = np.random.default_rng(start)
    filler = " ".join(WORDS[:60])
    base_id = conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]
    for lo in range(start, stop, chunk):
        hi = min(stop, lo + chunk)
        ids = range(base_id + 1 + lo - start, base_id + 1 + hi - start)
        sigs = rng.integers(0, 2**32, size=(hi - lo, NUM_PERM), dtype=np.uint32)
        rows = [
            (
                aid,
                f"https://synthetic.example/a/{n:08d}",
                f"https://synthetic.example/a/{n:08d}",
                filler,
                "page",
                "2025-01-01 00:00:00",
                "2025-01-01 00:00:00",
                f"{n:064x}",
                sigs[k].astype("<u4").tobytes(),
                MINHASH_SCHEME,
            )
            for k, (aid, n) in enumerate(zip(ids, range(lo, hi), strict=True))
        ]
        conn.executemany(
            "INSERT INTO articles (id, canonical_url, url, text, text_source, first_seen_at,"
            " updated_at, content_hash, minhash, minhash_scheme) VALUES (?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        keys = rng.integers(-(2**63), 2**63 - 1, size=(hi - lo) * BANDS, dtype=np.int64)
        owners = np.repeat(np.arange(ids.start, ids.stop, dtype=np.int64), BANDS)
        order = np.argsort(keys)
        conn.executemany(
            "INSERT INTO article_bands (band_key, article_id) VALUES (?, ?)",
            zip(keys[order].tolist(), owners[order].tolist(), strict=True),
        )
        conn.commit()
    conn.close()


def plant(db: Path, size: int) -> None:
    """Real articles with real signatures, stored through Store.add_article."""
    store = Store.open(f"sqlite:///{db}")
    try:
        for i in range(PLANTED_PER_SIZE):
            store.add_article(article(f"https://planted.example/{size}/{i}", body(size + i)))
    finally:
        store.close()


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss over
    from the parent across fork+exec, so a child of a big builder would report the builder."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(db: Path, size: int, queries: int) -> dict[str, float]:
    """Runs in a fresh process: time `queries` decisions, report median/p95 and memory."""
    store = Store.open(f"sqlite:///{db}", migrate=False)
    texts = []
    for q in range(queries):
        if q % 2:  # a copy truncated to 60 % of an article planted at this size
            original = body(size + (q // 2) % PLANTED_PER_SIZE)
            texts.append((original[: int(len(original) * 0.6)], True))
        else:  # a story never seen
            texts.append((body(10**9 + size * 1000 + q), False))
    rss_before = peak_rss_mb()
    tracemalloc.start()
    total, lookup, hits = [], [], 0
    for i, (text, expect) in enumerate(texts):
        t0 = time.perf_counter()
        candidate = article(f"https://query.example/{i}", text)
        t1 = time.perf_counter()
        cluster = store.find_cluster(candidate)
        t2 = time.perf_counter()
        total.append(t2 - t0)
        lookup.append(t2 - t1)
        hits += (cluster is not None) == expect
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    store.close()
    q95 = int(len(total) * 0.95)
    return {
        "size": size,
        "median_ms": statistics.median(total) * 1000,
        "p95_ms": sorted(total)[q95] * 1000,
        "db_median_ms": statistics.median(lookup) * 1000,
        "db_p95_ms": sorted(lookup)[q95] * 1000,
        "correct": hits / len(texts),
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": rss_before,
        "traced_peak_mb": traced_peak / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dir", type=Path, help="where to build the corpus [a temp folder]")
    parser.add_argument("--measure", nargs=2, metavar=("DB", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), int(args.measure[1]), args.queries)))
        return
    sizes = sorted(int(s) for s in args.sizes.split(","))
    work = args.dir or Path(tempfile.mkdtemp(prefix="newsmon-bench-dedup-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "corpus.db"
    db.unlink(missing_ok=True)
    Store.open(f"sqlite:///{db}").close()
    print(f"dedup decision, SQLite at {db}, {args.queries} queries per size, {os.cpu_count()} CPUs")
    header = (
        f"{'articles':>10} {'build s':>8} {'median ms':>10} {'p95 ms':>8} {'db median':>10} "
        f"{'db p95':>8} {'correct':>8} {'peak RSS MB':>12} {'traced MB':>10} {'db MB':>8}"
    )
    print(header)
    results = []
    built = 0
    for size in sizes:
        t0 = time.perf_counter()
        grow(db, built, size - PLANTED_PER_SIZE * (len(results) + 1))
        plant(db, size)
        built = size - PLANTED_PER_SIZE * (len(results) + 1)
        build_s = time.perf_counter() - t0
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--measure",
                str(db),
                str(size),
                "--queries",
                str(args.queries),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(r)
        print(
            f"{size:>10,} {build_s:>8.0f} {r['median_ms']:>10.2f} {r['p95_ms']:>8.2f} "
            f"{r['db_median_ms']:>10.2f} {r['db_p95_ms']:>8.2f} {r['correct']:>8.0%} "
            f"{r['peak_rss_mb']:>12.0f} {r['traced_peak_mb']:>10.1f} "
            f"{db.stat().st_size / 2**20:>8.0f}",
            flush=True,
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        print(
            f"{last['size']:,} / {first['size']:,}: decision median x"
            f"{last['median_ms'] / first['median_ms']:.2f}, db lookup median x"
            f"{last['db_median_ms'] / first['db_median_ms']:.2f}, peak RSS x"
            f"{last['peak_rss_mb'] / first['peak_rss_mb']:.2f}"
        )
    if not args.dir:
        db.unlink(missing_ok=True)
        for extra in work.glob("corpus.db-*"):
            extra.unlink()
        work.rmdir()


if __name__ == "__main__":
    main()
