"""Writes a pass makes about its work rather than the work itself (a feed's failure, claims
handed back), which a failing database must not turn into the loss of that work."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import ParamSpec

from sqlalchemy.exc import SQLAlchemyError

from newsmon.config import FeedConfig
from newsmon.pipeline.context import Context
from newsmon.pipeline.outcomes import FeedOutcome, error_line

log = logging.getLogger(__name__)
P = ParamSpec("P")


async def best_effort(
    what: str, write: Callable[P, object], *args: P.args, **kwargs: P.kwargs
) -> bool:
    """Run `write` in a thread; when the database refuses it (SQLite locked past its busy
    timeout by another process, PostgreSQL down), one warning line and False instead of an
    exception: a batch that raised lost every feed's outcome, read or not, and claims not
    handed back lapse by themselves."""
    try:
        await asyncio.to_thread(write, *args, **kwargs)
    except SQLAlchemyError as exc:
        log.warning("%s not recorded: %s", what, error_line(exc))
        return False
    return True


def claim_refused(feed: FeedConfig, exc: SQLAlchemyError) -> FeedOutcome:
    """The database refused the feed's claim (SQLite locked past its busy timeout by another
    process, PostgreSQL down): the feed is not read, and is left due for the next pass. One
    line, not an exception: one raised lost the outcomes of the whole batch."""
    line = f"not read: the database refused its claim ({error_line(exc)})"
    log.warning("feed %s %s", feed.name, line)
    return FeedOutcome(feed.name, ok=False, error=line)


def batch_refused(feeds: Sequence[FeedConfig], exc: SQLAlchemyError) -> list[FeedOutcome]:
    """The database refused what a batch does before its first claim (recording feeds new to
    it, its look-ups): none is read, none counted as failing, all left for the next pass. One
    line: a batch that raised was retried, then each feed recorded as an "internal error"
    (or the pass crashed, the lock still held)."""
    line = f"not read: the database refused the batch's start ({error_line(exc)})"
    log.warning("%d feeds %s", len(feeds), line)
    return [FeedOutcome(feed.name, ok=False, error=line) for feed in feeds]


def record_crashed(
    ctx: Context, feeds: Sequence[FeedConfig], error: BaseException
) -> list[FeedOutcome]:
    """A batch of feeds crashed for good (a bug, not a bad feed): record each of its feeds as
    failed, so the feed's health shows it, and let the rest of the pass go on. A database that
    refuses the record (locked, down) costs the record, in one line, not the pass: raising here
    crashed it, every other batch's outcome lost (and each feed after would wait its timeout)."""
    line = f"internal error: {error_line(error)}"
    out = [FeedOutcome.failed(feed.name, line) for feed in feeds]
    for n, feed in enumerate(feeds):
        try:
            state = ctx.store.sync_feed(feed.name, feed.url, feed.language)
            ctx.store.record_feed_failure(state.id, line)
        except SQLAlchemyError as exc:
            names = ", ".join(f.name for f in feeds[n:])
            log.warning("failure of %s not recorded: %s", names, error_line(exc))
            break
    return out


def settle_batches(
    ctx: Context,
    groups: Sequence[Sequence[FeedConfig]],
    results: Sequence[list[FeedOutcome] | BaseException],
) -> list[FeedOutcome]:
    """Every feed's outcome from the batches' results, a crashed batch recorded as failed."""
    outcomes: list[FeedOutcome] = []
    for group, result in zip(groups, results, strict=True):
        if isinstance(result, BaseException):
            outcomes.extend(record_crashed(ctx, group, result))
        else:
            outcomes.extend(result)
    return outcomes
