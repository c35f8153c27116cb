"""A worker's address-space cap (RLIMIT_AS, `extract.worker_memory_mb`) as the kernel shows
it: what a process holds and has held, whether a task that failed did so at the cap (C code
says so in its own words), and whether a worker is left near it (spent: it would fail
whatever came next). Linux's /proc; elsewhere nothing is known and the cap is never blamed."""

from __future__ import annotations


def _status(field: bytes) -> int | None:
    """A size in /proc/self/status (`VmPeak:`, `VmSize:`), in bytes; None where the kernel
    does not say."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError, MemoryError):
        return None
    return None


def address_space_peak() -> int | None:
    """The most address space this process has held (Linux's VmPeak), in bytes."""
    return _status(b"VmPeak:")


def address_space() -> int | None:
    """The address space this process holds now (Linux's VmSize), in bytes."""
    return _status(b"VmSize:")


def near_the_cap(held: int | None, cap: int | None, started: int | None = None) -> bool:
    """Whether `held` bytes of address space are near the worker's `cap`: within an eighth of
    it, or within half the room it had once `started` when that is less (a cap set just above
    what a worker needs must not make every task look like the one that reached it)."""
    if held is None or cap is None:
        return False
    room = cap // 8 if started is None else min(cap // 8, max(cap - started, 0) // 2)
    return held >= cap - room


def reached_the_cap(
    before: int | None, after: int | None, cap: int | None, *, verdict: bool = False
) -> bool:
    """Whether a task that failed did so at the worker's memory cap. C code reports a refused
    allocation in its own words (lxml's "unknown error", CPython's SystemError "error return
    without exception set", a parser that gives up), and the address-space peak (`before` the
    task, `after` it) is the one trace the cap leaves: within an eighth of `cap` (the
    allocation refused was larger than what was left, so "within" is wide).

    An unexpected error in a worker whose peak is there, now or from an earlier task, counts:
    a worker that has been at its cap is suspect, and one refused a single large allocation
    may not raise its peak at all. A `verdict` on the input ("not a feed", common and the
    publisher's to fix) counts only when this task raised the peak there."""
    if before is None or after is None or cap is None:
        return False
    return near_the_cap(after, cap) and (after > before or not verdict)
