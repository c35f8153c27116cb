"""Progress of a long job for whoever watches it: the command line installs a terminal bar,
a flow adds its log and a Prefect artifact; the job itself only says how far it got."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol


class Progress(Protocol):
    def start(self, total: int | None, what: str) -> None:
        """A job of `total` items (None: unknown) begins."""
        ...

    def update(self, done: int) -> None:
        """`done` items of the job are finished (a running total, not an increment)."""
        ...

    def finish(self) -> None: ...


class Quiet:
    """Nobody is watching."""

    def start(self, total: int | None, what: str) -> None:
        pass

    def update(self, done: int) -> None:
        pass

    def finish(self) -> None:
        pass


class Fanout:
    """Several watchers of one job."""

    def __init__(self, *watchers: Progress) -> None:
        self.watchers = watchers

    def start(self, total: int | None, what: str) -> None:
        for w in self.watchers:
            w.start(total, what)

    def update(self, done: int) -> None:
        for w in self.watchers:
            w.update(done)

    def finish(self) -> None:
        for w in self.watchers:
            w.finish()


_lock = threading.Lock()
_current: Progress = Quiet()


def current() -> Progress:
    """The watcher installed by whoever started the job in this process (`watching`)."""
    return _current


@contextmanager
def watching(progress: Progress) -> Iterator[Progress]:
    """Install `progress` for jobs started in this process inside the block (the flow may run
    its tasks in other threads, so this is process-wide, not a context variable)."""
    global _current
    with _lock:
        previous, _current = _current, progress
    try:
        yield progress
    finally:
        with _lock:
            _current = previous


class TerminalBar:
    """A rich progress bar on stderr, for `newsmon backfill` in a terminal; nothing at all when
    stderr is not one, so logs, pipes and cron mail stay clean."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        console = Console(stderr=True)
        self._bar = (
            RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console,
                redirect_stdout=False,  # Prefect's log handler owns the streams
                redirect_stderr=False,
            )
            if console.is_terminal
            else None
        )
        self._task: Any = None

    def start(self, total: int | None, what: str) -> None:
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task(what, total=total)

    def update(self, done: int) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=done)

    def finish(self) -> None:
        """Stop drawing (idempotent: the command calls it even when the job failed)."""
        if self._bar is not None:
            self._bar.stop()
