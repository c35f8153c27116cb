"""Each page's CPU work, and each feed's parsing, in a pool of worker processes, within a time
and memory budget.

Extraction (trafilatura, the JSON-LD fallback), the topic rules, the body hash and the MinHash
signature are pure Python or C that holds the interpreter lock: run in a thread, one hostile
page could stop the event loop, every fetch and Prefect's heartbeats, and no thread can be
stopped. In a worker process it can: a worker whose page runs past
`extract.page_timeout_seconds` of CPU time is killed (SIGXCPU, or pebble's wall-clock backstop
at three times that: newsmon.cpubudget) and a new one started; each worker's address space is
capped (`extract.worker_memory_mb`, RLIMIT_AS) and it is recycled after
`extract.tasks_per_worker` pages, so a leak cannot grow for ever. The pass's process keeps the
network and the database; workers only compute.

Feeds are parsed in the same workers (`PagePool.parse_feed`), within
`fetch.feed_parse_timeout_seconds` and the same memory cap: feedparser needs seconds of CPU on
a hostile feed of repeated elements, and a thread would hold the interpreter lock for all of
them. A feed over its budget fails alone (`WorkStopped`, one line).

Start method: ``forkserver``. The pass runs threads (Prefect, the event loop, database pools),
and forking a process with threads can copy a lock some thread held; a fork server is a clean
single-threaded process that imports the extraction stack once (preload) and forks each worker
from that, in milliseconds. The topic rules travel once per worker, pickled, through the
initializer. A worker dies with the fork server (PR_SET_PDEATHSIG), and the fork server with
the pass, so a killed pass leaves no process behind.

``workers: 0`` runs the same function in a thread of the pass itself, without any budget: for
debugging (breakpoints, profilers) only.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing
import os
import pickle
import resource
import signal
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from pebble import ProcessPool

from newsmon.bounds import clean_optional, clean_text, clip
from newsmon.config import Config
from newsmon.cpubudget import BACKSTOP_FACTOR, backstop, no_core_dumps, stopped, within_cpu
from newsmon.cpubudget import Stop as Stop
from newsmon.cpubudget import WorkStopped as WorkStopped
from newsmon.dedup import Signature, content_hash, minhash_signature
from newsmon.extract import Extracted, extract_article
from newsmon.feeds import FeedParseError, ParsedFeed, parse_feed
from newsmon.memcap import address_space, address_space_peak, near_the_cap, reached_the_cap
from newsmon.rules import Rules, TopicMatch
from newsmon.turns import NoTimeForWork, WorkSlots

if TYPE_CHECKING:  # not imported by the workers, which never download
    from newsmon.fetch import FetchResult

_PRELOAD = ["newsmon.workers"]  # trafilatura, lxml, numpy, feedparser, the rules: once a server
_PR_SET_PDEATHSIG = 1
T = TypeVar("T")
_FeedArgs = tuple[bytes, str, str | None, str | None, int | None, str | None, bool]  # parse_feed's


@dataclass(frozen=True)
class PageJob:
    """What a worker needs to know about one entry's page: picklable, no connections."""

    url: str | None
    content: bytes | None  # None: no page to read (`reason` says why)
    charset: str | None = None
    reason: str | None = None
    note: str | None = None  # appended to the extraction note (e.g. "page cut at ... bytes")
    feed_title: str = ""
    feed_summary: str = ""
    language: str | None = None
    max_text_chars: int = 200_000
    zone: str | None = None  # the feed's `timezone`: of page dates written without one
    guess_zone: bool = False  # no feed speaks for the page: its own evidence (`page_zone`)

    def without_page(self, reason: str) -> PageJob:
        """The same entry from its feed's summary alone, and why."""
        return replace(self, content=None, reason=reason, note=None)


@dataclass(frozen=True)
class PageAnalysis:
    """A page's text and everything computed from it, ready to be stored by the pass."""

    extracted: Extracted
    matches: tuple[TopicMatch, ...]
    content_hash: str | None
    signature: Signature | None
    # the page's own work stopped by a worker, this the teaser's analysis: why (retries decide)
    stopped: Stop | None = None
    # the download of the page's frame (the article it frames) failed softly, this its answer
    # (bodiless): the page is tried again as if its own download had failed
    frame_down: FetchResult | None = None


class PageFailed(Exception):
    """A page's CPU work did not finish: over its time or memory budget, or an error; the
    message is the one line stored as the entry's reason, `stop` why a worker stopped it
    (None: the work's own error)."""

    def __init__(self, line: str, stop: Stop | None = None) -> None:
        super().__init__(line)
        self.stop = stop


class WorkerError(Exception):
    """An error raised in a worker that could not travel back as itself (lxml's errors carry
    their error log, which does not pickle): its type's name and its text, as one line."""


def _note(*parts: str | None) -> str | None:
    return "; ".join(p for p in parts if p) or None


def bounded_text(extracted: Extracted, max_chars: int) -> Extracted:
    """The extraction with NUL and lone surrogates cleaned from every field, and the text cut
    to `max_chars` characters (noted), before anything hashes, classifies or stores it."""
    text, cut = clip(clean_text(extracted.text), max_chars)
    note = _note(extracted.note, f"text cut at {max_chars} characters" if cut else None)
    return replace(
        extracted,
        title=clean_optional(extracted.title),
        text=text,
        author=clean_optional(extracted.author),
        note=clean_optional(note),
    )


def analyse(job: PageJob, rules: Rules) -> PageAnalysis:
    """Extract, bound, classify and hash one page: the whole CPU share of an entry. Pure."""
    extracted = extract_article(
        job.content,
        url=job.url,
        http_charset=job.charset,
        feed_title=clean_text(job.feed_title),
        feed_summary=clean_text(job.feed_summary),
        language_hint=job.language,
        reason=job.reason,
        zone=job.zone,
        guess_zone=job.guess_zone,
    )
    if job.note:
        extracted = replace(extracted, note=_note(extracted.note, job.note))
    extracted = bounded_text(extracted, job.max_text_chars)
    # the feed's headline first, as the stored article has it (newsmon.pipeline.entries)
    title = clean_text(job.feed_title) or extracted.title
    matches = tuple(rules.classify(title, extracted.text))
    return PageAnalysis(
        extracted,
        matches,
        content_hash(extracted.text),
        minhash_signature(extracted.text),
    )


def summary_only(job: PageJob) -> PageAnalysis:
    """The last resort, computed in the pass's own process: the feed's summary, bounded, with
    no topics and no hashes (nothing that could run long)."""
    extracted = Extracted(
        title=clean_text(job.feed_title) or None,
        text=job.feed_summary,
        source="feed-summary" if job.feed_summary.strip() else "none",
        language=job.language,
        note=job.reason,
    )
    return PageAnalysis(bounded_text(extracted, job.max_text_chars), (), None, None)


# --- the worker's side ----------------------------------------------------------------------

_worker_rules: Rules | None = None
_worker_cap: int | None = None  # the address-space limit the worker runs under, in bytes
_worker_started: int | None = None  # the address space it held once started, in bytes


def _init_worker(rules_pickle: bytes, memory_bytes: int) -> None:
    """Runs once in each new worker: die with the parent, cap memory, load the rules."""
    global _worker_rules, _worker_cap, _worker_started
    with contextlib.suppress(OSError, AttributeError):  # Linux only; elsewhere best effort
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the pass's to handle
    with contextlib.suppress(ValueError, OSError):
        no_core_dumps()
    with contextlib.suppress(ValueError, OSError):
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        _worker_cap = limit
    _worker_rules = pickle.loads(rules_pickle)
    _worker_started = address_space()


@dataclass(frozen=True)
class Done:
    """A task's result from a worker, and whether that worker is spent: its address space
    still near the cap after the task (a MemoryError, or one trafilatura caught, leaves the
    heap it had reached mapped). A spent worker would fail the next task, whatever it is."""

    value: Any
    spent: bool


def _done(value: Any) -> Done:
    return Done(value, near_the_cap(address_space(), _worker_cap, _worker_started))


def _failed_at_the_cap(exc: Exception, before: int | None) -> Exception:
    """The error to send back for a task's `exc`: a MemoryError when the task failed at the
    cap (the pass then reports the memory budget, not an error the cap made up), else `exc`
    as it can travel."""
    verdict = isinstance(exc, FeedParseError)
    if reached_the_cap(before, address_space_peak(), _worker_cap, verdict=verdict):
        return MemoryError(f"{type(exc).__name__} at the worker's memory cap")
    return exc if verdict else _travelling(exc)


def _analyse_in_worker(job: PageJob) -> Done:
    assert _worker_rules is not None, "worker started without its initializer"
    before = address_space_peak()
    try:
        return _done(analyse(job, _worker_rules))
    except MemoryError:
        raise
    except Exception as exc:
        raise _failed_at_the_cap(exc, before) from None


def _parse_in_worker(
    data: bytes,
    url: str,
    http_charset: str | None,
    content_type: str | None,
    max_entries: int | None,
    zone: str | None,
    guess_zone: bool,
) -> Done:
    before = address_space_peak()
    try:
        read = partial(parse_feed, data, url, http_charset, content_type, zone=zone)
        return _done(read(max_entries=max_entries, guess_zone=guess_zone))
    except MemoryError:
        raise
    except Exception as exc:  # "not a feed" too: a parser refused memory can say so
        raise _failed_at_the_cap(exc, before) from None


def _travelling(exc: Exception) -> Exception:
    """`exc` itself when it can travel back to the pass (pickle), else a WorkerError with its
    type's name and first line: lxml's errors carry an error log that does not pickle, and came
    back as "cannot pickle '_ListErrorLog'" instead of what went wrong."""
    try:
        pickle.dumps(exc)
    except Exception:
        line = str(exc).strip().splitlines()
        return WorkerError(f"{type(exc).__name__}: {line[0][:300] if line else ''}")
    return exc


def worker_count(configured: int | None) -> int:
    """Worker processes for `workers:` in the configuration: null means one per usable core."""
    if configured is not None:
        return configured
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(_PRELOAD)
    return ctx


def _stop_pool(pool: ProcessPool) -> None:
    pool.stop()  # type: ignore[no-untyped-call]
    pool.join(timeout=10)


def _drain(pool: ProcessPool, seconds: float) -> None:
    """Let a closed pool finish its tasks within `seconds` (their budgets), then stop it."""
    try:
        pool.join(timeout=seconds)
    except TimeoutError:
        _stop_pool(pool)


async def _again_if_died(attempt: Callable[[], Awaitable[T]]) -> T:
    """`attempt()`, and once more if its worker died (or the pool lost its workers): a worker
    left broken by the previous task (a MemoryError), or killed by the OOM killer, is not the
    task's fault; twice is."""
    try:
        return await attempt()
    except WorkStopped as stop:
        if stop.stop is not Stop.DIED:
            raise
    return await attempt()


class PagePool:
    """The pass's worker processes, started at the first page or feed and stopped by `close`."""

    def __init__(
        self, rules: Rules, config: Config, *, backstop_factor: float = BACKSTOP_FACTOR
    ) -> None:
        self.rules = rules
        self.budget = config.extract.page_timeout_seconds  # CPU seconds (newsmon.cpubudget)
        self.backstop = backstop(self.budget, backstop_factor)  # wall seconds
        self.feed_budget = config.fetch.feed_parse_timeout_seconds
        self.memory_mb = config.extract.worker_memory_mb
        self.tasks_per_worker = config.extract.tasks_per_worker
        self.size = worker_count(config.workers)
        self.slots = WorkSlots(self.size)  # what waits for a worker waits there, in time
        self._pool: ProcessPool | None = None
        self._proven: ProcessPool | None = None  # the pool whose workers have run a task
        self._retiring: list[tuple[ProcessPool, threading.Thread]] = []  # left, draining
        self._lock = threading.Lock()

    def _started(self) -> ProcessPool:
        with self._lock:
            if self._pool is None:
                pool = ProcessPool(
                    max_workers=self.size,
                    max_tasks=self.tasks_per_worker,
                    initializer=_init_worker,
                    initargs=(pickle.dumps(self.rules), self.memory_mb * 1024 * 1024),
                    context=_context(),
                )
                # pebble starts its workers in the first `schedule`, in the caller's thread
                pool.schedule(os.getpid)
                self._pool = pool
            return self._pool

    async def _ready(self) -> ProcessPool:
        """The pool, its workers started off the event loop: spawning them takes ~0.8 s, during
        which the pass's downloads, timeouts and Slack calls would otherwise stand still."""
        pool = self._pool
        return pool if pool is not None else await asyncio.to_thread(self._started)

    async def analyse(self, job: PageJob) -> PageAnalysis:
        """The page's analysis, or PageFailed with the reason to store (NoTimeForWork: none).

        A page whose worker died is analysed once more in a new worker, as a feed is (see
        `parse_feed`): a worker that ran out of memory on one page can crash on the next."""
        if self.size == 0:  # debugging mode: in this process, no budget
            try:
                return await asyncio.to_thread(analyse, job, self.rules)
            except Exception as exc:
                raise PageFailed(f"extraction failed: {type(exc).__name__}: {exc}") from exc
        try:
            return await _again_if_died(lambda: self._analyse_once(job))
        except WorkStopped as stop:
            raise PageFailed(str(stop), stop.stop) from None

    async def _analyse_once(self, job: PageJob) -> PageAnalysis:
        try:
            result: PageAnalysis = await self._run(
                "extraction", self.budget, within_cpu, self.budget, _analyse_in_worker, job
            )
        except (WorkStopped, NoTimeForWork):
            raise
        except Exception as exc:
            raise PageFailed(f"extraction failed: {type(exc).__name__}: {exc}") from exc
        return result

    async def _run(self, work: str, budget: float, task: Callable[..., Any], *args: Any) -> Any:
        """`task(*args)` in a worker within `budget`: its result, its own error, or WorkStopped.
        A page's task is `within_cpu`: its budget is CPU time, and the wall clock a backstop.

        pebble gives a whole pool up when a worker dies while no task is running (the OOM
        killer takes the largest process, often a worker between tasks; one killed while it
        starts): the task waiting then fails, and so would every later one ("Unexpected error
        within the Pool"). A pool whose workers had run tasks is dropped for a new one and the
        task stopped as its worker's death, so it runs once more (`_again_if_died`) in the new
        pool. A pool that never ran one cannot start its workers (the memory cap is below
        their needs): it is kept, so every later task fails at once, not after a new start."""
        async with self.slots.held(work):  # or NoTimeForWork (newsmon.turns)
            pool = await self._ready()
            try:
                wall = self.backstop if task is within_cpu else None
                future = pool.schedule(task, args=args, timeout=wall or budget)
            except RuntimeError:  # pebble gave the pool up before this task
                raise await self._given_up(pool, work) from None
            try:
                result: Done = await asyncio.wrap_future(future)
            except Exception as exc:
                stop = stopped(exc, work, budget, self.memory_mb, wall=wall)
                if stop is None:
                    self._proven = pool  # a worker ran the task (it failed on its own)
                    raise
                if stop.stop is Stop.NO_WORKERS:
                    raise await self._given_up(pool, work) from None
                self._proven = pool  # over a budget, or died at it: the worker had started
                if stop.stop is Stop.MEMORY:
                    self._retire(pool)
                raise stop from None
            self._proven = pool
            if result.spent:
                self._retire(pool)
            return result.value

    def _retire(self, pool: ProcessPool) -> None:
        """Leave `pool`, one of its workers spent (`Done`): the next task starts a new pool
        (~0.8 s, rare), this one finishes its tasks and exits. pebble cannot retire a worker:
        killing one between tasks gives the pool up, and `max_tasks` is the pool's."""
        with self._lock:
            if self._pool is not pool:
                return  # retired already, by another of its tasks
            self._pool = None
            pool.close()  # type: ignore[no-untyped-call]
            last = max(self.backstop, self.feed_budget) + 10  # its tasks' budgets
            drain = threading.Thread(target=_drain, args=(pool, last), daemon=True)
            self._retiring.append((pool, drain))
        drain.start()

    async def _given_up(self, pool: ProcessPool, work: str) -> WorkStopped:
        """Why a task failed in a pool pebble has given up on (see `_run`)."""
        if self._proven is not pool:
            return WorkStopped(
                Stop.NO_WORKERS, f"{work} workers cannot start within {self.memory_mb} MB"
            )
        await self._drop(pool)
        return WorkStopped(Stop.DIED, f"{work} workers were lost (killed between tasks)")

    async def _drop(self, pool: ProcessPool) -> None:
        """Stop a pool pebble has given up on; the next task starts a new one."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
        await asyncio.to_thread(_stop_pool, pool)

    async def parse_feed(
        self,
        data: bytes,
        url: str,
        http_charset: str | None,
        content_type: str | None,
        *,
        max_entries: int | None,
        zone: str | None = None,
        guess_zone: bool = True,
    ) -> ParsedFeed:
        """`feeds.parse_feed` in a worker, within `fetch.feed_parse_timeout_seconds` and the
        memory cap. Raises FeedParseError (not a feed), WorkStopped (over a budget, or the
        worker died), NoTimeForWork (no worker took it in time), or the parser's own error.

        A feed whose worker died is parsed once more, in a new worker, before it is failed: a
        worker that ran out of memory on one task can abort or crash on the next (seen: signal
        6 or 11, or exit 1, on an ordinary feed right after a MemoryError), and that feed is
        not to blame. A feed that kills its worker twice is."""
        args = (data, url, http_charset, content_type, max_entries, zone, guess_zone)
        if self.size == 0:  # debugging mode: in this process, no budget
            read = partial(parse_feed, data, url, http_charset, content_type, zone=zone)
            return await asyncio.to_thread(read, max_entries=max_entries, guess_zone=guess_zone)
        return await _again_if_died(lambda: self._parse_once(args))

    async def _parse_once(self, args: _FeedArgs) -> ParsedFeed:
        result: ParsedFeed = await self._run(
            "feed parsing", self.feed_budget, _parse_in_worker, *args
        )
        return result

    def close(self) -> None:
        """Stop the workers now (a running page is abandoned); the next page would start them
        again. Safe to call twice."""
        with self._lock:
            pool, self._pool = self._pool, None
            retiring, self._retiring = self._retiring, []
        if pool is not None:
            _stop_pool(pool)
        for left, drain in retiring:
            left.stop()  # type: ignore[no-untyped-call]
            drain.join(timeout=15)
