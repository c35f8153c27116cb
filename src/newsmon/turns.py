"""A page's turn to be downloaded: its host's queue first, then one of the pass's pages-in-hand
slots, within its feed's time.

The order matters. A page that took a pages-in-hand slot and then queued for a busy host held
that slot while it waited: a feed of many pages on one slow host held every slot, and the pass's
other feeds, on hosts that answer at once, waited for it. Queued per host first, a host holds
at most `fetch.per_host` slots. A feed's pages that have not had their turn by the feed's
deadline (`fetch.feed_pages_budget_seconds`) are not requested this pass (`OutOfTime`): the
caller stores them from their teasers and tries them on a later pass, so a slow host's queue
never runs a batch past its timeout. A feeds task's times (`task_times`) end the turns, and
every download, early enough for the work that follows them to end within the task; and they
end the wait of CPU work for a page worker (`work_until`, `WorkSlots`), which a worker's
budget bounds only once the worker takes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urlsplit

from newsmon.hosts import host_key

__all__ = [
    "NoTimeForWork",
    "OutOfTime",
    "PageTurns",
    "TaskTimes",
    "WorkSlots",
    "deadline_in",
    "downloads_deadline",
    "downloads_until",
    "hold_both",
    "task_times",
    "work_until",
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


class NoTimeForWork(Exception):
    """No worker took this CPU work (a feed's parsing, a page's extraction) by the feeds
    task's time for it (`work_until`): it was not run; its feed or entry waits for a later
    pass."""

    def __init__(self, work: str) -> None:
        self.work = work
        super().__init__(
            f"{work} not started: no worker was free before the task's time for it ran out; "
            "left for a later pass"
        )


def deadline_in(seconds: float) -> float:
    """The event loop's time `seconds` from now, as `PageTurns.turn` takes it."""
    return asyncio.get_running_loop().time() + seconds


@dataclass(frozen=True)
class TaskTimes:
    """Seconds into a feeds task: after `pages` no page gets its turn; by `downloads` every
    download has ended (cut short, or not retried); after `work` no CPU work starts in a
    worker (what queued for one is left for a later pass)."""

    pages: float
    downloads: float
    work: float


def task_times(task_seconds: float, *, download: float, parse: float, extract: float) -> TaskTimes:
    """A feeds task's times, for a task of `task_seconds`, downloads of `download` seconds
    (`fetch.total_timeout`), feed parsing of `parse` and page extraction of `extract` seconds
    (each run once more when its worker died). After its last download a feed may still parse,
    analyse its pages from their teasers and store them; a page granted its turn last still
    downloads. CPU work given a worker last may run its budget twice (a page's, then its
    teaser's in the same slot; or once more when its worker died); what waits for a worker
    then is not started. Each leave is at most half the task, CPU work's a quarter (a task set
    shorter than them): work comes after downloads, so what a download cut at its deadline
    left (a page to store from its teaser) still gets a worker."""
    work = 2 * (parse + extract) + STORE_SECONDS
    half = task_seconds / 2
    return TaskTimes(
        pages=task_seconds - min(work + download, half),
        downloads=task_seconds - min(work, half),
        work=task_seconds - min(2 * max(parse, extract) + STORE_SECONDS, task_seconds / 4),
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


# The event loop's time after which no CPU work starts in a worker (None: no limit).
_WORK: ContextVar[float | None] = ContextVar("newsmon_work_until", default=None)


@contextmanager
def work_until(deadline: float | None) -> Iterator[None]:
    """CPU work asked for in the block, and in the tasks it starts, that has no worker slot by
    `deadline` (the event loop's time; None: no limit) is not run (`WorkSlots`). A worker's
    budget runs from when it takes the work: with more pages in hand than workers, pages
    downloaded in time queued past a feeds task's timeout, which failed its batch."""
    token = _WORK.set(deadline)
    try:
        yield
    finally:
        _WORK.reset(token)


# The slots a task holds (`WorkSlots.held`), so that its further work runs in them.
_HOLDING: ContextVar[WorkSlots | None] = ContextVar("newsmon_work_slot", default=None)


class WorkSlots:
    """One slot per page worker (`size`; 0: no limit). CPU work waits for a slot here, where
    the feeds task's time for it (`work_until`) ends the wait, not in pebble's queue, where a
    worker's budget starts only when the worker takes the work. A task holding a slot runs its
    further work in it (a teaser's analysis after its page's), not behind the queue."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()  # one per event loop: a pool may outlive a loop
        if self._free is None or self._free[0] is not loop:
            self._free = (loop, asyncio.Semaphore(self.size))
        return self._free[1]

    @asynccontextmanager
    async def held(self, what: str) -> AsyncIterator[None]:
        """A slot for the block, or the one this task holds; `NoTimeForWork` (`what`: the
        work, for the line) when none is free by the `work_until` deadline."""
        if self.size == 0 or _HOLDING.get() is self:
            yield
            return
        until, free = _WORK.get(), self._semaphore()
        if until is not None and asyncio.get_running_loop().time() >= until:
            raise NoTimeForWork(what)
        try:
            async with asyncio.timeout_at(until):
                await free.acquire()
        except TimeoutError:
            raise NoTimeForWork(what) from None
        token = _HOLDING.set(self)
        try:
            yield
        finally:
            _HOLDING.reset(token)
            free.release()


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
        key = host_key(host)  # one queue for `ＹＮＡ.co.kr`, `yna.co.kr.` and `yna.co.kr`
        queue = self._hosts.get(key)
        if queue is None:
            queue = self._hosts[key] = asyncio.Semaphore(self._per_host)
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
