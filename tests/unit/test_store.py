from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from newsmon.store import (
    ALERT_FAILED,
    ALERT_PENDING,
    ALERT_SENT,
    ALERT_SKIPPED,
    Base,
    DuplicateURLError,
    NewArticle,
    Store,
    StoredMatch,
    StoreError,
)


def article(url: str, text: str = "body", h: str | None = None, **kw) -> NewArticle:
    fields = dict(
        canonical_url=url,
        url=url,
        feed_id=None,
        guid=None,
        title="T",
        text=text,
        text_source="page",
        extraction_note=None,
        language="en",
        author=None,
        published_at=datetime(2025, 2, 1, 9, tzinfo=UTC),
        content_hash=h,
    )
    fields.update(kw)
    return NewArticle(**fields)


MATCH = StoredMatch(
    "policy", 4, [{"term": "FTC", "field": "title", "position": 0, "count": 1}], "FTC…"
)


@pytest.fixture
def store(tmp_path: Path):
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


def test_reopening_an_existing_corpus_keeps_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
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
        Store.open("postgresql+psycopg://newsmon:hunter2@127.0.0.1:9/newsmon")
    assert "hunter2" not in str(err.value) and "***" in str(err.value)


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
    store.mark_sent(jobs[0].id, destination="slack", slack_ts="1.2")
    assert store.mark_attempt_failed(jobs[1].id, "invalid_blocks", permanent=True) == ALERT_FAILED
    assert store.pending_alerts(10) == []
    assert store.count_alerts(ALERT_SENT) == 1 and store.count_alerts(ALERT_FAILED) == 1
    # never twice to the same channel, whatever asks for it
    assert store.enqueue_alert(stored.id, "#policy", ["policy"], revive_skipped=True) is False
    assert store.enqueue_alert(stored.id, "#other", ["policy"]) is True
    assert store.enqueue_alert(stored.id, "#other", ["policy"]) is False


def test_transient_failures_park_an_alert_after_max_attempts(store: Store) -> None:
    store.add_article(article("https://a.example/1"), [MATCH], "v1", {"#p": ["policy"]})
    [job] = store.pending_alerts(5)
    statuses = [store.mark_attempt_failed(job.id, "timeout", permanent=False) for _ in range(5)]
    assert statuses[:4] == [ALERT_PENDING] * 4 and statuses[4] == ALERT_FAILED


def test_skipped_alerts_are_revived_only_on_request(store: Store) -> None:
    stored = store.add_article(
        article("https://a.example/1"),
        [MATCH],
        "v1",
        {"#p": ["policy"]},
        ALERT_SKIPPED,
        "older than 72 h",
    )
    assert store.pending_alerts(5) == []
    assert store.enqueue_alert(stored.id, "#p", ["policy"]) is False
    assert store.enqueue_alert(stored.id, "#p", ["policy"], revive_skipped=True) is True
    assert [j.channel for j in store.pending_alerts(5)] == ["#p"]


def test_replace_matches_reports_the_diff(store: Store) -> None:
    stored = store.add_article(article("https://a.example/1"), [MATCH], "v1")
    other = StoredMatch("open-source", 3, [], "…")
    added, removed = store.replace_matches(stored.id, [other], "v2")
    assert (added, removed) == ({"open-source"}, {"policy"})
    assert [m.topic for m in store.matches_of(stored.id)] == ["open-source"]
    assert store.replace_matches(stored.id, [other], "v2") == (set(), set())


def test_times_come_back_aware_utc(store: Store) -> None:
    kst = datetime(2025, 2, 24, 9, 30, tzinfo=UTC) + timedelta(hours=0)
    stored = store.add_article(article("https://a.example/1", published_at=kst))
    [view] = store.list_articles()
    assert (
        view.id == stored.id and view.published_at == kst and view.published_at.tzinfo is not None
    )
