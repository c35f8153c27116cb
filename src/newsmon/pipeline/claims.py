"""A pass's identity for splitting work with other passes on the same corpus: who it is, when
it began, how long its claims last, and keeping them alive while it works."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from newsmon.clock import utcnow
from newsmon.corpus import Store

log = logging.getLogger(__name__)

# Longer than a feed usually takes (30 s for the feed, 30 s for its pages, extraction); claims
# are renewed every third of it while their pass still works on them.
CLAIM_LEASE = timedelta(minutes=5)


def new_owner(flow_run: str | None = None) -> str:
    """host:pid:random, so an operator can tell which worker holds a claim; with `@flow_run`
    (the Prefect flow run's id) when there is one, so the claims of a run whose process was
    killed can be given back once Prefect reports it ended (`owned_by_flow_run`)."""
    owner = f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return f"{owner}{FLOW_RUN_MARK}{flow_run}" if flow_run else owner


# Between a claim's owner and its flow run's id; no host name, pid or hex holds it.
FLOW_RUN_MARK = "@"


@dataclass
class PassClaim:
    """Who a pass is (`owner`) and when it began: a feed fetched by any pass since `started`
    is done for this one. Passes started for the same schedule slot share `started`.

    A pass claims a feed only when it can start on it (see `slots`), so passes running together
    share the feeds by how fast each one works instead of the first one taking them all.
    """

    owner: str = field(default_factory=new_owner)
    started: datetime = field(default_factory=utcnow)
    lease: timedelta = CLAIM_LEASE
    _slots: asyncio.Semaphore | None = field(default=None, repr=False, compare=False)

    def slots(self, limit: int) -> asyncio.Semaphore:
        """The pass's feeds in flight, shared by all its batches (made on first use, inside
        the pass's event loop)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(max(1, limit))
        return self._slots


@asynccontextmanager
async def renewing(store: Store, claim: PassClaim, held: list[int]) -> AsyncIterator[None]:
    """Renew `claim`'s leases on the feeds in `held` (a list the block keeps up to date) every
    third of a lease until the block ends.

    A renewal the database refuses (a lock held past the busy timeout, a dropped connection)
    is logged and tried again at the next turn: the feeds' work goes on and is recorded, and
    two more turns remain before the lease lapses. Raised out of the block, it would turn
    every feed the pass had finished into a failure and stop the renewals for good."""
    every = claim.lease.total_seconds() / 3

    async def renew() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await asyncio.to_thread(store.renew_claims, list(held), claim.owner, claim.lease)
            except Exception as exc:
                log.warning("claims not renewed, trying again in %g s: %s", every, exc)

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
