"""A page's budget in its worker's CPU time, with a wall-clock backstop, and what a stopped
task means.

What `extract.page_timeout_seconds` protects against is a page that costs CPU (hostile markup,
crafted mojibake). Measured in wall time, it also stopped ordinary pages on a loaded machine
(load 8-16 on a worker host running other flows): a worker given a fraction of a core ran out
of seconds it never computed in, and the page was stored from its teaser, its topic missed.
Now a worker sets its own soft RLIMIT_CPU for each page: the CPU seconds it has used so far
plus the budget, rounded up to the whole second the kernel counts in (the limit is per
process and cumulative, and a worker serves many tasks). Past it the kernel sends SIGXCPU,
whose default action ends the worker even inside C code holding the interpreter lock; the
pool sees a worker dead of that signal and the page is over its budget (`Stop.TIME`), as
before. A worker that is not computing (stopped, blocked) is still killed by the pool's wall
clock, at `BACKSTOP_FACTOR` times the budget (`Stop.STALLED`, its own line).

Feed parsing keeps its wall-clock budget (`fetch.feed_parse_timeout_seconds`).
"""

from __future__ import annotations

import math
import resource
import signal
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from enum import StrEnum
from typing import Any

from pebble import ProcessExpired

BACKSTOP_FACTOR = 3  # wall seconds a page may take, in its CPU budgets: a stopped worker


class Stop(StrEnum):
    """Why a worker did not finish a task. Callers decide by this, never by the text."""

    TIME = "time"  # over its time budget (a page's: CPU): the worker was killed and replaced
    STALLED = "stalled"  # a page's worker not done within the wall-clock backstop: killed
    MEMORY = "memory"  # over the worker's address-space cap (MemoryError)
    DIED = "died"  # the worker died under the task (a signal, an exit)
    NO_WORKERS = "no workers"  # no worker could even start: the cap is below their needs


class WorkStopped(Exception):
    """A task a worker did not finish; `stop` says why, the message is one readable line."""

    def __init__(self, stop: Stop, line: str) -> None:
        super().__init__(line)
        self.stop = stop


def backstop(budget: float, factor: float = BACKSTOP_FACTOR) -> float:
    """Wall seconds after which a page's worker is killed whatever its CPU time."""
    return factor * budget


def cpu_limit(used: float, budget: float, hard: int) -> int:
    """The soft RLIMIT_CPU for a task given `budget` CPU seconds in a process that has used
    `used`: whole seconds, rounded up (the task gets its budget, and less than a second more),
    never above the `hard` limit (RLIM_INFINITY: none)."""
    soft = math.ceil(used + budget)
    return soft if hard == resource.RLIM_INFINITY else min(soft, hard)


def within_cpu(budget: float, task: Callable[..., Any], *args: Any) -> Any:
    """`task(*args)` in this worker, ended by SIGXCPU past `budget` more CPU seconds; the
    limit is lifted after it (the next task sets its own)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    used = resource.getrusage(resource.RUSAGE_SELF)
    resource.setrlimit(
        resource.RLIMIT_CPU, (cpu_limit(used.ru_utime + used.ru_stime, budget, hard), hard)
    )
    try:
        return task(*args)
    finally:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def no_core_dumps() -> None:
    """A worker killed by SIGXCPU (its default action dumps core) writes no core file."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, hard))


def stopped(
    exc: BaseException, work: str, seconds: float, memory_mb: int, *, wall: float | None = None
) -> WorkStopped | None:
    """What a task's exception means, when the pool stopped `work` ("extraction", "feed
    parsing") rather than the work failing on its own: the kind and the line, e.g.
    "feed parsing exceeded 20 s". `wall`: `seconds` is a CPU budget (a page's), and `wall` the
    pool's timeout, its backstop. None: `exc` is the work's own error."""
    cpu = wall is not None
    if isinstance(exc, FutureTimeout):
        if wall is not None:
            line = f"{work} stalled: not done in {wall:g} s of wall time (budget {seconds:g} s)"
            return WorkStopped(Stop.STALLED, line)
        return WorkStopped(Stop.TIME, f"{work} exceeded {seconds:g} s")
    if isinstance(exc, MemoryError):
        return WorkStopped(Stop.MEMORY, f"{work} exceeded {memory_mb} MB of memory")
    if isinstance(exc, BrokenProcessPool):
        return WorkStopped(Stop.NO_WORKERS, f"{work} workers cannot start within {memory_mb} MB")
    if isinstance(exc, ProcessExpired):
        if cpu and exc.exitcode == -signal.SIGXCPU:
            return WorkStopped(Stop.TIME, f"{work} exceeded {seconds:g} s")
        why = f"signal {-exc.exitcode}" if (exc.exitcode or 0) < 0 else f"exit {exc.exitcode}"
        return WorkStopped(Stop.DIED, f"{work} worker died ({why})")
    return None
