"""What deduplication joins among real feed items, with and without the story window.

    python bench/dedup_real.py [--step 12] [--list]

Stores every RSS item of ``veryhungryface/ai_news`` (the source of the shared Korean items;
tests/support/extra_news.py says where the repository is read from) as the pipeline stores a
feed's teaser — headline, the feed's summary as text, the item's date as publication date —
through the real `Store`, in date order, once with `clusters.STORY_WINDOW` and once without
it. It prints how many items joined another story and how (hash, near, short), and how far
apart in days each joined pair came out; `--list` prints every pair, to be judged by a person:
the items carry no labels of what is one story. Nothing is copied into the repository.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.articles import new_article
from tests.support.extra_news import FeedItem, ai_news_feed_items, extra_available

from newsmon import clusters
from newsmon.corpus import Store
from newsmon.corpus.records import DuplicateURLError
from newsmon.dedup import content_hash, minhash_signature
from newsmon.extract import clean_text
from newsmon.urls import canonical_url

Pair = tuple[str, float, int, FeedItem, FeedItem]  # reason, similarity, days apart, copy, head


def _date(item: FeedItem) -> datetime | None:
    return datetime.fromisoformat(item.date).replace(tzinfo=UTC) if item.date else None


def _store_all(items: list[FeedItem], folder: Path) -> list[Pair]:
    store = Store.open(f"sqlite:///{folder / 'corpus.db'}")
    stored: dict[int, FeedItem] = {}
    pairs: list[Pair] = []
    try:
        for item in items:
            title, text = clean_text(item.title), clean_text(item.text)
            article = new_article(
                canonical_url(item.link),
                text,
                url=item.link,
                title=title,
                text_source="feed-summary",
                language=None,
                published_at=_date(item),
                content_hash=content_hash(text),
                signature=minhash_signature(text),
            )
            try:
                row = store.add_article(article)
            except DuplicateURLError:
                continue
            stored[row.id] = item
            if row.duplicate_of is not None:
                head = stored[row.duplicate_of]
                a, b = _date(item), _date(head)
                days = abs((a - b).days) if a and b else -1
                pairs.append((str(row.duplicate_reason), row.similarity or 0.0, days, item, head))
    finally:
        store.close()
    return pairs


def _report(name: str, items: int, pairs: list[Pair]) -> None:
    reasons = Counter(p[0] for p in pairs)
    gaps = Counter(
        "undated" if d < 0 else "same day" if d == 0 else "1-7 days" if d <= 7 else "8+ days"
        for _, _, d, _, _ in pairs
    )
    print(f"{name}: {len(pairs)} of {items} items joined another story")
    print("  by reason: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
    print(
        "  apart:     "
        + ", ".join(f"{k} {gaps[k]}" for k in ("same day", "1-7 days", "8+ days", "undated"))
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--step", type=int, default=12, help="every n-th snapshot (default 12)")
    parser.add_argument("--list", action="store_true", help="print every joined pair")
    args = parser.parse_args()
    if not extra_available():
        print("the extra news repositories are absent (tests/support/extra_news.py)")
        return 2
    items = sorted(ai_news_feed_items(args.step), key=lambda i: i.date)
    window = clusters.STORY_WINDOW
    runs: dict[str, list[Pair]] = {}
    for name, span in (
        ("without the window", timedelta.max),
        (f"window of {window.days} days", window),
    ):
        clusters.STORY_WINDOW = span
        with tempfile.TemporaryDirectory() as folder:
            runs[name] = _store_all(items, Path(folder))
        _report(name, len(items), runs[name])
    clusters.STORY_WINDOW = window
    if args.list:
        for name, pairs in runs.items():
            print(f"\n{name}:")
            for reason, similarity, days, copy, head in sorted(pairs, key=lambda p: p[:3]):
                print(f"- {reason} {similarity:.2f}, {days} days apart")
                print(f"    {copy.date} {copy.source}: {copy.title[:90]} | {copy.text[:90]!r}")
                print(f"    {head.date} {head.source}: {head.title[:90]} | {head.text[:90]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
