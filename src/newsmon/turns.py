"""A page's turn to be downloaded: its host's queue first, then one of the pass's pages-in-hand
slots, within its feed's time.

The order matters. A page that took a pages-in-hand slot and then queued for a busy host held
that slot while it waited: a feed of many pages on one slow host held every slot, and the pass's
other feeds, on hosts that answer at once, waited for it. Queued per host first, a host holds
at most `fetch.per_host` slots. A feed's pages that have not had their turn by the feed's
deadline (`fetch.feed_pages_budget_seconds`) are not requested this pass (`OutOfTime`): the
caller stores them from their teasers and tries them on a later pass, so a slow host's queue
never runs a batch past its timeout. A feeds task's times (`task_times`) end the turns, and
every download, early enough for the work that follows them to end within the task.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "OutOfTime",
    "PageTurns",
    "TaskTimes",
    "deadline_in",
    "downloads_deadline",
    "downloads_until",
    "hold_both",
    "task_times",
]

# What storing a feed's entries and recording it may take after its last CPU work.
STORE_SECONDS = 30.0


class OutOfTime(Exception):
    """The feed's time for pages ran out before this page's turn came: nothing was requested."""

    def __init__(self, host: str, seconds: float | None) -> None:
        self.host, self.seconds = host, seconds
        budget = f" {seconds:g} s" if seconds is not None else ""
        super().__init__(
            f"not requested this pass: the feed's{budget} for its pages ran out while it "
            f"waited for {host or 'its host'}'s turn; tried again later"
        )


def deadline_in(seconds: float) -> float:
    """The event loop's time `seconds` from now, as `PageTurns.turn` takes it."""
    return asyncio.get_running_loop().time() + seconds


@dataclass(frozen=True)
class TaskTimes:
    """Seconds into a feeds task: after `pages` no page gets its turn; by `downloads` every
    download has ended (cut short, or not retried)."""

    pages: float
    downloads: float


def task_times(task_seconds: float, *, download: float, parse: float, extract: float) -> TaskTimes:
    """A feeds task's times, for a task of `task_seconds`, downloads of `download` seconds
    (`fetch.total_timeout`), feed parsing of `parse` and page extraction of `extract` seconds
    (each run once more when its worker died). After its last download a feed may still parse,
    analyse its pages from their teasers and store them; a page granted its turn last still
    downloads. Each leave is at most half the task (a task set shorter than them)."""
    work = 2 * (parse + extract) + STORE_SECONDS
    half = task_seconds / 2
    return TaskTimes(
        pages=task_seconds - min(work + download, half),
        downloads=task_seconds - min(work, half),
    )


# The event loop's time by which every download ends (None: no limit); see `downloads_until`.
_UNTIL: ContextVar[float | None] = ContextVar("newsmon_downloads_until", default=None)


@contextmanager
def downloads_until(deadline: float | None) -> Iterator[None]:
    """Every download started in the block, and in the tasks it starts, ends by `deadline`
    (the event loop's time; None: no limit): cut short (a timeout), and not retried past it
    (`newsmon.fetch`). Each try kept within `fetch.total_timeout`, but `fetch.retries` of them
    did not keep within a feeds task, whose timeout then failed its whole batch."""
    token = _UNTIL.set(deadline)
    try:
        yield
    finally:
        _UNTIL.reset(token)


def downloads_deadline() -> float | None:
    """The deadline `downloads_until` set for this task (None: none)."""
    return _UNTIL.get()


class PageTurns:
    """Per-host queues in front of `in_hand` (the fetcher's pages-in-hand slots)."""

    def __init__(self, per_host: int, in_hand: asyncio.Semaphore) -> None:
        self._per_host = per_host
        self._in_hand = in_hand
        self._hosts: dict[str, asyncio.Semaphore] = {}

    @asynccontextmanager
    async def turn(
        self, url: str, deadline: float | None = None, budget: float | None = None
    ) -> AsyncIterator[None]:
        """Hold `url`'s host turn and a pages-in-hand slot for the block. Raises `OutOfTime`,
        before the block, when both are not had by `deadline` (loop time; None: no limit);
        `budget` is the feed's time in seconds, for the line."""
        host = (urlsplit(url).hostname or "").lower()
        if deadline is not None and asyncio.get_running_loop().time() >= deadline:
            raise OutOfTime(host, budget)  # even for a free host: the feed's time is spent
        queue = self._hosts.get(host)
        if queue is None:
            queue = self._hosts[host] = asyncio.Semaphore(self._per_host)
        async with hold_both(queue, self._in_hand, deadline, lambda: OutOfTime(host, budget)):
            yield


@asynccontextmanager
async def hold_both(
    first: asyncio.Semaphore,
    second: asyncio.Semaphore,
    deadline: float | None,
    late: Callable[[], Exception],
) -> AsyncIterator[None]:
    """Hold `first`, then `second`, for the block: a host's own slots before a shared pool,
    always in that order, so a request queued for a busy host holds none of the pool. Raises
    `late()`, before the block, when both are not had by `deadline` (loop time; None: no
    limit)."""
    try:
        async with asyncio.timeout_at(deadline):
            await first.acquire()
            try:
                await second.acquire()
            except BaseException:
                first.release()
                raise
    except TimeoutError:
        raise late() from None
    try:
        yield
    finally:
        second.release()
        first.release()
