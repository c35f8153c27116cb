"""Run summaries: one readable line for logs, a table for Prefect, a dict for the corpus."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from newsmon.pipeline import DeliveryOutcome, FeedOutcome, ReclassifyOutcome


@dataclass
class PassSummary:
    feeds: Sequence[FeedOutcome]
    delivery: DeliveryOutcome
    pending_after: int = 0

    @property
    def failed(self) -> list[FeedOutcome]:
        return [f for f in self.feeds if not f.ok]

    def totals(self) -> dict[str, Any]:
        matches: Counter[str] = Counter()
        sources: Counter[str] = Counter()
        for f in self.feeds:
            matches.update(f.matches)
            sources.update(f.text_sources)
        return {
            "feeds_ok": sum(f.ok and not f.not_due for f in self.feeds),
            "feeds_failed": len(self.failed),
            "feeds_not_modified": sum(f.not_modified for f in self.feeds),
            "feeds_not_due": sum(f.not_due for f in self.feeds),
            "bytes_received": sum(f.bytes_received for f in self.feeds),
            "entries": sum(f.entries for f in self.feeds),
            "new_articles": sum(f.new_articles for f in self.feeds),
            "already_seen": sum(f.already_seen for f in self.feeds),
            "duplicates": sum(f.duplicates for f in self.feeds),
            "near_duplicates": sum(f.near_duplicates for f in self.feeds),
            "updated": sum(f.updated for f in self.feeds),
            "pages_failed": sum(f.pages_failed for f in self.feeds),
            "text_sources": dict(sorted(sources.items())),
            "matches": dict(sorted(matches.items())),
            "alerts_queued": sum(f.alerts_queued for f in self.feeds),
            "alerts_sent": self.delivery.sent,
            "alerts_failed": self.delivery.failed,
            "alerts_pending": self.pending_after,
            "sender": self.delivery.sender,
            "failures": {f.feed: f.error for f in self.failed},
            "delivery_errors": self.delivery.errors[:20],
        }

    def line(self) -> str:
        t = self.totals()
        matches = ", ".join(f"{k} {v}" for k, v in t["matches"].items()) or "none"
        waiting = f", {t['feeds_not_due']} not due" if t["feeds_not_due"] else ""
        text = (
            f"feeds: {t['feeds_ok']} ok ({t['feeds_not_modified']} unchanged), "
            f"{t['feeds_failed']} failed{waiting}; "
            f"new articles: {t['new_articles']}, duplicates: {t['duplicates']} "
            f"({t['near_duplicates']} near), updated: {t['updated']}, "
            f"already seen: {t['already_seen']}; matches: {matches}; "
            f"alerts: {t['alerts_sent']} sent via {t['sender']}, {t['alerts_failed']} failed, "
            f"{t['alerts_pending']} pending"
        )
        if self.failed:
            text += " | failed feeds: " + "; ".join(
                f"{f.feed}: {f.error} ({f.next_check})" for f in self.failed
            )
        if self.delivery.errors:
            text += f" | Slack: {self.delivery.errors[0]}"
        return text

    def table(self) -> list[dict[str, Any]]:
        rows = []
        for f in self.feeds:
            rows.append(
                {
                    "feed": f.feed,
                    "status": _status(f),
                    "entries": f.entries,
                    "new": f.new_articles,
                    "duplicates": f.duplicates,
                    "matches": ", ".join(f"{k} {v}" for k, v in sorted(f.matches.items())),
                    "alerts queued": f.alerts_queued,
                    "error": f"{f.error} ({f.next_check})" if f.error else (f.warning or ""),
                }
            )
        return rows


def _status(f: FeedOutcome) -> str:
    if not f.ok:
        return "failed"
    if f.not_due:
        return f"not due until {f.next_check}"
    return "not modified" if f.not_modified else "ok"


def reclassify_line(outcome: ReclassifyOutcome, delivery: DeliveryOutcome | None) -> str:
    added = ", ".join(f"+{k} {v}" for k, v in sorted(outcome.added.items())) or "none"
    removed = ", ".join(f"-{k} {v}" for k, v in sorted(outcome.removed.items())) or "none"
    text = (
        f"re-classified {outcome.articles} articles, {outcome.changed} changed; "
        f"matches added: {added}; removed: {removed}"
    )
    if delivery is None:
        return text + "; alerts: off"
    text += f"; alerts: {outcome.alerts_queued} queued, {delivery.sent} sent via {delivery.sender}"
    if delivery.errors:
        text += f" | Slack: {delivery.errors[0]}"
    return text
