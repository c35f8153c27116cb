"""What a backfill of given pages did: its counts, the JSON of the runs table, the Prefect
artifact and the command's lines (a pass's and a replay's are in `report`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import islice
from typing import Any

from newsmon.bounds import short_url
from newsmon.pipeline import DeliveryOutcome, PageOutcome
from newsmon.report import MAX_ARTIFACT_ROWS, counts_text
from newsmon.urls import shown_url


@dataclass(frozen=True)
class PagesResult:
    """What a backfill of given pages did (or, as a dry run, would do). Pages are named as
    `shown_url` shows them everywhere (runs table, artifact, command): a page's key or
    password stays in the list the operator gave."""

    pages: tuple[PageOutcome, ...]
    dry_run: bool = False
    delivery: DeliveryOutcome | None = None  # None: alerts were off

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(p.fate for p in self.pages).items()))

    def as_dict(self) -> dict[str, Any]:
        """The JSON kept in the runs table."""
        return {
            "urls": len(self.pages),
            "dry_run": self.dry_run,
            "pages": self.counts(),
            "alerts_queued": sum(p.alerts_queued for p in self.pages),
            "alerts_sent": self.delivery.sent if self.delivery else 0,
            # the first failures only: a backfill of 100,000 URLs is one row of the runs table
            "failures": dict(
                islice(
                    ((shown_url(p.url), p.error) for p in self.pages if p.error), MAX_ARTIFACT_ROWS
                )
            ),
            "failures_total": sum(1 for p in self.pages if p.error),
        }

    def line(self) -> str:
        text = f"{len(self.pages)} pages: {counts_text(self.counts())}"
        if self.dry_run:
            return text + " (dry run: nothing written)"
        if self.delivery is None:
            return text + "; alerts: off"
        queued = sum(p.alerts_queued for p in self.pages)
        return (
            text
            + f"; alerts: {queued} queued, {self.delivery.sent} sent via {self.delivery.sender}"
        )

    def table(self) -> list[dict[str, Any]]:
        """The Prefect artifact: one row a page, the first `MAX_ARTIFACT_ROWS` of them and a
        last row counting the rest (the flow's result has every page)."""
        rows: list[dict[str, Any]] = [
            {
                "url": shown_url(p.url),
                "result": p.fate,
                "topics": ", ".join(p.topics),
                "alerts queued": p.alerts_queued,
                "error": p.error or "",
            }
            for p in self.pages[:MAX_ARTIFACT_ROWS]
        ]
        if len(self.pages) > MAX_ARTIFACT_ROWS:
            more = f"… and {len(self.pages) - MAX_ARTIFACT_ROWS} more (the flow's result has all)"
            rows.append({"url": more, "result": "", "topics": "", "alerts queued": "", "error": ""})
        return rows

    def cli_lines(self) -> list[str]:
        lines = [
            f"{p.fate:<15} [{','.join(p.topics) or '-'}] {short_url(shown_url(p.url))}"
            + (f"  ({p.error})" if p.error else "")
            for p in self.pages
        ]
        return [*lines, "", self.line()]
