"""The `Store` facade: one object that opens a corpus and composes its repositories.

Callers (pipeline, flows, CLI) keep a single object; each of its operations is the method of
one repository (`feeds`, `articles` and `article_views`, `outbox` and `alert_views`, `runs`…),
reachable through it as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from newsmon.corpus.alert_views import AlertViews
from newsmon.corpus.article_views import ArticleViews
from newsmon.corpus.articles import Articles
from newsmon.corpus.backlog import Backlog
from newsmon.corpus.claims import lapse_flow_run, new_claim
from newsmon.corpus.digests import Digests
from newsmon.corpus.engine import Database, check_writable, open_engine, rerun_if_dropped
from newsmon.corpus.feed_keys import forget_feed_keys
from newsmon.corpus.feeds import Feeds
from newsmon.corpus.notices import HealthNotices
from newsmon.corpus.outbox import Outbox
from newsmon.corpus.page_retries import PageRetries
from newsmon.corpus.records import Claim
from newsmon.corpus.replies import Replies
from newsmon.corpus.retention import IndexRetention
from newsmon.corpus.retries import Retries
from newsmon.corpus.runs import Runs
from newsmon.corpus.set_aside import set_aside, stored_words
from newsmon.corpus.slack_waits import SlackWaits


class Store:
    """The corpus: feeds, articles (clusters, sightings, matches), the alert outbox (alerts,
    thread replies, digests), runs, the backlog that backfill reads in batches, and the
    retention of the near-duplicate index."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._db = Database(engine)
        # The Prefect flow run this store's claims are made in (set by the flow): its outbox
        # claims carry its id, to be let go at once if its process is killed (`lapse_flow_run`).
        self.flow_run: str | None = None
        self.feeds = Feeds(self._db)
        self.articles = Articles(self._db)
        self.page_retries = PageRetries(self._db)
        self.article_views = ArticleViews(self._db)
        self.outbox = Outbox(self._db)
        self.alert_views = AlertViews(self._db)
        self.runs = Runs(self._db)
        self.replies = Replies(self._db)
        self.retries = Retries(self._db, self.replies)  # by ids, alerts and replies
        self.digests = Digests(self._db)
        self.slack_waits = SlackWaits(self._db)  # channels told to wait (Retry-After)
        self.backlog = Backlog(self._db)
        self.retention = IndexRetention(self._db)
        self.notices = HealthNotices(self._db)
        # The flat API: every name is its repository's own method (same signature and docs).
        self.sync_feed = self.feeds.sync_feed
        self.sync_feeds = self.feeds.sync_feeds
        self.record_feed_success = self.feeds.record_feed_success
        self.record_feed_failure = self.feeds.record_feed_failure
        self.record_entry_error = self.feeds.record_entry_error
        self.feed_health = self.feeds.feed_health
        self.claim_feeds = self.feeds.claim_feeds
        self.renew_claims = self.feeds.renew_claims
        self.release_claims = self.feeds.release_claims
        self.add_article = self.articles.add_article
        self.update_article = self.articles.update_article
        self.find_cluster = self.articles.find_cluster
        self.feeds_with_pages_due = self.page_retries.feeds_with_pages_due
        self.pages_to_retry = self.page_retries.pages_to_retry
        self.page_retry_failed = self.page_retries.page_retry_failed
        self.postpone_page_retries = self.page_retries.postpone_page_retries
        self.give_up_pages = self.page_retries.give_up_pages
        self.link_found = self.page_retries.link_found
        self.recover_page = self.articles.recover_page
        self.record_sightings = self.articles.record_sightings
        self.known_urls = self.article_views.known_urls
        self.known_articles = self.article_views.known_articles
        self.linkless_of_feed = self.article_views.linkless_of_feed
        self.cluster = self.article_views.cluster
        self.articles_for_reclassify = self.article_views.articles_for_reclassify
        self.reclassify_batches = self.backlog.reclassify_batches
        self.story_time = self.backlog.story_time
        self.count_for_reclassify = self.backlog.count_for_reclassify
        self.original_text = self.backlog.original_text
        self.with_copies = self.backlog.with_copies
        self.story_copies = self.backlog.story_copies
        self.story_voices = self.backlog.story_voices
        self.list_articles = self.article_views.list_articles
        self.matches_of = self.article_views.matches_of
        self.replace_matches = self.articles.replace_matches
        self.enqueue_alert = self.outbox.enqueue_alert
        self.pending_alerts = self.outbox.pending_alerts
        self.count_alerts = self.outbox.count_alerts
        self.list_alerts = self.outbox.list_alerts
        self.retry_alerts = self.retries.retry_alerts
        self.queue_replies = self.replies.queue_replies
        self.record_run = self.runs.record_run

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, read_only: bool = False) -> Store:
        """Connect and bring the schema up to date; StoreError when that is impossible.
        `read_only`: never migrate, `SchemaError` when the schema is not this code's."""
        return cls(open_engine(url, migrate=migrate, read_only=read_only))

    def close(self) -> None:
        self.engine.dispose()

    def new_claim(self, lease: timedelta) -> Claim:
        """A claim on outbox rows (alerts, replies, digests, notices) for `lease`, started in the
        database's clock, which every worker shares (`Database.now`)."""
        return new_claim(lease, self._db.now(), self.flow_run)

    @rerun_if_dropped
    def lapse_flow_run(self, flow_run: str) -> int:
        """End now the leases on the alerts, replies, digests and notices held by Prefect flow
        run `flow_run`, whose process was killed (`newsmon.corpus.claims.lapse_flow_run`): they
        waited out their lease (10 minutes), and a pass run at once skipped them. How many.
        Only for a run known to be over: a live run's posts would be looked up and repeated."""
        with self._db.session() as s:
            return lapse_flow_run(s, flow_run, self._db.now())

    def forget_feed_keys(self, feed_id: int, feed_url: str) -> int:
        """Rows stored with the credentials of feed `feed_id`'s `feed_url`, rewritten without
        them (`newsmon.corpus.feed_keys`); how many."""
        return forget_feed_keys(self._db, feed_id, feed_url)

    def stored_words(self, ids: list[int]) -> dict[int, tuple[str | None, str]]:
        """Stories' titles and text openings, by id (`newsmon.corpus.set_aside`)."""
        return stored_words(self._db, ids)

    def set_aside(self, article_id: int, feed_id: int, key: str) -> bool:
        """Move a feed's story off `key`, which a newer story of it has now
        (`newsmon.corpus.set_aside`)."""
        return set_aside(self._db, article_id, feed_id, key)

    def check_writable(self) -> None:
        """StoreError when the corpus can be read but not written (read-only file or role)."""
        check_writable(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A raw ORM session in one transaction (tests and one-off inspection)."""
        with self._db.session() as session:
            yield session

    def table_names(self) -> set[str]:
        return set(inspect(self.engine).get_table_names())
