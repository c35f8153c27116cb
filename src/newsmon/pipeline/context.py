"""What one pass shares: configuration, topic rules, the corpus and the secrets."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from newsmon.config import Config, Secrets, check_channels
from newsmon.corpus import Store
from newsmon.fetch import Fetcher
from newsmon.pipeline.claims import PassClaim
from newsmon.rules import Rules, load_rules
from newsmon.workers import PagePool

T = TypeVar("T")


@dataclass
class Context:
    """Shared by every stage of a pass. HTTP lives in a `Fetcher`, created inside the pass's
    event loop (see `fetching`), because its connections belong to that loop."""

    config: Config
    rules: Rules
    store: Store
    secrets: Secrets = field(default_factory=Secrets.from_env)
    # This pass among others on the same corpus: who it is and when it began (the flows set
    # it). None: every `process_feeds` call is a pass of its own (scripts, tests).
    claim: PassClaim | None = None
    # Set when the pass is being stopped (Ctrl-C, SIGTERM, a timeout): work in threads ends
    # at its next message instead of running to its end (`until_stopped`).
    stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    _pages: PagePool | None = field(default=None, repr=False)

    @classmethod
    def open(cls, config: Config, *, read_only: bool = False) -> Context:
        """`read_only` (a dry run): the corpus is never migrated (`Store.open`)."""
        rules = load_rules(config.topics_path())
        secrets = Secrets.from_env()
        check_channels(config, rules.labels, webhook=secrets.webhook_only)
        store = Store.open(config.database_url, read_only=read_only)
        return cls(config, rules, store, secrets)

    @property
    def pages(self) -> PagePool:
        """The worker processes for pages' CPU work; they start with the first page."""
        if self._pages is None:
            self._pages = PagePool(self.rules, self.config)
        return self._pages

    def close(self) -> None:
        """End of the pass: stop the page workers, close the corpus."""
        try:
            if self._pages is not None:
                self._pages.close()
        finally:
            self.store.close()

    @asynccontextmanager
    async def fetching(self) -> AsyncIterator[Fetcher]:
        fetcher = Fetcher(self.config.fetch)
        try:
            yield fetcher
        finally:
            await fetcher.aclose()


async def until_stopped(ctx: Context, work: Callable[[], T]) -> T:
    """`work()` in a thread; when the awaiting task is cancelled (Ctrl-C, SIGTERM, a
    timeout), `ctx.stopping` asks it to end and it is waited for before the cancellation goes
    on. A thread cannot be cancelled: delivery went on posting every alert it had claimed
    after the command said "interrupted", and under a pass that closed the corpus meanwhile.
    Work that honours `stopping` ends within one message (one Slack call)."""
    running = asyncio.ensure_future(asyncio.to_thread(work))
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        ctx.stopping.set()
        while not running.done():
            try:
                await asyncio.shield(running)
            except BaseException:  # cancelled again, or what the work raised: it is done
                continue
        raise
