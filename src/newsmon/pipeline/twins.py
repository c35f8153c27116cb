"""A pass's feeds that are another configured feed (`newsmon.feed_twins`): not read as well."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from newsmon import poll
from newsmon.config import FeedConfig
from newsmon.feed_twins import configured_twins, shown_move
from newsmon.fetch import FetchResult
from newsmon.pipeline.context import Context
from newsmon.pipeline.outcomes import FeedOutcome
from newsmon.urls import shown_url

log = logging.getLogger(__name__)


def read_for(ctx: Context, name: str) -> frozenset[str]:
    """The configured feeds feed `name` reads for (its twins): a story one of them stored is
    this feed's own, no other source's. A feed that moved onto another's address was read by
    the first configured of the two before today's rule (the one configured there): after the
    upgrade, each of its stories got an "also reported by" reply from the feed itself."""
    feeds = [f for f in ctx.config.feeds if f.enabled]
    twins = configured_twins(feeds, ctx.store.feeds.moves())
    return frozenset(twin for twin, reader in twins.items() if reader == name)


def twin_outcome(feed: FeedConfig, first: str, configured: Sequence[FeedConfig]) -> FeedOutcome:
    """A feed configured again under another name (or moved onto `first`'s address): not
    fetched, since `first` reads its stories; said each pass, so the configuration is fixed."""
    url = next(f.url for f in configured if f.name == first)
    line = f"the same feed as {first} ({shown_url(url)}), which reads it: "
    line += "not fetched; remove one of them from the configuration"
    log.warning("feed %s: %s", feed.name, line)
    return FeedOutcome(feed.name, not_due=True, twin_of=first, warning=line)


async def moved_onto_twin(
    ctx: Context,
    feed_id: int,
    feed: FeedConfig,
    onto: FeedConfig,
    response: FetchResult,
    stored_move: str | None,
    outcome: FeedOutcome,
    now: datetime,
) -> FeedOutcome:
    """A feed whose permanent move, found by this fetch, leads to `onto`'s address: its
    stories are `onto`'s, read by it, so none is read from here (each got an "also reported
    by" reply from the feed itself). The move is recorded, without validators (the first of
    the two to read it next pass reads it whole), and the twins are paired from then on."""
    nxt = poll.after_success(ctx.config.poll, now, response.headers)
    await asyncio.to_thread(
        ctx.store.record_feed_success,
        feed_id,
        entries=0,
        etag=None,
        last_modified=None,
        next_check_at=nxt.at,
        schedule_note=nxt.reason,
        status=response.status,
        moved_to=stored_move,
    )
    moved = f"moved permanently to {shown_move(response.moved_to or '', feed.url)}"
    twin = twin_outcome(feed, onto.name, ctx.config.feeds)
    outcome.twin_of, outcome.moved_to, outcome.next_check = onto.name, response.moved_to, nxt
    outcome.warning = "; ".join(filter(None, [outcome.warning, moved, twin.warning]))
    return outcome
