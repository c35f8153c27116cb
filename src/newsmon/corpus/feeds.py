"""The feeds aggregate: each configured feed's fetch state, schedule, health, and the claims
that let several workers split a pass's feeds between them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from newsmon.bounds import one_line
from newsmon.clock import utcnow
from newsmon.corpus.engine import Database, rerun_if_dropped
from newsmon.corpus.page_health import TEXT_HISTORY, PageCounts
from newsmon.corpus.records import (
    ARTICLE_SOURCES,
    TEASER_SOURCES,
    FeedHealth,
    FeedSpec,
    FeedState,
)
from newsmon.corpus.schema import ArticleRow, FeedRow, SightingRow
from newsmon.urls import shown_url


def _aware(value: datetime | None) -> datetime | None:
    """func.max() bypasses the column type: SQLite hands back naive UTC (or a string)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


class Feeds:
    """Stored state of the configured feeds: validators, schedule, failures, counts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def sync_feed(self, name: str, url: str, language: str | None) -> FeedState:
        """The stored state of a configured feed, created on first sight.

        `url` in the state is where to fetch: the configured URL, or where a permanent
        redirect moved it, until the configuration itself changes.
        """
        return self.sync_feeds([FeedSpec(name, url, language)])[name]

    def sync_feeds(self, feeds: Sequence[FeedSpec]) -> dict[str, FeedState]:
        """`sync_feed` for many feeds in one transaction, by name.

        Passes starting together on a fresh corpus may both create a feed: the loser of that
        race reads the winner's rows again.
        """
        try:
            return self._sync_feeds(feeds)
        except IntegrityError:
            return self._sync_feeds(feeds)

    def _sync_feeds(self, feeds: Sequence[FeedSpec]) -> dict[str, FeedState]:
        names = [f.name for f in feeds]
        out: dict[str, FeedState] = {}
        with self._db.session() as s:
            rows = {
                r.name: r
                for i in range(0, len(names), 500)
                for r in s.scalars(select(FeedRow).where(FeedRow.name.in_(names[i : i + 500])))
            }
            for feed in feeds:
                # A URL's credentials (user:password@, ?apikey=) stay in the configuration: the
                # corpus keeps the URL with them hidden, and a pass fetches the configured one.
                stored = shown_url(feed.url)
                row = rows.get(feed.name)
                if row is None:
                    row = rows[feed.name] = FeedRow(name=feed.name, url=stored, config_url=stored)
                    s.add(row)
                elif row.config_url != stored:  # the operator changed the URL: start afresh
                    row.url = row.config_url = stored
                    row.etag = row.last_modified = None
                    row.next_check_at, row.consecutive_failures = None, 0
                if row.language != feed.language:
                    row.language = feed.language
            s.flush()
            for name in names:
                out[name] = _state(rows[name])
        return out

    def record_feed_success(
        self,
        feed_id: int,
        *,
        entries: int,
        etag: str | None,
        last_modified: str | None,
        next_check_at: datetime | None = None,
        schedule_note: str | None = None,
        status: int | None = 200,
        moved_to: str | None = None,
        entries_failed: int | None = None,
    ) -> None:
        """The feed was read. `entries_failed`: how many of its entries an unexpected error
        stopped this pass (None: the entries were not read, a 304; the count stays)."""
        now = utcnow()
        values: dict[str, Any] = {
            "last_checked_at": now,
            "last_success_at": now,
            "consecutive_failures": 0,
            "failure_kind": None,
            "entries_seen": FeedRow.entries_seen + entries,
            "etag": etag,
            "last_modified": last_modified,
            "next_check_at": next_check_at,
            "schedule_note": schedule_note,
            "last_status": status,
        }
        if moved_to:
            values["url"] = moved_to
        if entries_failed:
            values["entry_failure_passes"] = FeedRow.entry_failure_passes + 1
            values["entries_failing_since"] = func.coalesce(FeedRow.entries_failing_since, now)
        elif entries_failed == 0:
            values["entry_failure_passes"], values["entries_failing_since"] = 0, None
        self._record_feed_check(feed_id, values)

    def record_feed_failure(
        self,
        feed_id: int,
        error: str,
        *,
        kind: str = "soft",
        status: int | None = None,
        next_check_at: datetime | None = None,
        schedule_note: str | None = None,
    ) -> None:
        now = utcnow()
        values: dict[str, Any] = {
            "last_checked_at": now,
            "last_error": one_line(error, 2000),
            "last_error_at": now,
            "consecutive_failures": FeedRow.consecutive_failures + 1,
            "failure_kind": kind,
            "last_status": status,
            "next_check_at": next_check_at,
            "schedule_note": schedule_note,
        }
        self._record_feed_check(feed_id, values)

    @rerun_if_dropped
    def _record_feed_check(self, feed_id: int, values: dict[str, Any]) -> None:
        """Write a fetch's result, stamped `values["last_checked_at"]`, once. Its counts add to
        the row's, and a COMMIT whose answer was lost is run again (`rerun_if_dropped`): that
        second run finds its own stamp and changes nothing (it counted one failure as two)."""
        stamp = values["last_checked_at"]
        with self._db.session() as s:
            s.execute(
                _update(feed_id, values).where(
                    or_(FeedRow.last_checked_at.is_(None), FeedRow.last_checked_at != stamp)
                )
            )

    @rerun_if_dropped
    def claim_feeds(
        self,
        ids: Sequence[int],
        owner: str,
        *,
        pass_started: datetime,
        lease: timedelta,
        force: bool = False,
        now: datetime | None = None,
        release: Sequence[int] = (),
    ) -> dict[int, FeedState]:
        """Claim, for `owner`'s pass, those of `ids` that no other pass holds or has fetched since
        `pass_started`, and that are due (all of them with `force`); their fresh state by id.
        The same transaction gives up `owner`'s claims on `release` (feeds it has finished: a
        pass hands one back as it takes the next, one write instead of two).

        On PostgreSQL the rows are picked with `FOR UPDATE SKIP LOCKED`, so workers claiming at
        the same moment never wait on each other and never get the same feed; on SQLite one
        conditional UPDATE does the same under the database's write lock. A claim is a lease:
        it lapses `lease` after it was taken unless renewed, so a crashed worker's feeds return.
        Leases are written and compared in the database's clock (`Database.now`), which every
        worker shares; `now` (the worker's) decides only which feeds are due.
        """
        if not ids:
            self.release_claims(release, owner)
            return {}
        now = now or utcnow()
        lease_now = self._db.now()
        claimable = self._claimable(owner, pass_started, now, lease_now, force)
        values = {"claimed_by": owner, "claim_expires_at": lease_now + lease}
        with self._db.session() as s:
            if release:
                s.execute(_release(release, owner))
            # On SQLite the UPDATE comes first, so the transaction starts by taking the write
            # lock; on PostgreSQL the rows no other worker is claiming are picked first.
            which: ColumnElement[bool] = and_(FeedRow.id.in_(ids), claimable)
            if self._db.is_postgres:
                picked = (
                    select(FeedRow.id)
                    .where(which)
                    .order_by(FeedRow.id)
                    .with_for_update(skip_locked=True)
                )
                got = list(s.scalars(picked))
                if not got:
                    return {}
                which = FeedRow.id.in_(got)
            claimed = s.scalars(
                update(FeedRow)
                .where(which)
                .values(**values)
                .returning(FeedRow)
                .execution_options(synchronize_session=False)
            )
            return {r.id: _state(r) for r in claimed}

    @staticmethod
    def _claimable(
        owner: str, pass_started: datetime, now: datetime, lease_now: datetime, force: bool
    ) -> ColumnElement[bool]:
        free = or_(
            FeedRow.claimed_by.is_(None),
            FeedRow.claimed_by == owner,
            FeedRow.claim_expires_at < lease_now,
        )
        # Fetched by any pass since this one began: this pass's work is done for that feed.
        fresh = or_(FeedRow.last_checked_at.is_(None), FeedRow.last_checked_at < pass_started)
        if force:
            return and_(free, fresh)
        due = or_(FeedRow.next_check_at.is_(None), FeedRow.next_check_at <= now)
        return and_(free, fresh, due)

    @rerun_if_dropped
    def renew_claims(self, ids: Sequence[int], owner: str, lease: timedelta) -> int:
        """Push the expiry of `owner`'s claims on `ids` on; how many it still held. Run again
        when PostgreSQL aborts it for a deadlock with another pass's claim (`rerun_if_dropped`):
        before, the renewal waited a third of the lease for its next turn."""
        if not ids:
            return 0
        with self._db.session() as s:
            done = s.execute(
                update(FeedRow)
                .where(FeedRow.id.in_(ids), FeedRow.claimed_by == owner)
                .values(claim_expires_at=self._db.now() + lease)
            )
            return int(done.rowcount)  # type: ignore[attr-defined]

    @rerun_if_dropped
    def release_claims(self, ids: Sequence[int], owner: str) -> None:
        """Give up `owner`'s claims on `ids` (a claim another pass took over stays its own)."""
        if not ids:
            return
        with self._db.session() as s:
            s.execute(_release(ids, owner))

    @rerun_if_dropped
    def release_owner(self, owner: str) -> int:
        """Give up every claim `owner` still holds: its pass is over (ended, timed out,
        cancelled), so the feeds it had not handed back are free for the next pass at once
        instead of when their lease lapses. How many it held (0 when run again after a COMMIT
        whose answer was lost: `rerun_if_dropped`, as one dropped connection left them held)."""
        with self._db.session() as s:
            done = s.execute(
                update(FeedRow)
                .where(FeedRow.claimed_by == owner)
                .values(claimed_by=None, claim_expires_at=None)
                .execution_options(synchronize_session=False)
            )
            return int(done.rowcount)  # type: ignore[attr-defined]

    @rerun_if_dropped
    def release_flow_run(self, flow_run: str) -> int:
        """Give up every claim of the passes run as Prefect flow run `flow_run` (owners ending
        `@flow_run`, `newsmon.pipeline.claims.new_owner`): its process was killed or lost, so
        the flow could not hand its feeds back; without this they stayed taken until their
        lease lapsed, and a pass run at once skipped them. How many it held."""
        if not flow_run or not all(c.isalnum() or c == "-" for c in flow_run):
            return 0  # a flow run's id is a UUID: nothing a LIKE pattern would read as wild
        with self._db.session() as s:
            done = s.execute(
                update(FeedRow)
                .where(FeedRow.claimed_by.like(f"%@{flow_run}"))  # claims.FLOW_RUN_MARK
                .values(claimed_by=None, claim_expires_at=None)
                .execution_options(synchronize_session=False)
            )
            return int(done.rowcount)  # type: ignore[attr-defined]

    def holder(self, feed_id: int) -> str | None:
        """Who holds a live claim on the feed now (None: nobody)."""
        with self._db.session() as s:
            return s.scalar(
                select(FeedRow.claimed_by).where(
                    FeedRow.id == feed_id, FeedRow.claim_expires_at >= self._db.now()
                )
            )

    def claim_holders(self) -> dict[str, str]:
        """Feeds under a live claim, by name: who holds each (for operators and tests)."""
        now = self._db.now()
        with self._db.session() as s:
            rows = s.execute(
                select(FeedRow.name, FeedRow.claimed_by).where(
                    FeedRow.claimed_by.is_not(None), FeedRow.claim_expires_at >= now
                )
            )
            return {name: owner for name, owner in rows if owner}

    def moves(self) -> dict[str, tuple[str, str]]:
        """The feeds a permanent redirect moved, by name: (the configured URL the move was
        recorded for, the address fetched since), both with credentials hidden."""
        with self._db.session() as s:
            rows = s.execute(
                select(FeedRow.name, FeedRow.config_url, FeedRow.url).where(
                    FeedRow.config_url.is_not(None), FeedRow.url != FeedRow.config_url
                )
            )
            return {name: (configured, url) for name, configured, url in rows if configured}

    @rerun_if_dropped
    def record_entry_error(self, feed_id: int, line: str) -> None:
        """One entry of a feed that is itself fine failed: its line becomes the feed's last
        error (what `newsmon feeds` shows), without counting as a failure of the feed."""
        now = utcnow()
        with self._db.session() as s:
            s.execute(
                update(FeedRow)
                .where(FeedRow.id == feed_id)
                .values(last_error=one_line(line, 2000), last_error_at=now)
            )

    def feed_health(
        self, pages_since: datetime | None = None, text_history: timedelta = TEXT_HISTORY
    ) -> list[FeedHealth]:
        """Every feed's state and counts; with `pages_since`, also how many of its articles
        first seen since then are teasers because their page could not be downloaded, or held
        no article text while, in the `text_history` before, most of its pages did (a site
        redesigned: its pages read, every story a teaser). Pages that never held text (links
        to X posts, videos, PDFs; short briefs; a brand-new feed) are the feed's nature, not
        a fault: counted, they would be reported for ever."""
        with self._db.session() as s:
            counts: dict[int | None, int] = {}
            newest: dict[int | None, datetime] = {}
            for feed_id, count, last in s.execute(
                select(
                    ArticleRow.feed_id, func.count(), func.max(ArticleRow.first_seen_at)
                ).group_by(ArticleRow.feed_id)
            ):
                counts[feed_id], newest[feed_id] = count, last
            for feed_id, last in s.execute(
                select(SightingRow.feed_id, func.max(SightingRow.seen_at)).group_by(
                    SightingRow.feed_id
                )
            ):
                if last is not None and (feed_id not in newest or newest[feed_id] < last):
                    newest[feed_id] = last
            # The few articles of a window or waiting are counted here, not by GROUP BY: SQLite
            # (no statistics) would read every article in feed order for one.
            # (a range, not IS NOT NULL, which SQLite does not look up in the index)
            waiting = Counter(
                s.scalars(select(ArticleRow.feed_id).where(ArticleRow.page_retry_at >= _EPOCH))
            )
            pages: dict[int | None, PageCounts] = {}
            if pages_since is not None:
                # a page still to be tried again is late, not unread; one given up unrequested
                # (deferred for a day) is unread
                unread = (
                    ((ArticleRow.page_attempts > 0) | ArticleRow.page_unrequested_at.is_not(None))
                    & ArticleRow.page_retry_at.is_(None)
                    & ArticleRow.text_source.in_(TEASER_SOURCES)
                )
                # one range of the first_seen_at index: the window and the history before it
                for row in s.execute(
                    select(
                        ArticleRow.id,
                        ArticleRow.feed_id,
                        ArticleRow.first_seen_at >= pages_since,
                        case((unread & ArticleRow.page_textless, 2), (unread, 1), else_=0),
                        ArticleRow.text_source.in_(ARTICLE_SOURCES),
                        case((unread, ArticleRow.extraction_note), else_=None),
                    ).where(ArticleRow.first_seen_at >= pages_since - text_history)
                ):
                    pages.setdefault(row[1], PageCounts()).add(row[0], *row[2:])
            judged = {feed_id: c.judged() for feed_id, c in pages.items()}
            rows = s.scalars(select(FeedRow).order_by(FeedRow.name)).all()
            return [
                FeedHealth(
                    r.name,
                    r.url,
                    r.last_checked_at,
                    r.last_success_at,
                    r.last_error,
                    r.last_error_at,
                    r.consecutive_failures,
                    r.entries_seen,
                    counts.get(r.id, 0),
                    r.config_url,
                    r.next_check_at,
                    r.schedule_note,
                    r.failure_kind,
                    r.last_status,
                    r.created_at,
                    _aware(newest.get(r.id)),
                    waiting.get(r.id, 0),
                    *judged.get(r.id, (0, 0, None)),
                    r.entry_failure_passes,
                    r.entries_failing_since,
                )
                for r in rows
            ]


# Earlier than any time a page is due: "has a page due at all" as an indexed range.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _state(row: FeedRow) -> FeedState:
    """What a pass needs of a feed's row to fetch it."""
    return FeedState(
        row.id,
        row.url,
        row.etag,
        row.last_modified,
        row.next_check_at,
        row.consecutive_failures,
        first_read=row.last_success_at is None,
    )


def _release(ids: Sequence[int], owner: str) -> Any:
    """The UPDATE giving up `owner`'s claims on `ids` (one another pass took over stays)."""
    return (
        update(FeedRow)
        .where(FeedRow.id.in_(ids), FeedRow.claimed_by == owner)
        .values(claimed_by=None, claim_expires_at=None)
        .execution_options(synchronize_session=False)  # no rows loaded to keep in step
    )


def _update(feed_id: int, values: dict[str, Any]) -> Any:
    """One feed row's new values, as one UPDATE: no feed row is loaded in these sessions, so
    the ORM need not find and refresh one (its "auto" strategy would fetch the row first)."""
    return (
        update(FeedRow)
        .where(FeedRow.id == feed_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
