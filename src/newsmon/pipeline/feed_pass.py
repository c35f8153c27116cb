"""One feed, and many feeds, through a pass: conditional fetch, parse, hand new entries on,
try again the pages that failed before, record the feed's health and when to poll it next.
Never raises for a bad feed or page."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from newsmon import poll
from newsmon.clock import ahead_of, utcnow
from newsmon.config import FeedConfig
from newsmon.corpus.records import FeedSpec, FeedState, KnownArticle
from newsmon.feed_twins import configured_twins, move_to_store, moved_onto, shown_move
from newsmon.feeds import FeedParseError
from newsmon.fetch import FailureKind, Fetcher, FetchResult
from newsmon.pipeline.bookkeeping import batch_refused, best_effort, claim_refused
from newsmon.pipeline.claims import PassClaim, renewing
from newsmon.pipeline.context import Context
from newsmon.pipeline.entries import process_entry, record_entry_failure
from newsmon.pipeline.entry_keys import (
    Identified,
    identify,
    known_articles,
    renamed,
    renamed_candidates,
    taken_over,
    wanted,
)
from newsmon.pipeline.outcomes import FeedOutcome, error_line
from newsmon.pipeline.rereads import revisit_known
from newsmon.pipeline.retries import retry_pages
from newsmon.pipeline.reused_keys import set_aside_reused
from newsmon.pipeline.twins import moved_onto_twin, twin_outcome
from newsmon.stamps import undated_held, unstamped
from newsmon.turns import NoTimeForWork, deadline_in
from newsmon.urls import item_of, shown_url, without_credentials, without_keys_of
from newsmon.workers import Stop, WorkStopped

log = logging.getLogger(__name__)

# how far back a link-less entry under a new GUID is looked for among its feed's stored
# articles (`entry_keys.renamed`): a CMS renaming items each pass keeps them listed for weeks
RENAMED_WITHIN = timedelta(days=30)
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.5"
)


async def process_feed(
    ctx: Context,
    fetcher: Fetcher,
    feed: FeedConfig,
    now: datetime | None = None,
    *,
    force: bool = False,
    state: FeedState | None = None,
    pages_due: bool = True,
    pages_until: float | None = None,
    pages_only: bool = False,
) -> FeedOutcome:
    """Fetch one feed and store what is new in it; never raises for a bad feed or page.
    `pages_only` (a twin, read as another feed) tries its pages as if it were not due.
    Without `pages_due` (the pass knows it has no page due for another download) the look-up
    of such pages is skipped; with it, they are tried even when the feed is not due.
    `pages_until` (the event loop's time) ends the pages' turns sooner than the feed's budget."""
    now = now or utcnow()
    outcome = FeedOutcome(feed.name)
    # the feed's pages get their turns by then, or wait for a later pass (newsmon.turns)
    deadline = deadline_in(ctx.config.fetch.feed_pages_budget_seconds)
    if pages_until is not None:
        deadline = min(deadline, pages_until)
    if state is None:
        state = await asyncio.to_thread(ctx.store.sync_feed, feed.name, feed.url, feed.language)
    if pages_only or (not force and state.next_check_at is not None and state.next_check_at > now):
        outcome.not_due, due_at = True, state.next_check_at
        outcome.backing_off = not pages_only and state.failures > 0
        outcome.next_check = poll.NextCheck(due_at, "not due") if due_at is not None else None
        if pages_due:  # the feed's schedule (a publisher's long TTL, a backoff) is not its pages'
            await retry_pages(ctx, fetcher, state.id, feed, outcome, now, deadline=deadline)
            _note_deferred(ctx, feed, outcome)
        return outcome
    # A URL with credentials is stored with them hidden (see `Feeds.sync_feeds`): it is fetched
    # as configured, and a permanent move is followed each pass but not stored, since the
    # stored address could not carry the credentials.
    keyed = shown_url(feed.url) != feed.url
    if keyed:  # stories an earlier newsmon stored with the key in their links: without it
        await asyncio.to_thread(ctx.store.forget_feed_keys, state.id, feed.url)
    response = await fetcher.get(
        feed.url if keyed else state.url,
        max_bytes=ctx.config.fetch.max_feed_bytes,
        accept=FEED_ACCEPT,
        etag=state.etag,
        last_modified=state.last_modified,
        user_url=feed.url,  # its host is the user's choice; other hosts are checked
    )
    moved_back = None
    if not keyed and state.url != feed.url and _gone(response):
        # The move a pass stored no longer holds (the publisher undid it, or the new address
        # went away): the configured address is the operator's, tried before failing the feed.
        again = await fetcher.get(
            feed.url,
            max_bytes=ctx.config.fetch.max_feed_bytes,
            accept=FEED_ACCEPT,
            user_url=feed.url,  # no validators: they were the moved address's
        )
        if again.ok:
            why = response.error or f"HTTP {response.status}"
            moved_back = f"{shown_url(state.url)}, where it had moved, failed ({why}); read at "
            moved_back += "the configured address again"
            response = again
    outcome.bytes_received = len(response.content)
    outcome.clock_ahead = ahead_of(response.headers, utcnow()) if response.status else None
    # A permanent move is fetched from next pass only where the stored address can carry it
    # (not a keyed URL's, see `move_to_store`); otherwise it is followed each pass and reported.
    stored_move = move_to_store(feed.url, response.moved_to, moved_back=moved_back is not None)
    if response.not_modified:
        outcome.not_modified = True
        if pages_due:
            await retry_pages(ctx, fetcher, state.id, feed, outcome, now, deadline=deadline)
            _note_deferred(ctx, feed, outcome)
        nxt = outcome.next_check = poll.after_success(ctx.config.poll, now, response.headers)
        await asyncio.to_thread(
            ctx.store.record_feed_success,
            state.id,
            entries=0,
            etag=state.etag,
            last_modified=state.last_modified,
            next_check_at=nxt.at,
            schedule_note=nxt.reason,
            status=304,
            moved_to=stored_move,
        )
        return outcome
    if not response.ok:
        error = response.error or f"HTTP {response.status}"
        return await _feed_failed(ctx, state, outcome, response.failure, error, response, now)
    if not response.content.strip():
        # a server mid-deploy, not a URL serving something else: soft, polled again in minutes
        failure, error = FailureKind.EMPTY, f"the feed's answer was empty (HTTP {response.status})"
        return await _feed_failed(ctx, state, outcome, failure, error, response, now)
    onto = moved_onto(feed.name, response.moved_to, ctx.config.feeds)
    if onto is not None:  # its stories are `onto`'s to read: once, not also from here
        return await moved_onto_twin(ctx, state.id, feed, onto, response, stored_move, outcome, now)
    try:  # in a worker process, within the feed's time and memory budget
        parsed = await ctx.pages.parse_feed(
            response.content,
            without_credentials(response.final_url) if keyed else response.final_url,
            response.charset,
            response.content_type,
            max_entries=ctx.config.fetch.max_entries_per_feed,
            zone=feed.date_zone,
            guess_zone=feed.language is None,  # `language: en` says UTC, as before
        )
    except FeedParseError as exc:
        failure = FailureKind.NOT_A_FEED
        return await _feed_failed(ctx, state, outcome, failure, str(exc), response, now)
    except WorkStopped as exc:  # "feed parsing exceeded 20 s": this feed fails, alone
        failure = stopped_kind(exc.stop)
        return await _feed_failed(ctx, state, outcome, failure, str(exc), response, now)
    except NoTimeForWork as exc:  # not the feed's doing: soft, read again next pass
        failure = FailureKind.DEFERRED
        return await _feed_failed(ctx, state, outcome, failure, str(exc), response, now)
    if parsed.date_zone and feed.date_zone is None:  # its pages' bare dates too (`feed_zone`)
        feed = feed.model_copy(update={"timezone": parsed.date_zone})
    if response.truncated:
        outcome.warning = f"feed cut at {ctx.config.fetch.max_feed_bytes} bytes"
    elif parsed.warning:
        outcome.warning = parsed.warning
    if parsed.unreadable and not response.truncated:
        # stories lost in the publisher's bytes: an entry failure, so health sees it pass
        # after pass and the feed is read whole again (no 304) until it is fixed (a feed cut
        # at the size cap says so above, and its cut entry is the cap's, not the publisher's)
        line = f"{parsed.unreadable} of the feed's entries could not be read, even one by one"
        log.warning("feed %s: %s", feed.name, line)
        await record_entry_failure(ctx, state.id, outcome, line, parsed.unreadable)
    listed = parsed.entries[: ctx.config.fetch.max_entries_per_feed]
    # a private feed may write the reader's key into each link: kept nowhere
    identified = identify(listed, feed.name, feed.url if keyed else None)
    entries, items = identified.entries, identified.items  # items: digests' pages (urls.anchor)
    # stamped when fetched: the pass's `now` may be minutes before this feed's turn came
    if (plain := unstamped(entries, utcnow(), first_read=state.first_read)) is not None:
        log.info("feed %s dates its entries when read: those dates are no dates", feed.name)
        entries = plain
    entries = undated_held(entries, first_read=state.first_read)
    outcome.entries = len(entries)
    known, linked = await asyncio.to_thread(_known_articles, ctx, identified, state.id, now)
    home = _home(parsed.site_link, feed.url) if keyed else parsed.site_link
    outcome.already_seen = len(known)
    known_entries = {u: (entries[u], k) for u, k in known.items()}
    if first := {u: known_entries.pop(u) for u in taken_over(identified, known)}:
        await revisit_known(
            ctx, fetcher, state.id, feed, first, outcome, now, deadline=deadline, items=items
        )
    await asyncio.gather(
        *(
            process_entry(
                ctx,
                fetcher,
                state.id,
                feed,
                entry,
                url,
                outcome,
                now,
                home,
                deadline=deadline,
                items=items,
            )
            for url, entry in entries.items()
            if url not in known
        )
    )
    await revisit_known(
        ctx, fetcher, state.id, feed, known_entries, outcome, now, deadline=deadline, items=items
    )
    if pages_due or linked:  # a story listed first without its link: its page read now
        await retry_pages(ctx, fetcher, state.id, feed, outcome, now, deadline=deadline)
    _note_deferred(ctx, feed, outcome)
    nxt = poll.after_success(ctx.config.poll, now, response.headers, parsed.ttl_minutes)
    if outcome.entries_late:  # entries wait for the next pass, and so does the feed
        nxt = poll.NextCheck(now, "entries left for the next pass")
    outcome.next_check = nxt
    outcome.moved_to = response.moved_to
    # An entry an unexpected error stopped is not stored; without validators the next pass
    # reads the whole feed again (no 304) and retries it, so the error delays it, never loses it.
    # So does an entry whose CPU work no worker took in time (`entries_late`), and an edit
    # whose page was not read (`edits_unread`: a 304 would hide the edit from every later pass).
    retry_entries = (
        outcome.entries_failed > 0 or outcome.entries_late > 0 or outcome.edits_unread > 0
    )
    await asyncio.to_thread(
        ctx.store.record_feed_success,
        state.id,
        entries=len(entries) - len(known),
        etag=None if retry_entries else response.headers.get("etag"),
        last_modified=None if retry_entries else response.headers.get("last-modified"),
        next_check_at=nxt.at,
        schedule_note=nxt.reason,
        status=response.status,
        moved_to=stored_move,
        entries_failed=outcome.entries_failed,
    )
    if response.moved_to:
        note = f"moved permanently to {shown_move(response.moved_to, feed.url)}"
        note += "; update the configuration"
        outcome.warning = "; ".join(filter(None, [outcome.warning, note]))
    outcome.warning = "; ".join(filter(None, [outcome.warning, moved_back]))
    return outcome


def _home(site_link: str | None, feed_url: str) -> str:
    """Where a keyed feed's entries without a link point readers (stored, posted): its site
    (the channel's `<link>`), else the feed's own address, either without the feed's key,
    which each carried into the article's URL and the alert's link."""
    return without_keys_of(site_link or feed_url, feed_url)


def _known_articles(
    ctx: Context, identified: Identified, feed_id: int, now: datetime
) -> tuple[dict[str, KnownArticle], bool]:
    """The stored articles of these entries, by identity (`entry_keys.known_articles`: a keyed
    feed's entry also by the identity it had with the key in it, an item told apart by the key
    it shared), but for another story under an entry's key (`reused_keys`): that entry is new.
    A stored link-less story whose entry now has its link takes it, its page due `now`
    (`PageRetries.link_found`) unless the entry is its own text; whether one did."""
    known = known_articles(ctx.store.known_articles(wanted(identified)), identified)
    linked, items = False, identified.items
    if keys := renamed_candidates(identified, known):
        since = now - RENAMED_WITHIN
        found = renamed(identified, keys, ctx.store.linkless_of_feed(feed_id, since), known)
        for key, row in found.items():
            entry = identified.entries[key]
            if not (link := entry.link):
                continue
            # an aggregator's wrapper or a digest's item is its own text: its page is not read
            own = not (entry.wrapped or item_of(link, items) or item_of(key, items))
            if ctx.store.link_found(row.id, key, link, now if own else None):
                found[key] = replace(row, url=link)  # no sighting of its own link
                linked = linked or own
        known |= found
    for key in set_aside_reused(ctx, feed_id, identified, known):
        del known[key]
    return known, linked


def _gone(response: FetchResult) -> bool:
    """Whether a feed's answer says its address will not serve it again by itself (404, 410,
    403, refused, ...): a hard failure of the fetch (`poll.severity`)."""
    failure = response.failure
    return failure is not None and poll.severity(failure, response.status) is poll.Severity.HARD


def _note_deferred(ctx: Context, feed: FeedConfig, outcome: FeedOutcome) -> None:
    """One line for pages not requested this pass: their host's turn did not come within the
    feed's time (a busy host, not a failing one: no page of it timed out); and one for entries
    whose CPU work no worker took within the feeds task's time (busy workers, not the feed)."""
    lines = []
    if outcome.pages_deferred:
        budget = ctx.config.fetch.feed_pages_budget_seconds
        lines.append(
            f"{outcome.pages_deferred} pages left for a later pass: their host's turn did not "
            f"come within the feed's {budget:g} s for pages"
        )
    if outcome.entries_late:
        lines.append(
            f"{outcome.entries_late} entries left for the next pass: no worker was free for "
            "them within the feeds task's time"
        )
    for line in lines:
        log.info("feed %s: %s", feed.name, line)
    outcome.warning = "; ".join(filter(None, [outcome.warning, *lines]))


def stopped_kind(stop: Stop) -> FailureKind:
    """The failure of a feed whose parsing the worker pool stopped: its bytes cost more than
    the budget, or killed the worker (the feed's doing: backed off hard), or no worker could
    start at all (the machine's or the configuration's: soft, so a fixed configuration does
    not leave every feed waiting an hour)."""
    return FailureKind.OTHER if stop is Stop.NO_WORKERS else FailureKind.OVER_BUDGET


async def _feed_failed(
    ctx: Context,
    state: FeedState,
    outcome: FeedOutcome,
    failure: FailureKind | None,
    error: str,
    response: FetchResult,
    now: datetime,
) -> FeedOutcome:
    outcome.ok, outcome.error = False, error
    kind = poll.severity(failure, response.status)
    nxt = poll.after_failure(
        ctx.config.poll, now, state.failures + 1, kind, response.headers, response.status
    )
    outcome.next_check = nxt
    await asyncio.to_thread(
        ctx.store.record_feed_failure,
        state.id,
        error,
        kind=kind.value,
        status=response.status,
        next_check_at=nxt.at,
        schedule_note=nxt.reason,
    )
    return outcome


async def process_feeds(
    ctx: Context,
    fetcher: Fetcher,
    feeds: Sequence[FeedConfig],
    *,
    force: bool = False,
    pages_until: float | None = None,
) -> list[FeedOutcome]:
    """Feeds concurrently; the fetcher's global and per-host limits keep it polite.

    `pages_until` (the event loop's time): no page gets its turn later, whatever its feed's
    `fetch.feed_pages_budget_seconds` (a feed that started late in its batch, or a budget
    longer than the batch's time); pages left are deferred, as by the budget (newsmon.turns).

    A feed is fetched only once this pass has claimed it (see `Feeds.claim_feeds`), which it
    does when one of its `fetch.max_connections` feed slots is free: with several passes on one
    corpus each feed is fetched by one of them, and the others report it as taken.
    """
    now = utcnow()
    claim = ctx.claim or PassClaim()
    slots = claim.slots(ctx.config.fetch.max_connections)
    try:  # before any claim: a refusal here leaves the whole batch for the next pass
        states = await asyncio.to_thread(
            ctx.store.sync_feeds, [FeedSpec(f.name, f.url, f.language) for f in feeds]
        )
        pages_due = await asyncio.to_thread(ctx.store.feeds_with_pages_due, now)
        moves = await asyncio.to_thread(ctx.store.feeds.moves)
    except SQLAlchemyError as exc:
        return batch_refused(feeds, exc)
    twins = configured_twins([f for f in ctx.config.feeds if f.enabled], moves)
    held: list[int] = []
    done: list[int] = []  # finished feeds whose claims go back with the next claim

    async def one(feed: FeedConfig) -> FeedOutcome:
        feed_id = states[feed.name].id
        twin = (
            twin_outcome(feed, twins[feed.name], ctx.config.feeds) if feed.name in twins else None
        )
        if twin is not None and feed_id not in pages_due:
            return twin
        async with slots:
            release, done[:] = done[:], []
            try:
                claimed = await asyncio.to_thread(
                    ctx.store.claim_feeds,
                    [feed_id],
                    claim.owner,
                    pass_started=claim.started,
                    lease=claim.lease,
                    # a feed with pages to try again is claimed, due or not: its pages are
                    # tried under its claim, and the feed itself only when due
                    force=force or feed_id in pages_due,
                    now=now,
                    release=release,
                )
            except SQLAlchemyError as exc:
                done.extend(release)
                return claim_refused(feed, exc)
            except BaseException:
                done.extend(release)
                raise
            state = claimed.get(feed_id)
            if state is None and twin is not None:
                return twin
            if state is None:
                skipped = _not_claimed(feed, states[feed.name], now, force)
                if skipped.taken:
                    holder = await asyncio.to_thread(ctx.store.feeds.holder, feed_id)
                    if holder is not None and holder != claim.owner:
                        skipped.held, skipped.warning = True, f"held by another run ({holder})"
                return skipped
            held.append(feed_id)
            try:
                due = feed_id in pages_due
                if twin is None:
                    return await _isolated(ctx, fetcher, feed, now, force, state, due, pages_until)
                # the pages its stored teasers wait for (the feed that reads it knows those
                # stories, and fetches none of them): read under its claim, the feed not fetched
                out = await _isolated(
                    ctx, fetcher, feed, now, False, state, True, pages_until, True
                )
                out.warning = "; ".join(w for w in (twin.warning, out.warning) if w)
                out.twin_of, out.next_check = twin.twin_of, None
                return out
            finally:
                held.remove(feed_id)
                done.append(feed_id)

    try:
        async with renewing(ctx.store, claim, held):
            return list(await asyncio.gather(*(one(f) for f in feeds)))
    finally:
        if done:  # the last feeds' claims; a crash before this leaves them to lapse
            await best_effort("claims handed back", ctx.store.release_claims, done, claim.owner)


def _not_claimed(feed: FeedConfig, state: FeedState, now: datetime, force: bool) -> FeedOutcome:
    """A feed this pass did not get: not due yet, or another pass has it or has just done it."""
    outcome = FeedOutcome(feed.name, not_due=True)
    if not force and state.next_check_at is not None and state.next_check_at > now:
        outcome.next_check = poll.NextCheck(state.next_check_at, "not due")
        outcome.backing_off = state.failures > 0
    else:
        outcome.taken = True
    return outcome


async def _isolated(
    ctx: Context,
    fetcher: Fetcher,
    feed: FeedConfig,
    now: datetime,
    force: bool,
    state: FeedState,
    pages_due: bool,
    pages_until: float | None,
    pages_only: bool = False,
) -> FeedOutcome:
    """`process_feed`, where an unexpected error (a bug, not a bad feed) fails this feed alone:
    recorded as its error, one line; the traceback goes to the debug log."""
    try:
        return await process_feed(
            ctx,
            fetcher,
            feed,
            now,
            force=force,
            state=state,
            pages_due=pages_due,
            pages_until=pages_until,
            pages_only=pages_only,
        )
    except Exception as exc:
        line = f"internal error: {error_line(exc)}"
        log.warning("feed %s: %s", feed.name, line)
        log.debug("feed %s failed", feed.name, exc_info=exc)
        await best_effort(f"{feed.name}'s failure", ctx.store.record_feed_failure, state.id, line)
        return FeedOutcome.failed(feed.name, line)
