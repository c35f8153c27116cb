"""The verdict on one monitoring pass that ran to its end: did it do its job? A pass whose every
feed failed, or whose delivery stayed blocked pass after pass, is recorded and then fails, so
the flow run ends Failed and the operator sees it (`newsmon.health` judges the installation).
A backfill of given pages is judged the same way: every page it tried failing fails it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from newsmon.corpus.records import RunRecord, RunStatus
from newsmon.urls import shown_url

if TYPE_CHECKING:  # `newsmon.health` reads stored verdicts; the report imports the pipeline
    from newsmon.pipeline import PageOutcome
    from newsmon.report import PassTotals
    from newsmon.report_pages import PagesResult

BLOCKED_PASSES = 3  # passes in a row without delivery before a pass fails for it
STREAK_LOOKBACK = 48  # earlier passes read for the streak (idle ones in between are skipped)
MAX_NAMED = 3  # feeds or errors named in one message


class VerdictKind(StrEnum):
    OK = "ok"
    ALL_FEEDS_FAILED = "all_feeds_failed"
    DELIVERY_BLOCKED = "delivery_blocked"
    ALL_PAGES_FAILED = "all_pages_failed"  # a backfill of given pages loaded none it tried


@dataclass(frozen=True)
class PassVerdict:
    """Whether a pass that ran to its end did its job; `message` is one line saying why not."""

    kind: VerdictKind = VerdictKind.OK
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.kind is VerdictKind.OK


class PassFailed(Exception):
    """A pass ran to its end and was recorded, but failed: the flow run must end Failed."""

    def __init__(self, verdict: PassVerdict, totals: PassTotals) -> None:
        super().__init__(verdict.message)
        self.verdict = verdict
        self.totals = totals


class PagesFailed(Exception):
    """A backfill of given pages ran to its end (and was recorded, unless a dry run) but every
    page it tried failed: the flow run must end Failed, the command exit non-zero."""

    def __init__(self, verdict: PassVerdict, result: PagesResult) -> None:
        super().__init__(verdict.message)
        self.verdict = verdict
        self.result = result


class Delivery(StrEnum):
    """What a pass's delivery did, as its stored summary tells."""

    MOVING = "moving"  # something went out, or nothing waits, or nothing tried failed
    BLOCKED = "blocked"  # alerts wait, none went out, and what was tried failed (any cause)
    IDLE = "idle"  # alerts wait, but none was due: nothing tried, nothing known either way


def delivery_state(summary: Mapping[str, Any]) -> Delivery:
    """The pass's delivery from its stored summary. A pass that tried nothing is idle, whatever
    else its delivery reported (a channel's history probed, `history_unreadable` in health):
    it neither blocks nor clears. Summaries stored before `alerts_unsent` was kept are judged
    without it (idle never)."""
    pending = int(summary.get("alerts_pending") or 0)
    if pending == 0 or int(summary.get("alerts_sent") or 0) > 0:
        return Delivery.MOVING
    unsent = summary.get("alerts_unsent")
    if unsent is not None and int(unsent) == 0:
        return Delivery.IDLE
    return Delivery.BLOCKED if summary.get("delivery_errors") else Delivery.MOVING


def delivery_blocked(summary: Mapping[str, Any]) -> bool:
    """A pass's stored summary says alerts waited, none went out, and what the pass tried
    failed: refused, an outage or Slack out of reach alike."""
    return delivery_state(summary) is Delivery.BLOCKED


def _named(items: Sequence[str]) -> str:
    more = f"; and {len(items) - MAX_NAMED} more" if len(items) > MAX_NAMED else ""
    return "; ".join(items[:MAX_NAMED]) + more


def judge_pass(
    totals: PassTotals, earlier: Sequence[RunRecord], *, blocked_passes: int = BLOCKED_PASSES
) -> PassVerdict:
    """The verdict on a pass, given the passes before it (newest first).

    Every feed tried failing is a failure at once (no network, a dead proxy). Delivery that
    is blocked fails only after `blocked_passes` passes in a row (the earlier ones as their
    stored summaries tell), so one Slack hiccup does not turn a run red. Passes that tried no
    alert in between (each waits its retry time: 5, 20, 60 minutes...) do not break the
    streak, so a long outage is not hidden by its own backoff; `earlier` should reach back
    `STREAK_LOOKBACK` passes. Feeds not due were not tried and count neither way.
    """
    if totals.feeds_failed and not totals.feeds_ok:
        failed = [f"{f.feed}: {f.error}" for f in totals.failures]
        return PassVerdict(
            VerdictKind.ALL_FEEDS_FAILED,
            f"every feed tried failed ({totals.feeds_failed}): {_named(failed)}",
        )
    if blocked_passes > 0 and delivery_blocked(totals.as_dict()):
        finished = [r for r in earlier if r.status in (RunStatus.COMPLETED, RunStatus.FAILED)]
        streak = 1
        for run in finished:
            state = delivery_state(run.summary)
            if state is Delivery.MOVING or streak >= blocked_passes:
                break
            if state is Delivery.BLOCKED:
                streak += 1
        if streak >= blocked_passes:
            return PassVerdict(
                VerdictKind.DELIVERY_BLOCKED,
                f"delivery blocked for {streak} passes in a row: {totals.alerts_pending} "
                f"alerts pending, none sent ({totals.sender}): {totals.delivery_errors[0]}",
            )
    return PassVerdict()


def judge_pages(pages: Sequence[PageOutcome]) -> PassVerdict:
    """The verdict on a backfill of given pages, as `judge_pass`'s on feeds: it fails when
    every page it tried failed (404s, refused or unresolvable addresses, timeouts: nothing was
    loaded, though the operator asked for it). A page stored already was not tried and counts
    neither way, as a feed not due; one page loaded (or, in a dry run, read) among failures
    completes the run, its summary counting them."""
    tried = [p for p in pages if p.fate != "stored already"]
    failed = [f"{shown_url(p.url)}: {p.error}" for p in tried if p.fate == "failed"]
    if failed and len(failed) == len(tried):
        return PassVerdict(
            VerdictKind.ALL_PAGES_FAILED,
            f"every page tried failed ({len(failed)}): {_named(failed)}",
        )
    return PassVerdict()


def failed_for(summary: Mapping[str, Any]) -> VerdictKind | None:
    """What a failed pass failed for, as its stored summary tells (`judge_pass`'s order): every
    feed tried failing, or delivery blocked; None for anything else (a crash, no totals)."""
    if int(summary.get("feeds_failed") or 0) and not int(summary.get("feeds_ok") or 0):
        return VerdictKind.ALL_FEEDS_FAILED
    if delivery_blocked(summary):
        return VerdictKind.DELIVERY_BLOCKED
    return None


def tells(summary: Mapping[str, Any], kind: VerdictKind | None) -> bool:
    """Whether a completed pass could show that a failure of `kind` is over: one that tried no
    feed says nothing about feeds all failing, one that tried no alert nothing about delivery."""
    if kind is VerdictKind.ALL_FEEDS_FAILED:
        return bool(int(summary.get("feeds_ok") or 0) + int(summary.get("feeds_failed") or 0))
    if kind is VerdictKind.DELIVERY_BLOCKED:
        return delivery_state(summary) is not Delivery.IDLE
    return True


def standing_failure(finished: Sequence[RunRecord]) -> tuple[RunRecord, int] | None:
    """The newest failed or crashed pass of `finished` (newest first) that no pass after it
    has cleared, with the count of passes since. Every feed down backs off, so the passes
    after the failed one find nothing due and complete: they must not clear it (health said
    healthy, the operations channel "resolved", while every feed was still down), nor must
    passes that tried no alert clear blocked delivery."""
    since: list[RunRecord] = []
    for run in finished:
        if run.status in (RunStatus.FAILED, RunStatus.CRASHED):
            kind = failed_for(run.summary)
            if any(tells(later.summary, kind) for later in since):
                return None
            return run, len(since)
        since.append(run)
    return None
