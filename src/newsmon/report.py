"""Run summaries: the typed totals of a pass or a backfill, and every rendering of them (the log
line, the Prefect artifact, the command line, the JSON stored in the runs table)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from newsmon.bounds import one_line
from newsmon.pipeline import DeliveryOutcome, FeedOutcome, MatchDiff, ReclassifyOutcome
from newsmon.poll import NextCheck

MAX_STORED_ERRORS = 20  # delivery errors kept in a run's stored summary
MAX_SHOWN_ERRORS = 5  # …and shown on the command line


def counts_text(counts: dict[str, int]) -> str:
    """Counts by kind on one line (\"stored 3, failed 1\"), or none."""
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"


def _why(next_check: NextCheck | None) -> str:
    return f" ({next_check.reason})" if next_check else ""


def describe_failure(outcome: FeedOutcome) -> str:
    """A failed feed's error and, when known, when it is tried again."""
    return f"{outcome.error}{_why(outcome.next_check)}"


@dataclass(frozen=True)
class FailedFeed:
    feed: str
    error: str
    next_check: NextCheck | None = None


@dataclass(frozen=True)
class PassTotals:
    """What one monitoring pass did, summed over its feeds, with its delivery."""

    feeds_ok: int
    feeds_failed: int
    feeds_not_modified: int
    feeds_not_due: int
    bytes_received: int
    entries: int
    new_articles: int
    already_seen: int
    duplicates: int
    near_duplicates: int
    updated: int
    pages_failed: int
    pages_retried: int
    pages_recovered: int
    pages_postponed: int
    # not requested: their feed's page budget ran out before their host's turn (a later pass);
    # and entries whose CPU work no worker took within the feeds task's time
    pages_deferred: int
    text_sources: dict[str, int]  # sorted by source
    matches: dict[str, int]  # sorted by topic
    alerts_queued: int
    alerts_sent: int
    alerts_failed: int
    alerts_pending: int
    sender: str
    failures: tuple[FailedFeed, ...]
    delivery_errors: tuple[str, ...]
    # messages delivery tried and did not get out (failed, to retry, given back, held): none,
    # and the pass's delivery errors are not about what waits (a channel's history probed)
    alerts_unsent: int = 0
    # feeds due (or forced) that this pass did not read because another run held a live
    # claim on them: not counted in `feeds_not_due`
    feeds_held: int = 0
    # thread replies ("also reported by") that gave up this pass: not in `alerts_failed`, which
    # an operator checks against `newsmon alerts --status failed`
    replies_sent: int = 0
    replies_failed: int = 0
    # alerts.enabled: false: delivery posted nothing, what was queued is kept for later
    alerts_off: bool = False
    # of `feeds_not_due`, those waiting out the backoff of a failure, and the first one's retry
    feeds_backing_off: int = 0
    next_retry: datetime | None = None
    # downloaded, their work stopped by a stalled or killed worker, due again (`pages_failed`
    # counts download failures only)
    pages_stopped: int = 0
    # the median of the feed servers' clocks against this host's (`clock.ahead_of`), and of how
    # many feeds: health's clock_off
    clock_ahead: float | None = None
    clock_samples: int = 0

    @classmethod
    def of(
        cls, feeds: Sequence[FeedOutcome], delivery: DeliveryOutcome, pending_after: int = 0
    ) -> PassTotals:
        matches: Counter[str] = Counter()
        sources: Counter[str] = Counter()
        for f in feeds:
            matches.update(f.matches)
            sources.update(f.text_sources)
        failed = [f for f in feeds if not f.ok]
        waiting = [f for f in feeds if f.not_due and f.backing_off and not f.held]
        skews = sorted(f.clock_ahead for f in feeds if f.clock_ahead is not None)
        return cls(
            feeds_ok=sum(f.ok and not f.not_due for f in feeds),
            feeds_failed=len(failed),
            feeds_not_modified=sum(f.not_modified for f in feeds),
            feeds_not_due=sum(f.not_due and not f.held for f in feeds),
            bytes_received=sum(f.bytes_received for f in feeds),
            entries=sum(f.entries for f in feeds),
            new_articles=sum(f.new_articles for f in feeds),
            already_seen=sum(f.already_seen for f in feeds),
            duplicates=sum(f.duplicates for f in feeds),
            near_duplicates=sum(f.near_duplicates for f in feeds),
            updated=sum(f.updated for f in feeds),
            pages_failed=sum(f.pages_failed for f in feeds),
            pages_retried=sum(f.pages_retried for f in feeds),
            pages_recovered=sum(f.pages_recovered for f in feeds),
            pages_postponed=sum(f.pages_postponed for f in feeds),
            pages_deferred=sum(f.pages_deferred + f.entries_late for f in feeds),
            text_sources=dict(sorted(sources.items())),
            matches=dict(sorted(matches.items())),
            alerts_queued=sum(f.alerts_queued for f in feeds),
            alerts_sent=delivery.sent,
            alerts_failed=delivery.failed,
            alerts_pending=pending_after,
            sender=delivery.sender,
            failures=tuple(FailedFeed(f.feed, f.error or "", f.next_check) for f in failed),
            delivery_errors=tuple(delivery.errors),
            alerts_unsent=delivery.failed
            + delivery.replies_failed
            + delivery.retrying
            + delivery.deferred
            + delivery.held
            + (1 if delivery.credential_error else 0),
            feeds_held=sum(f.held for f in feeds),
            replies_sent=delivery.replies_sent,
            replies_failed=delivery.replies_failed,
            alerts_off=delivery.off,
            feeds_backing_off=len(waiting),
            next_retry=min((f.next_check.at for f in waiting if f.next_check), default=None),
            pages_stopped=sum(f.pages_stopped for f in feeds),
            clock_ahead=skews[len(skews) // 2] if skews else None,
            clock_samples=len(skews),
        )

    def as_dict(self) -> dict[str, Any]:
        """The JSON kept in the runs table (its keys are a stored format: keep them)."""
        return {
            "feeds_ok": self.feeds_ok,
            "feeds_failed": self.feeds_failed,
            "feeds_not_modified": self.feeds_not_modified,
            "feeds_not_due": self.feeds_not_due,
            "bytes_received": self.bytes_received,
            "entries": self.entries,
            "new_articles": self.new_articles,
            "already_seen": self.already_seen,
            "duplicates": self.duplicates,
            "near_duplicates": self.near_duplicates,
            "updated": self.updated,
            "pages_failed": self.pages_failed,
            "pages_stopped": self.pages_stopped,
            "pages_retried": self.pages_retried,
            "pages_recovered": self.pages_recovered,
            "pages_postponed": self.pages_postponed,
            "pages_deferred": self.pages_deferred,
            "text_sources": dict(self.text_sources),
            "matches": dict(self.matches),
            "alerts_queued": self.alerts_queued,
            "alerts_sent": self.alerts_sent,
            "alerts_failed": self.alerts_failed,
            "alerts_pending": self.alerts_pending,
            "sender": self.sender,
            "failures": {f.feed: f.error for f in self.failures},
            "delivery_errors": list(self.delivery_errors[:MAX_STORED_ERRORS]),
            "alerts_unsent": self.alerts_unsent,
            "feeds_held": self.feeds_held,
            "replies_sent": self.replies_sent,
            "replies_failed": self.replies_failed,
            "alerts_off": self.alerts_off,
            "clock_ahead_seconds": self.clock_ahead,
            "clock_samples": self.clock_samples,
        }

    def line(self) -> str:
        """One line for the flow's log and the artifact's description."""
        waiting = f", {self.feeds_not_due} not due" if self.feeds_not_due else ""
        waiting += f", {self._held()}" if self.feeds_held else ""
        text = (
            f"feeds: {self.feeds_ok} ok ({self.feeds_not_modified} unchanged), "
            f"{self.feeds_failed} failed{waiting}; "
            f"new articles: {self.new_articles}, duplicates: {self.duplicates} "
            f"({self.near_duplicates} near), updated: {self.updated}, "
            f"already seen: {self.already_seen}{''.join(', ' + p for p in self._pages())}; "
            f"matches: {counts_text(self.matches)}; "
            + (
                f"alerts: off (alerts.enabled: false), {self.alerts_pending} pending kept"
                if self.alerts_off
                else f"alerts: {self.alerts_sent} sent via {self.sender}, "
                f"{self.alerts_failed} failed, {self.alerts_pending} pending"
            )
        )
        if self.replies_sent or self.replies_failed:
            text += f"; thread replies: {self.replies_sent} sent, {self.replies_failed} failed"
        if self.failures:
            text += " | failed feeds: " + "; ".join(
                f"{f.feed}: {f.error}{_why(f.next_check)}" for f in self.failures
            )
        if self.delivery_errors:
            text += f" | Slack: {self.delivery_errors[0]}"
        return text

    def _held(self) -> str:
        return f"{self.feeds_held} held by another run"

    def _pages(self) -> list[str]:
        """The pass's page counters worth a look: pages tried again, and left for later."""
        parts = []
        if self.pages_retried:
            wait = f", {self.pages_postponed} wait on their site" if self.pages_postponed else ""
            parts.append(
                f"pages tried again: {self.pages_retried} ({self.pages_recovered} read{wait})"
            )
        if self.pages_deferred:
            parts.append(f"pages left for a later pass: {self.pages_deferred}")
        if self.pages_stopped:
            parts.append(
                f"pages stopped by a stalled or killed worker: {self.pages_stopped} "
                "(read again later)"
            )
        return parts

    def _waiting(self) -> str:
        """Feeds not polled because they failed lately: a second `newsmon run` soon after a
        failing one polls none, and "0 failed" alone read as all well."""
        if not self.feeds_backing_off:
            return ""
        when = f"{self.next_retry:%H:%M} UTC" if self.next_retry else "the next pass"
        return (
            f" ({self.feeds_backing_off} waiting after failing, next try {when}; "
            "--force tries them now)"
        )

    def cli_lines(self) -> list[str]:
        """What `newsmon run` prints after the pass."""
        lines = [
            f"\nfeeds: {self.feeds_ok} ok ({self.feeds_not_modified} unchanged), "
            f"{self.feeds_failed} failed, {self.feeds_not_due} not due{self._waiting()}"
            f"{', ' + self._held() if self.feeds_held else ''} | "
            f"new articles: {self.new_articles} | duplicates: {self.duplicates}"
            f"{''.join(' | ' + p for p in self._pages())} | "
            f"matches: {counts_text(self.matches)} | alerts sent: {self.alerts_sent} "
            f"({self.sender}), pending: {self.alerts_pending}"
        ]
        lines += [f"  failed: {f.feed}: {f.error}" for f in self.failures]
        lines += [f"  Slack: {e}" for e in self.delivery_errors[:MAX_SHOWN_ERRORS]]
        return lines


def feed_table(feeds: Sequence[FeedOutcome]) -> list[dict[str, Any]]:
    """The pass's Prefect artifact: one row a feed."""
    return [
        {
            "feed": f.feed,
            "status": _status(f),
            "entries": f.entries,
            "new": f.new_articles,
            "duplicates": f.duplicates,
            "matches": ", ".join(f"{k} {v}" for k, v in sorted(f.matches.items())),
            "pages tried again": f.pages_retried,
            "pages stopped": f.pages_stopped,
            "alerts queued": f.alerts_queued,
            "error": describe_failure(f) if f.error else (f.warning or ""),
        }
        for f in feeds
    ]


def _status(f: FeedOutcome) -> str:
    if not f.ok:
        return "failed"
    if f.held:
        return "held by another run"
    if f.taken:
        return "fetched by another pass"
    if f.twin_of:
        return f"read as {f.twin_of}"
    if f.not_due and f.next_check:
        return f"not due until {f.next_check.at.strftime('%Y-%m-%d %H:%M UTC')}"
    return "not modified" if f.not_modified else "ok"


@dataclass(frozen=True)
class BackfillResult:
    """What a backfill did (or, as a dry run, would do) to the articles of a date range."""

    since: date  # or a datetime (`backfill_args.Moment`): a datetime is a date
    until: date | None
    rules_version: str
    outcome: ReclassifyOutcome
    delivery: DeliveryOutcome | None = None  # None: alerts were off
    diffs: tuple[MatchDiff, ...] | None = None  # a dry run's per-article changes

    @property
    def dry_run(self) -> bool:
        return self.diffs is not None

    @property
    def alerts_sent(self) -> int:
        return self.delivery.sent if self.delivery else 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON kept in the runs table (its keys are a stored format: keep them)."""
        out: dict[str, Any] = {
            "since": self.since.isoformat(),
            "until": self.until.isoformat() if self.until else None,
            "rules_version": self.rules_version,
        }
        if self.diffs is not None:
            out["dry_run"] = True
        out |= {
            "articles": self.outcome.articles,
            "changed": self.outcome.changed,
            "added": dict(self.outcome.added),
            "removed": dict(self.outcome.removed),
            "alerts_queued": self.outcome.alerts_queued,
            "alerts_sent": self.alerts_sent,
            "alerts_withdrawn": self.outcome.alerts_withdrawn,
            "alerts_too_old": self.outcome.alerts_too_old,
        }
        if self.diffs is not None:
            out["diff"] = [d.as_dict() for d in self.diffs]
        return out

    def line(self) -> str:
        """One line for the flow's log and artifact."""
        o = self.outcome
        if self.dry_run:
            text = f"dry run: {_stories(o)}, {_plural(o.changed, 'article')} would change"
            if o.alerts_withdrawn:
                text += f", {o.alerts_withdrawn} queued alerts would be withdrawn"
            return text + " (nothing written)"
        added = ", ".join(f"+{k} {v}" for k, v in sorted(o.added.items())) or "none"
        removed = ", ".join(f"-{k} {v}" for k, v in sorted(o.removed.items())) or "none"
        text = (
            f"re-classified {_stories(o)}, {_plural(o.changed, 'article')} changed; "
            f"matches added: {added}; removed: {removed}"
        )
        if o.alerts_withdrawn:
            text += f"; queued alerts withdrawn: {o.alerts_withdrawn}"
        if self.delivery is None:
            return text + "; alerts: off"
        d = self.delivery
        text += f"; alerts: {o.alerts_queued} queued, {d.sent} sent via {d.sender}{_too_old(o)}"
        if d.errors:
            text += f" | Slack: {d.errors[0]}"
        return text

    def cli_lines(self) -> list[str]:
        """What `newsmon backfill` prints: a dry run's diff per article, then the totals."""
        o = self.outcome
        added = ", ".join(f"+{k} {v}" for k, v in o.added.items()) or "none"
        removed = ", ".join(f"-{k} {v}" for k, v in o.removed.items()) or "none"
        if self.diffs is None:
            withdrawn = o.alerts_withdrawn
            return [
                f"\nre-classified {_stories(o)} ({_plural(o.changed, 'article')} changed): "
                f"added {added}; removed {removed}; alerts sent: {self.alerts_sent}"
                + (f"; queued alerts withdrawn: {withdrawn}" if withdrawn else "")
                + _too_old(o)
            ]
        lines = []
        for d in self.diffs:
            lines.append(f"\n#{d.article_id} {one_line(d.title or '', 90) or '(no title)'}")
            for m in d.new:
                terms = ", ".join(m.terms[:6])
                lines.append(f"  + {m.topic} (score {m.score}: {terms})")
            lines += [f"  - {m.topic} (was score {m.score})" for m in d.lost]
            lines += [f"  ! queued alert to {c} withdrawn (no topic left)" for c in d.withdrawn]
        held = f"; queued alerts withdrawn: {o.alerts_withdrawn}" if o.alerts_withdrawn else ""
        lines.append(
            f"\ndry run over {_stories(o)}: {_plural(o.changed, 'article')} would change; "
            f"new {added}; lost {removed}{held}; nothing written, nothing sent"
        )
        return lines


def _too_old(o: ReclassifyOutcome) -> str:
    """Alerts `--alerts` left held back: the operator learns how many, why, and the way out."""
    if not o.alerts_too_old:
        return ""
    return (
        f"; {_plural(o.alerts_too_old, 'alert')} left held back: stories older than "
        "alerts.max_age_hours (--any-age sends them)"
    )


def _stories(o: ReclassifyOutcome) -> str:
    """A replay re-classifies stories (`ReclassifyOutcome.articles` counts them: a story's
    copies are replayed with it) and counts the articles it changed, which may be more: "1
    articles, 2 changed" read as more changed than re-classified."""
    return "1 story" if o.articles == 1 else f"{o.articles} stories"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


MAX_ARTIFACT_ROWS = 500  # rows kept in a Prefect artifact (a dry run's diff, a page backfill)


def diff_markdown(diffs: Sequence[MatchDiff], header: str) -> str:
    """A dry run's per-article diff as the markdown of its Prefect artifact."""
    lines = [
        header,
        "",
        "| article | title | would add | would drop | queued alerts withdrawn |",
        "| --- | --- | --- | --- | --- |",
    ]
    for d in diffs[:MAX_ARTIFACT_ROWS]:
        title = (d.title or "(no title)")[:90].replace("|", "\\|")
        new = ", ".join(f"{m.topic} ({m.score}: {', '.join(m.terms[:4])})" for m in d.new)
        lost = ", ".join(f"{m.topic} (was {m.score})" for m in d.lost)
        gone = ", ".join(d.withdrawn)
        lines.append(
            f"| #{d.article_id} | {title} | {new or '-'} | {lost or '-'} | {gone or '-'} |"
        )
    if len(diffs) > MAX_ARTIFACT_ROWS:
        lines.append(f"\n… and {len(diffs) - MAX_ARTIFACT_ROWS} more (the flow's result has all)")
    return "\n".join(lines)
