"""The corpus on SQLite (a file in tmp_path): schema, storing, clusters, outbox, edits."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from newsmon.corpus import Store
from newsmon.corpus.claims import new_claim
from newsmon.corpus.holds import Hold, HoldReason
from newsmon.corpus.records import (
    AlertStatus,
    ClusterMatch,
    DuplicateReason,
    DuplicateURLError,
    FeedSpec,
    NewArticle,
    NewSighting,
    StoredMatch,
    StoreError,
)
from newsmon.corpus.schema import Base
from newsmon.dedup import BANDS
from newsmon.pipeline import prune_index
from tests.support.articles import new_article
from tests.support.index_retention import check_index_retention
from tests.support.schema_history import (
    assert_0007_drops_leases_and_restores_them,
    assert_0011_adds_health_notices_and_drops_them_going_down,
    assert_0013_0014_add_columns_and_drop_them_going_down,
)


def article(url: str, text: str = "body", h: str | None = None, **kw) -> NewArticle:
    return new_article(url, text, content_hash=h, **kw)


MATCH = StoredMatch(
    "policy", 4, [{"term": "FTC", "field": "title", "position": 0, "count": 1}], "FTC…"
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'sub' / 'corpus.db'}")
    yield s
    s.close()


def test_migrations_build_exactly_the_model_schema(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert {
        "feeds",
        "articles",
        "matches",
        "alerts",
        "runs",
        "alembic_version",
    } <= store.table_names()


def test_reopening_an_existing_corpus_keeps_data(tmp_path: Path, sqlite_url: str) -> None:
    url = sqlite_url
    first = Store.open(url)
    first.add_article(article("https://a.example/1"))
    first.close()
    again = Store.open(url)
    assert again.known_urls(["https://a.example/1", "https://a.example/2"]) == {
        "https://a.example/1"
    }
    again.close()


def test_unusable_database_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError) as err:
        Store.open(f"sqlite:///{blocker}/db.sqlite")
    assert "\n" not in str(err.value)
    with pytest.raises(StoreError) as err:
        Store.open("not a url at all://")
    assert str(err.value) == "database_url is not a valid URL: (unparseable database URL)"


def test_database_urls_in_messages_hide_the_password() -> None:
    from newsmon.corpus.engine import redact_url

    shown = redact_url("postgresql+psycopg://newsmon:hunter2@db.example:5432/newsmon")
    assert shown == "postgresql+psycopg://newsmon:***@db.example:5432/newsmon"


def test_same_body_under_another_url_is_a_duplicate(store: Store) -> None:
    first = store.add_article(
        article("https://a.example/1", h="h1"), [MATCH], "v1", {"#p": ["policy"]}
    )
    copy = store.add_article(
        article("https://b.example/2", h="h1"), [MATCH], "v1", {"#p": ["policy"]}
    )
    assert first.duplicate_of is None and first.alerts_queued == 1
    assert copy.duplicate_of == first.id and copy.alerts_queued == 0
    assert store.matches_of(copy.id) == []  # the cluster's first article carries the topics
    with pytest.raises(DuplicateURLError):
        store.add_article(article("https://a.example/1"))


def test_outbox_lifecycle(store: Store) -> None:
    stored = store.add_article(
        article("https://a.example/1", h="h"),
        [MATCH],
        "v1",
        {"#policy": ["policy"], "#news": ["policy"]},
    )
    jobs = store.pending_alerts(10)
    assert [(j.channel, j.topics) for j in jobs] == [("#policy", ["policy"]), ("#news", ["policy"])]
    assert jobs[0].matches[0].terms[0]["term"] == "FTC"
    claim = new_claim(timedelta(minutes=5))
    claimed = store.outbox.claim_alerts(claim, 10)
    assert [j.id for j in claimed] == [j.id for j in jobs]
    assert store.outbox.alert_sent(claim, jobs[0].id, destination="slack", slack_ts="1.2")
    assert (
        store.outbox.alert_failed(claim, jobs[1].id, "invalid_blocks", retry_at=None)
        == AlertStatus.FAILED
    )
    assert store.pending_alerts(10) == []
    assert store.count_alerts(AlertStatus.SENT) == 1 and store.count_alerts(AlertStatus.FAILED) == 1
    # never twice to the same channel, whatever asks for it
    assert store.enqueue_alert(stored.id, "#policy", ["policy"], revive_skipped=True) is False
    assert store.enqueue_alert(stored.id, "#other", ["policy"]) is True
    assert store.enqueue_alert(stored.id, "#other", ["policy"]) is False


def test_transient_failures_wait_their_delay_then_park_the_alert(store: Store) -> None:
    store.add_article(article("https://a.example/1"), [MATCH], "v1", {"#p": ["policy"]})
    later = datetime.now(UTC) + timedelta(hours=1)
    claim = new_claim(timedelta(minutes=5))
    [job] = store.outbox.claim_alerts(claim, 5)
    status = store.outbox.alert_failed(claim, job.id, "HTTP 500", retry_at=later)
    assert status == AlertStatus.PENDING
    # not due yet: nobody claims it
    assert store.outbox.claim_alerts(new_claim(timedelta(minutes=5)), 5) == []
    due = new_claim(timedelta(minutes=5), now=later + timedelta(seconds=1))
    [again] = store.outbox.claim_alerts(due, 5)
    assert again.attempts == 1
    assert store.outbox.alert_failed(due, job.id, "HTTP 500", retry_at=None) == AlertStatus.FAILED
    [listed] = store.list_alerts(status="failed")
    assert listed.attempts == 2 and listed.last_error == "HTTP 500"


def test_skipped_alerts_are_revived_only_on_request(store: Store) -> None:
    stored = store.add_article(
        article("https://a.example/1"),
        [MATCH],
        "v1",
        {"#p": ["policy"]},
        AlertStatus.SKIPPED,
        Hold(HoldReason.TOO_OLD, "older than 72 h"),
    )
    assert store.pending_alerts(5) == []
    assert store.enqueue_alert(stored.id, "#p", ["policy"]) is False
    assert store.enqueue_alert(stored.id, "#p", ["policy"], revive_skipped=True) is True
    assert [j.channel for j in store.pending_alerts(5)] == ["#p"]


def test_replace_matches_reports_the_diff(store: Store) -> None:
    stored = store.add_article(article("https://a.example/1"), [MATCH], "v1")
    other = StoredMatch("open-source", 3, [], "…")
    change = store.replace_matches(stored.id, [other], "v2")
    assert (change.added, change.removed) == ({"open-source"}, {"policy"})
    assert [m.topic for m in store.matches_of(stored.id)] == ["open-source"]
    again = store.replace_matches(stored.id, [other], "v2")
    assert (again.added, again.removed) == (set(), set())


def test_replace_matches_withdraws_queued_alerts_of_lost_topics(store: Store) -> None:
    """The rules drop a topic: a queued alert keeps only the topics still matched, one left
    with none is held back (skipped, revivable); a claimed (sending) one is left to its owner."""
    claimed = store.add_article(
        article("https://a.example/2", text="another body", h="h2"),
        [MATCH],
        "v1",
        {"#p": ["policy"]},
    )
    claim = new_claim(timedelta(minutes=5))
    assert [j.article_id for j in store.outbox.claim_alerts(claim, 10)] == [claimed.id]
    other = StoredMatch("open-source", 3, [], "…")
    stored = store.add_article(
        article("https://a.example/1", h="h1"),
        [MATCH, other],
        "v1",
        {"#policy": ["policy"], "#news": ["open-source", "policy"]},
    )
    change = store.replace_matches(stored.id, [other], "v2")
    assert change.removed == {"policy"} and change.withdrawn == 1
    assert [(j.channel, j.topics) for j in store.pending_alerts(10)] == [("#news", ["open-source"])]
    assert store.count_alerts(AlertStatus.SKIPPED) == 1
    again = store.replace_matches(stored.id, [other], "v2")
    assert again.withdrawn == 0 and len(store.pending_alerts(10)) == 1
    # the topic comes back: an explicit backfill with alerts may queue it again
    assert store.enqueue_alert(stored.id, "#policy", ["policy"], revive_skipped=True) is True
    sending = store.replace_matches(claimed.id, [], "v2")
    assert sending.removed == {"policy"} and sending.withdrawn == 0
    assert store.count_alerts(AlertStatus.SENDING) == 1


def test_times_come_back_aware_utc(store: Store) -> None:
    kst = datetime(2025, 2, 24, 9, 30, tzinfo=timezone(timedelta(hours=9)))
    naive = datetime(2025, 2, 24, 9, 30)  # taken as UTC
    store.add_article(article("https://a.example/1", published_at=kst))
    store.add_article(article("https://a.example/2", published_at=naive))
    back = {v.url: v.published_at for v in store.list_articles()}
    # the same instant, now in UTC: 09:30 in Seoul is 00:30 UTC
    assert back["https://a.example/1"] == datetime(2025, 2, 24, 0, 30, tzinfo=UTC)
    assert back["https://a.example/2"] == datetime(2025, 2, 24, 9, 30, tzinfo=UTC)
    assert all(t is not None and t.utcoffset() == timedelta(0) for t in back.values())


# --- near duplicates and clusters -------------------------------------------------------------

STORY = " ".join(
    f"Paragraph {i}: the regulator said on Tuesday that model developers must file incident "
    f"reports within {i + 2} days, and that audits of frontier systems begin in quarter {i % 4}."
    for i in range(12)
)
# Same subject, same names and terms, another story.
OTHER_STORY = (
    "The regulator's chair told lawmakers on Tuesday that the incident reporting rules for model "
    "developers would be delayed until the audit framework for frontier systems is finished. "
    "Committee members asked whether quarterly audits would apply to open models; the chair said "
    "the agency had not decided and would publish a consultation next month. Two developers "
    "wrote to the committee arguing that reports within days were unworkable for small teams."
)


def signed(url: str, body: str, **kw) -> NewArticle:
    return new_article(url, body, signed=True, **kw)


def test_near_duplicate_joins_the_cluster_of_the_first_seen(store: Store) -> None:
    first = store.add_article(
        signed("https://a.example/1", STORY), [MATCH], "v1", {"#p": ["policy"]}
    )
    edited = STORY.replace("Paragraph 5: the regulator", "Paragraph 5 (updated): the agency")
    copy = store.add_article(
        signed("https://b.example/2", edited), [MATCH], "v1", {"#p": ["policy"]}
    )
    assert copy.duplicate_of == first.id and copy.duplicate_reason is DuplicateReason.NEAR
    assert copy.similarity is not None and 0.5 <= copy.similarity < 1
    assert copy.alerts_queued == 0 and store.matches_of(copy.id) == []
    # a copy of the copy still points at the head, never at the copy
    exact = store.add_article(signed("https://c.example/3", edited))
    assert exact.duplicate_of == first.id and exact.duplicate_reason is DuplicateReason.HASH
    truncated = store.add_article(signed("https://d.example/4", STORY[: int(len(STORY) * 0.6)]))
    assert truncated.duplicate_of == first.id
    other = store.add_article(signed("https://e.example/5", OTHER_STORY))
    assert other.duplicate_of is None  # same frame, different story
    cluster = store.cluster(truncated.id)
    assert cluster is not None and cluster.head.id == first.id
    assert [m.id for m in cluster.members] == [first.id, copy.id, exact.id, truncated.id]
    assert cluster.topics == ["policy"]


def test_near_duplicate_index_is_in_the_database(tmp_path: Path, sqlite_url: str) -> None:
    url = sqlite_url
    first = Store.open(url)
    head = first.add_article(signed("https://a.example/1", STORY))
    first.close()
    again = Store.open(url)  # a new process: nothing in memory
    copy = again.add_article(signed("https://b.example/2", STORY[: int(len(STORY) * 0.7)]))
    assert copy.duplicate_of == head.id
    with again.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT count(*) FROM article_bands").scalar()
        plan = " ".join(
            str(r)
            for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT article_id FROM article_bands WHERE band_key IN (1, 2)"
            )
        )
    assert rows and rows <= 4 * BANDS  # two articles: a signature's bands and a lead's each
    assert "SCAN" not in plan.replace("SCAN CONSTANT", "")  # an index search, not a scan
    again.close()


def test_signatures_of_another_scheme_are_never_compared(store: Store) -> None:
    from dataclasses import replace

    from newsmon.dedup import minhash_signature

    sig = minhash_signature(STORY)
    assert sig is not None
    store.add_article(article("https://a.example/1", STORY, signature=replace(sig, scheme="old")))
    copy = store.add_article(article("https://b.example/2", STORY, signature=sig))
    assert copy.duplicate_of is None


def test_an_edited_article_is_updated_in_place_without_alerting(store: Store) -> None:
    first = store.add_article(
        signed("https://a.example/1", STORY, entry_fingerprint="f1"),
        [MATCH],
        "v1",
        {"#p": ["policy"]},
    )
    edited = STORY.replace("Paragraph 3:", "Paragraph 3, corrected:")
    changed = signed("https://a.example/1", edited, title="New headline", entry_fingerprint="f2")
    assert store.update_article(first.id, changed, [], "v1").changed is True
    [view] = store.list_articles()
    assert view.title == "New headline" and "corrected" in view.text
    # the edit matched nothing: the waiting alert is held back, not posted naming "policy"
    assert store.matches_of(first.id) == [] and store.pending_alerts(10) == []
    assert [a.status for a in store.list_alerts(reason=HoldReason.EDITED_AWAY)] == ["skipped"]
    assert (
        store.known_articles(["https://a.example/1"])["https://a.example/1"].entry_fingerprint
        == "f2"
    )
    assert store.update_article(first.id, changed, [], "v1").changed is False  # nothing new
    # the index follows the new text: a copy of the edit finds it, no stale bands remain
    copy = store.add_article(signed("https://b.example/2", edited))
    assert copy.duplicate_of == first.id and copy.duplicate_reason is DuplicateReason.HASH
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM article_bands").scalar() <= 2 * BANDS


def test_a_short_item_is_found_by_its_body_and_reindexed_when_edited(store: Store) -> None:
    summary = "The ministry said on Monday that chip export licences would be reviewed in ten days."
    fixed = "The ministry said on Tuesday that chip export licences would now take five days."
    head = store.add_article(
        signed("https://a.example/1", f"Faster licences\n{summary}", title="Faster licences")
    )
    copy = store.add_article(
        signed("https://b.example/2", f"Ten-day reviews\n{summary}", title="Ten-day reviews")
    )
    assert (copy.duplicate_of, copy.duplicate_reason) == (head.id, DuplicateReason.SHORT)
    assert copy.similarity == 1.0
    changed = signed("https://a.example/1", f"Faster licences\n{fixed}", title="Faster licences")
    assert store.update_article(head.id, changed).changed is True
    assert head_bands(store, head.id) == BANDS  # the old body's keys went (no lead: too short)
    # the copy still carries the first version to its cluster; the edit is found as well
    old = store.find_cluster(
        signed("https://c.example/3", f"Other title\n{summary}", title="Other title")
    )
    assert old == ClusterMatch(head.id, DuplicateReason.SHORT, 1.0)
    new = store.find_cluster(signed("https://c.example/3", fixed, title="A teaser"))
    assert new == ClusterMatch(head.id, DuplicateReason.SHORT, 1.0)
    # a new headline alone (the page could not be read) re-indexes the body under it: the
    # first line is no longer the headline, so the body and its 42 keys change
    retitled = signed("https://a.example/1", "", title="Licences faster")
    assert store.update_article(head.id, retitled, keep_body=True).changed is True
    assert head_bands(store, head.id) == 2 * BANDS  # body and lead


def head_bands(store: Store, article_id: int) -> int:
    with store.engine.connect() as conn:
        return int(
            conn.exec_driver_sql(
                "SELECT count(*) FROM article_bands WHERE article_id = ?", (article_id,)
            ).scalar()
            or 0
        )


def test_sightings_are_remembered_once(store: Store) -> None:
    first = store.add_article(signed("https://a.example/1", STORY))
    feed = store.sync_feed("other", "https://o.example/feed", "en").id
    x, y = (NewSighting(first.id, f"https://a.example/1?utm_source={s}") for s in "xy")
    assert store.record_sightings(feed, [x]) == 1
    assert store.record_sightings(feed, [y]) == 0  # the same link once tracking is removed
    cluster = store.cluster(first.id)
    assert cluster is not None and cluster.sources == ["other"]
    assert [s.url for s in cluster.sightings] == ["https://a.example/1"]


def test_a_corpus_at_0001_with_data_upgrades_to_head(tmp_path: Path) -> None:
    from newsmon.corpus.engine import make_engine
    from newsmon.dedup import content_hash
    from newsmon.migrations import head_revision, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0001")
    h = content_hash(STORY)
    with engine.begin() as conn:
        for i, (u, dup) in enumerate([("https://a.example/1", None), ("https://b.example/2", 1)]):
            conn.exec_driver_sql(
                "INSERT INTO articles (id, canonical_url, url, text, text_source, first_seen_at,"
                " updated_at, content_hash, duplicate_of_id) VALUES (?, ?, ?, ?, 'page',"
                " '2025-02-01 09:00:00', '2025-02-01 09:00:00', ?, ?)",
                (i + 1, u, u, STORY, h, dup),
            )
    engine.dispose()
    store = Store.open(url)  # migrates to head
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diff == []
            assert (
                conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
                == head_revision()
            )
            bands = conn.exec_driver_sql("SELECT DISTINCT article_id FROM article_bands").all()
            reasons = conn.exec_driver_sql(
                "SELECT id, duplicate_reason, minhash_scheme IS NOT NULL FROM articles ORDER BY id"
            ).all()
        assert bands == [(1,)]  # only the original is indexed; its exact copy shares its bands
        assert reasons == [(1, None, 1), (2, "hash", 1)]
        near = store.add_article(signed("https://c.example/3", STORY[: int(len(STORY) * 0.65)]))
        assert near.duplicate_of == 1 and near.duplicate_reason is DuplicateReason.NEAR
        # articles of before 0009 are in the index, and old ones leave it like any other
        assert prune_index(store, 30, datetime.now(UTC), 0).dropped == 2
        assert head_bands(store, 1) == 0 and head_bands(store, near.id) > 0
    finally:
        store.close()


def test_old_stories_leave_the_near_duplicate_index(store: Store) -> None:
    check_index_retention(store)


def test_the_retention_query_reads_the_partial_index(store: Store) -> None:
    """Old articles still indexed are found without reading the others."""
    with store.engine.connect() as conn:
        plan = " ".join(
            str(r)
            for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id FROM articles WHERE bands_dropped_at IS NULL "
                "AND first_seen_at < '2026-01-01' ORDER BY first_seen_at LIMIT 10"
            )
        )
    assert "ix_articles_indexed_seen" in plan, plan


def test_0007_drops_the_leases_table_and_its_downgrade_rebuilds_it(tmp_path: Path) -> None:
    from newsmon.corpus.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'walk.db'}")
    try:
        assert_0007_drops_leases_and_restores_them(engine)
    finally:
        engine.dispose()


def test_a_silent_cluster_speaks_through_its_first_matching_copy(store: Store) -> None:
    teaser = store.add_article(signed("https://a.example/1", STORY))  # matched nothing
    copy = store.add_article(
        signed("https://b.example/2", STORY + " Extra line."), [MATCH], "v1", {"#p": ["policy"]}
    )
    assert copy.duplicate_of == teaser.id and copy.alerts_queued == 1
    assert [m.topic for m in store.matches_of(copy.id)] == ["policy"]
    later = store.add_article(
        signed("https://c.example/3", STORY + " More."), [MATCH], "v1", {"#o": ["policy"]}
    )
    assert later.duplicate_of == teaser.id and later.alerts_queued == 0
    assert len(store.pending_alerts(10)) == 1


def test_an_edit_read_without_page_text_changes_only_the_title(store: Store) -> None:
    first = store.add_article(signed("https://a.example/1", STORY, entry_fingerprint="f1"))
    teaser = signed("https://a.example/1", "Short summary.", title="New", entry_fingerprint="f2")
    assert store.update_article(first.id, teaser, keep_body=True).changed is True
    [view] = store.list_articles()
    assert view.title == "New" and view.text == STORY
    known = store.known_articles(["https://a.example/1"])["https://a.example/1"]
    assert known.entry_fingerprint == "f2" and known.text_source == "page"


def test_feeds_follow_moves_until_the_configuration_changes(store: Store) -> None:
    first = store.sync_feeds([FeedSpec("a", "https://a.example/rss", "en")])["a"]
    store.record_feed_success(
        first.id, entries=3, etag='"e1"', last_modified=None, moved_to="https://a.example/new"
    )
    moved = store.sync_feed("a", "https://a.example/rss", "ko")
    assert (moved.id, moved.url, moved.etag) == (first.id, "https://a.example/new", '"e1"')
    store.record_feed_failure(first.id, "timeout")
    changed = store.sync_feeds([FeedSpec("a", "https://a.example/feed", "ko")])["a"]
    assert (changed.url, changed.etag, changed.failures) == ("https://a.example/feed", None, 0)
    [health] = store.feed_health()
    assert health.entries_seen == 3 and health.config_url == "https://a.example/feed"
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT language FROM feeds").scalar() == "ko"


def test_a_run_is_recorded_with_its_summary(store: Store) -> None:
    from types import MappingProxyType

    started = datetime(2025, 2, 1, 9, tzinfo=UTC)
    store.record_run("monitor", started, MappingProxyType({"new_articles": 2, "errors": []}))
    with store.engine.connect() as conn:
        flow, summary, began = conn.exec_driver_sql(
            "SELECT flow, summary, started_at FROM runs"
        ).one()
    assert flow == "monitor" and summary == '{"new_articles": 2, "errors": []}'
    assert began == "2025-02-01 09:00:00.000000"


def test_find_cluster_decides_without_storing(store: Store) -> None:
    head = store.add_article(signed("https://a.example/1", STORY))
    match = store.find_cluster(signed("https://b.example/2", STORY[: int(len(STORY) * 0.7)]))
    assert match is not None and match.head_id == head.id
    assert match.reason is DuplicateReason.NEAR and 0.3 <= match.similarity < 1
    assert store.find_cluster(signed("https://c.example/3", OTHER_STORY)) is None
    assert store.known_urls(["https://b.example/2"]) == set()


def test_a_similar_story_weeks_apart_is_a_story_of_its_own(store: Store) -> None:
    """Similar texts join a story only within the week around it (`clusters.STORY_WINDOW`),
    by publication date, else by when the store first saw them; identical bodies at any
    distance. Real feeds hold such pairs: a reporter's template lede, a series' summary."""
    march = datetime(2026, 3, 2, 9, tzinfo=UTC)
    later = march + timedelta(days=30)
    summary = (
        "The research institute's team built an AI model that reads animal behaviour like a "
        "language and will publish its code, the university said on Monday."
    )
    edited = STORY[: int(len(STORY) * 0.7)]  # copies that are similar, not identical
    tail = STORY[int(len(STORY) * 0.3) :]
    head = store.add_article(signed("https://a.example/1", STORY, published_at=march))
    short = store.add_article(
        signed("https://a.example/2", summary, title="Animal talk", published_at=march)
    )
    copy = store.add_article(
        signed("https://b.example/1", edited, published_at=march + timedelta(days=2))
    )
    assert (copy.duplicate_of, copy.duplicate_reason) == (head.id, DuplicateReason.NEAR)
    assert store.find_cluster(signed("https://c.example/1", tail, published_at=later)) is None
    within = store.find_cluster(signed("https://c.example/1", tail, published_at=march))
    assert within is not None and within.head_id == head.id
    teaser = signed("https://c.example/2", summary, title="Brain-like AI", published_at=later)
    assert store.find_cluster(teaser) is None
    close = signed("https://c.example/3", summary, title="Brain-like AI", published_at=march)
    assert store.find_cluster(close) == ClusterMatch(short.id, DuplicateReason.SHORT, 1.0)
    # no date: when the store first sees it (now, long after March 2026's stories)...
    assert store.find_cluster(signed("https://d.example/1", tail, published_at=None)) is None
    # ...and a date in the future is not believed either
    future = datetime.now(UTC) + timedelta(days=400)
    assert store.find_cluster(signed("https://d.example/2", tail, published_at=future)) is None
    # the same body is the same story at any distance
    same = store.find_cluster(signed("https://e.example/1", STORY, published_at=later))
    assert same == ClusterMatch(head.id, DuplicateReason.HASH, 1.0)


def test_0011_health_notices_walk_down_and_up_again(tmp_path: Path) -> None:
    from newsmon.corpus.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'walk11.db'}")
    try:
        assert_0011_adds_health_notices_and_drops_them_going_down(engine)
    finally:
        engine.dispose()


def test_0013_and_0014_walk_down_and_up_again(tmp_path: Path) -> None:
    from newsmon.corpus.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'walk14.db'}")
    try:
        assert_0013_0014_add_columns_and_drop_them_going_down(engine)
    finally:
        engine.dispose()
