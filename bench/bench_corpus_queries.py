"""What a year-old corpus costs a pass, `newsmon health`/`feeds`/`alerts`/`articles`, a digest.

    python bench/bench_corpus_queries.py [--articles 300000] [--repeat 3] [--postgres URL]
                                         [--sqlite] [--explain]

Builds, with bulk inserts (not through the pipeline), a corpus shaped like a year of 50 feeds:
`--articles` stories spread over 365 days (one in ten seen again by another feed, one in ten
matched, one in ten alerted; old ones out of the near-duplicate index), about 1,000 runs, and one
feed whose URL carries a key. Then times the repository calls that run per pass or per command,
`--repeat` times each, and prints the medians and each call's slowest statement; `--explain`
prints PostgreSQL's plan of that statement. On PostgreSQL (--postgres, else
NEWSMON_TEST_POSTGRES_URL) the corpus lives in a throwaway schema; `--sqlite` also times a
SQLite file.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert, text

from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus, RunStatus
from newsmon.corpus.schema import (
    AlertRow,
    ArticleRow,
    FeedRow,
    MatchRow,
    RunRow,
    SightingRow,
)

FEEDS = 50
KEYED_URL = "https://private.example/feed.xml?apikey=s3cret-k3y"
CHUNK = 5000


def build(store: Store, articles: int) -> None:
    """A year of stories, alerts, sightings, matches and runs, inserted in bulk."""
    now = utcnow()
    started = time.perf_counter()
    with store.engine.begin() as conn:
        conn.execute(
            insert(FeedRow),
            [
                {
                    "id": f + 1,
                    "name": f"feed{f}",
                    "url": KEYED_URL if f == 0 else f"https://site{f}.example/feed.xml",
                    "consecutive_failures": 0,
                    "entries_seen": articles // FEEDS,
                    "created_at": now - timedelta(days=366),
                }
                for f in range(FEEDS)
            ],
        )
        step = timedelta(days=365) / articles
        for lo in range(0, articles, CHUNK):
            rows, seen, matches, alerts = [], [], [], []
            for i in range(lo, min(lo + CHUNK, articles)):
                at = now - timedelta(days=365) + step * i
                url = f"https://site{i % FEEDS}.example/{i}"
                rows.append(
                    {
                        "id": i + 1,
                        "canonical_url": url,
                        "url": url,
                        "feed_id": i % FEEDS + 1,
                        "guid": url,
                        "title": f"Story {i}",
                        "text": f"Story {i} body. " * 40,
                        "text_source": "page",
                        "published_at": at,
                        "first_seen_at": at,
                        "updated_at": at,
                        "content_hash": f"{i:064x}",
                        "page_attempts": 0,
                        "bands_dropped_at": at + timedelta(days=31)
                        if at < now - timedelta(days=31)
                        else None,
                    }
                )
                if i % 10 == 3:
                    seen.append(
                        {
                            "article_id": i + 1,
                            "feed_id": (i + 7) % FEEDS + 1,
                            "url": url + "?utm_source=x",
                            "seen_at": at + timedelta(minutes=30),
                        }
                    )
                if i % 10 == 5:
                    matches.append(
                        {
                            "article_id": i + 1,
                            "topic": "ai_safety",
                            "score": 5,
                            "terms": [],
                            "snippet": "",
                            "rules_version": "1",
                            "matched_at": at,
                        }
                    )
                    alerts.append(
                        {
                            "article_id": i + 1,
                            "channel": "#news",
                            "topics": ["ai_safety"],
                            "status": AlertStatus.SENT if i % 300 else AlertStatus.FAILED,
                            "attempts": 1,
                            "created_at": at,
                            "sent_at": at + timedelta(minutes=1) if i % 300 else None,
                            "failed_at": None if i % 300 else at + timedelta(minutes=1),
                            "slack_ts": f"{i}.0001",
                        }
                    )
            conn.execute(insert(ArticleRow), rows)
            for table, batch in ((SightingRow, seen), (MatchRow, matches), (AlertRow, alerts)):
                if batch:
                    conn.execute(insert(table), batch)
        runs = 1000
        conn.execute(
            insert(RunRow),
            [
                {
                    "flow": "monitor" if r % 10 else "digest",
                    "started_at": now - timedelta(days=365) + timedelta(days=365) / runs * r,
                    "finished_at": now - timedelta(days=365) + timedelta(days=365) / runs * r,
                    "summary": {},
                    "status": RunStatus.COMPLETED,
                }
                for r in range(runs)
            ],
        )
    if store.engine.dialect.name == "postgresql":  # as autovacuum would have by now
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    # SQLite: no ANALYZE, as newsmon never runs one (its planner then works without statistics)
    print(f"  built {articles} articles in {time.perf_counter() - started:.0f} s", flush=True)


def calls(store: Store) -> dict[str, Callable[[], Any]]:
    """The repository calls a pass, health, the CLI listings, a digest and prune make."""
    now = utcnow()
    day = now - timedelta(days=1)
    return {
        "pass: forget_feed_keys (keyed feed)": lambda: store.forget_feed_keys(1, KEYED_URL),
        "pass: feeds_with_pages_due": lambda: store.feeds_with_pages_due(now),
        "pass: known_articles (20 urls)": lambda: store.known_articles(
            [f"https://site1.example/{i}" for i in range(1, 2000, 100)]
        ),
        "health/feeds: feed_health": lambda: store.feed_health(pages_since=day),
        "health: alert_counts": store.outbox.alert_counts,
        "health: failed_since": lambda: store.alert_views.failed_since(day),
        "health: held_back_while_off": store.alert_views.held_back_while_off,
        "health: recent_runs": lambda: store.runs.recent_runs("monitor", limit=20),
        "health: undelivered_channels": store.outbox.undelivered_channels,
        "alerts: list_alerts": lambda: store.list_alerts(limit=50),
        "alerts: count_listed": lambda: store.outbox.count_listed(),
        "articles: list_articles": lambda: store.list_articles(limit=50),
        "articles: list_articles --topic": lambda: store.list_articles(topic="ai_safety"),
        "digest: digest_channels": lambda: store.digests.digest_channels(day, now),
        "digest: digest_stories": lambda: store.digests.digest_stories("#news", day, now),
        "prune: count_old_indexed": lambda: store.retention.count_old_indexed(
            now - timedelta(days=30)
        ),
    }


@contextmanager
def statements(store: Store) -> Iterator[list[tuple[float, str, Any]]]:
    """Every statement run meanwhile, with its duration."""
    seen: list[tuple[float, str, Any]] = []
    starts: list[float] = []

    def before(*args: Any) -> None:
        starts.append(time.perf_counter())

    def after(conn: Any, cursor: Any, sql: str, params: Any, *args: Any) -> None:
        seen.append((time.perf_counter() - starts.pop(), sql, params))

    event.listen(store.engine, "before_cursor_execute", before)
    event.listen(store.engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", before)
        event.remove(store.engine, "after_cursor_execute", after)


def measure(store: Store, repeat: int, explain: bool) -> None:
    for name, call in calls(store).items():
        times = []
        with statements(store) as seen:
            for _ in range(repeat):
                started = time.perf_counter()
                call()
                times.append(time.perf_counter() - started)
        slowest = max(seen, key=lambda x: x[0], default=None)
        print(f"  {name:<40} median {1000 * statistics.median(times):8.1f} ms", flush=True)
        if slowest is not None and explain and store.engine.dialect.name == "postgresql":
            with store.engine.connect() as conn:
                plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE) {slowest[1]}", slowest[2])
                for (line,) in plan:
                    print(f"      {line}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", default=os.environ.get("NEWSMON_TEST_POSTGRES_URL"))
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    print(
        f"{platform.node()}: {platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    )
    if args.postgres:
        from tests.support.postgres import throwaway_schema

        with throwaway_schema(args.postgres, prefix="bench") as url:
            store = Store.open(url)
            try:
                print("PostgreSQL:")
                build(store, args.articles)
                measure(store, args.repeat, args.explain)
            finally:
                store.close()
    if args.sqlite:
        with tempfile.TemporaryDirectory() as folder:
            store = Store.open(f"sqlite:///{folder}/corpus.db")
            try:
                print("SQLite:")
                build(store, args.articles)
                measure(store, args.repeat, False)
            finally:
                store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
