"""When a page is tried again on a later pass (newsmon.pipeline.retries tries it).

Two kinds of page are: one that failed to download softly (a timeout, 429, a 5xx, a dropped
connection), and one downloaded whose CPU work a worker stopped through no fault of the page's
own (`RETRIED_STOPS`): its worker host was overloaded (`Stop.STALLED`: the wall-clock backstop
ran out while the CPU budget was not spent), its worker was killed twice (`Stop.DIED`: the OOM
killer, an operator), or no worker could start (`Stop.NO_WORKERS`). Both are stored from their
teasers at once and tried again with the same backoff, at most `fetch.page_retries` more times.

A page that spent its whole CPU budget (`Stop.TIME`) or its memory (`Stop.MEMORY`) is not tried
again: it would cost the same again, and a hostile page would cost every pass its budget. One
read on a later pass (a soft download failure before) that is stopped so is given up there.
"""

from __future__ import annotations

from datetime import datetime

from newsmon import poll
from newsmon.config import Config
from newsmon.fetch import NOT_REQUESTED, FetchResult
from newsmon.workers import Stop

# a worker's stop the page is not to blame for: its page is read again on a later pass
RETRIED_STOPS = frozenset({Stop.STALLED, Stop.DIED, Stop.NO_WORKERS})


def still_down(page: FetchResult) -> bool:
    """Whether a page's answer may change by itself (a timeout, 429, a 5xx, a dropped
    connection): not read, not refused by newsmon, not gone for good (404, a bad certificate)."""
    if page.ok or page.failure in NOT_REQUESTED:
        return False
    return poll.severity(page.failure, page.status) is poll.Severity.SOFT


def next_try(config: Config, page: FetchResult, attempts: int, now: datetime) -> datetime | None:
    """When to download a page again after its `attempts`-th failure (0: deferred by its
    feed's page budget, not requested yet); None when not: it was read, it was refused or has
    no link, it failed for good, or it has had its `fetch.page_retries` further tries."""
    if not still_down(page) or attempts > config.fetch.page_retries:
        return None
    return soft_wait(config, page, attempts, now)


def soft_wait(config: Config, page: FetchResult, attempts: int, now: datetime) -> datetime:
    """When a page still failing softly after `attempts` downloads is worth another request:
    a feed's soft backoff, or the Retry-After it sent."""
    kind = poll.Severity.SOFT
    return poll.after_failure(config.poll, now, attempts, kind, page.headers, page.status).at


def stopped_retry_at(
    config: Config, stop: Stop | None, attempts: int, now: datetime
) -> datetime | None:
    """When to read again a page downloaded whose work a worker stopped (`stop`) on its
    `attempts`-th try; None when not: the stop was the page's own (its CPU or memory budget
    spent), or it has had its `fetch.page_retries` further tries."""
    if stop not in RETRIED_STOPS or attempts > config.fetch.page_retries:
        return None
    return poll.after_failure(config.poll, now, attempts, poll.Severity.SOFT).at
