"""Pages tried again: when (`next_try`, pure) and what reading one at last does to the corpus
(`recover_page` on a SQLite file: the teaser replaced, the cluster and alerts that follow)."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsmon.config import Config
from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus, DuplicateReason, NewArticle, StoredMatch
from newsmon.corpus.schema import ArticleRow
from newsmon.fetch import FailureKind, FetchResult
from newsmon.pipeline.page_tries import next_try, stopped_retry_at
from newsmon.workers import Stop
from tests.support.articles import new_article

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
URL = "https://news.example/a"


def failed(
    kind: FailureKind, status: int | None = None, headers: dict[str, str] | None = None
) -> FetchResult:
    return FetchResult(URL, URL, status, failure=kind, error="x", headers=headers or {})


def config(retries: int = 3, backoff: float = 5.0) -> Config:
    return Config.model_validate(
        {"fetch": {"page_retries": retries}, "poll": {"soft_backoff_minutes": backoff}}
    )


def test_a_soft_failure_is_tried_again_backing_off_like_a_feed() -> None:
    page = failed(FailureKind.HTTP_SERVER, 503)
    waits = [next_try(config(), page, n, NOW) for n in (1, 2, 3)]
    assert waits == [NOW + timedelta(minutes=m) for m in (5, 10, 20)]
    for kind in (FailureKind.TIMEOUT, FailureKind.CONNECTION, FailureKind.DNS):
        assert next_try(config(), failed(kind), 1, NOW) == NOW + timedelta(minutes=5)
    assert next_try(config(), failed(FailureKind.HTTP_CLIENT, 429), 1, NOW) is not None


def test_retry_after_on_a_throttled_page_is_honoured() -> None:
    page = failed(FailureKind.HTTP_SERVER, 503, {"retry-after": "120"})
    assert next_try(config(), page, 1, NOW) == NOW + timedelta(seconds=120)


def test_no_try_after_the_last_one_allowed() -> None:
    page = failed(FailureKind.HTTP_SERVER, 503)
    assert next_try(config(retries=3), page, 3, NOW) is not None
    assert next_try(config(retries=3), page, 4, NOW) is None
    assert next_try(config(retries=0), page, 1, NOW) is None


@pytest.mark.parametrize(
    "page",
    [
        failed(FailureKind.HTTP_CLIENT, 404),  # the page is gone
        failed(FailureKind.HTTP_CLIENT, 410),
        failed(FailureKind.CERTIFICATE),  # lasts until the site changes
        failed(FailureKind.REFUSED),  # newsmon's own policy: nothing was sent
        failed(FailureKind.NO_LINK),
        FetchResult(URL, URL, 200, b"<html></html>"),  # read: nothing to try again
    ],
)
def test_permanent_answers_and_pages_read_are_not_tried_again(page: FetchResult) -> None:
    assert next_try(config(), page, 1, NOW) is None


# --- the corpus -----------------------------------------------------------------------------

OPEN = StoredMatch("open-source", 3, [{"term": "open-weight"}], "open-weight")
POLICY = StoredMatch("policy", 3, [{"term": "regulator"}], "regulator")
ARTICLE = " ".join(f"word{i} of the article that the page holds" for i in range(60))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    yield s
    s.close()


def desk(store: Store) -> int:
    return store.sync_feed("desk", "https://news.example/feed", "en").id


def teaser(
    store: Store,
    url: str,
    text: str,
    matches: list[StoredMatch] | None = None,
    channels: dict[str, list[str]] | None = None,
) -> int:
    """An entry of "desk" stored from its feed's teaser because its page failed (with the
    topics its teaser matched and the alerts queued for them); its id."""
    article = new_article(
        url,
        text,
        signed=True,
        feed_id=desk(store),
        text_source="feed-summary",
        page_failed=True,
        page_retry_at=NOW,
    )
    if matches is None:
        return store.add_article(article).id
    return store.add_article(article, matches, "v1", channels).id


def sent_as(store: Store, slack_channel: str) -> None:
    """The one queued alert goes out; Slack answers `slack_channel` as its channel's ID."""
    claim = store.new_claim(timedelta(minutes=10))
    [job] = store.outbox.claim_alerts(claim, 10)
    assert store.outbox.alert_sent(
        claim, job.id, destination="slack", slack_ts="1.0", slack_channel=slack_channel
    )


def read(url: str, text: str = ARTICLE) -> NewArticle:
    """The article its page holds, as the pass computes it."""
    return new_article(url, text, signed=True, text_source="page")


def alerts(store: Store) -> list[tuple[int, str, AlertStatus]]:
    return sorted((a.article_id, a.channel, a.status) for a in store.list_alerts(limit=50))


def test_due_pages_are_listed_by_feed_and_time(store: Store) -> None:
    first = teaser(store, URL, "A lab shipped a model.")
    other = store.sync_feed("wire", "https://wire.example/feed", "en").id
    assert [r.id for r in store.pages_to_retry(desk(store), NOW, 10)] == [first]
    assert store.pages_to_retry(other, NOW, 10) == []
    assert store.pages_to_retry(desk(store), NOW - timedelta(seconds=1), 10) == []
    store.page_retry_failed(first, 2, None, "page fetch failed (2 tries): HTTP 503")
    assert store.pages_to_retry(desk(store), NOW + timedelta(days=1), 10) == []


def test_a_pass_knows_in_one_look_up_which_feeds_have_pages_due(store: Store) -> None:
    """The pass asks `pages_to_retry` only of these feeds; every other feed skips it."""
    assert store.feeds_with_pages_due(NOW) == set()
    first = teaser(store, URL, "A lab shipped a model.")
    store.sync_feed("wire", "https://wire.example/feed", "en")
    assert store.feeds_with_pages_due(NOW) == {desk(store)}
    assert store.feeds_with_pages_due(NOW - timedelta(seconds=1)) == set()  # not due yet
    store.page_retry_failed(first, 2, None, "page fetch failed (2 tries): HTTP 503")
    assert store.feeds_with_pages_due(NOW + timedelta(days=1)) == set()  # no try left


def test_pages_of_a_site_still_down_wait_without_a_try_counted(store: Store) -> None:
    first = teaser(store, URL, "A lab shipped a model.")
    other = teaser(store, "https://news.example/b", "A second story.")
    later = NOW + timedelta(minutes=10)
    store.postpone_page_retries([other], later)
    assert [r.id for r in store.pages_to_retry(desk(store), NOW, 10)] == [first]
    [waited] = store.pages_to_retry(desk(store), later, 10)[1:]
    assert waited.id == other and waited.attempts == 1
    store.page_retry_failed(other, 3, None, "given up")
    store.postpone_page_retries([other], later)  # never revives a page that is done
    assert [r.id for r in store.pages_to_retry(desk(store), later, 10)] == [first]


def test_the_article_replaces_the_teaser_and_announces_only_what_is_new(store: Store) -> None:
    first = teaser(
        store, URL, "A regulator asked about a model.", [POLICY], {"#policy": ["policy"]}
    )
    [due] = store.pages_to_retry(desk(store), NOW, 10)
    recovered = store.recover_page(
        first,
        due.text,
        read(URL),
        [OPEN, POLICY],
        "v1",
        {"#os": ["open-source"], "#policy": ["policy"]},
    )
    assert recovered.replaced and recovered.alerts_queued == 1 and not recovered.joined
    assert alerts(store) == [
        (first, "#os", AlertStatus.PENDING),
        (first, "#policy", AlertStatus.PENDING),
    ]
    assert sorted(m.topic for m in store.matches_of(first)) == ["open-source", "policy"]
    assert store.pages_to_retry(desk(store), NOW + timedelta(days=1), 10) == []
    [row] = [a for a in store.list_articles(limit=5) if a.id == first]
    assert row.text_source == "page"


def test_a_body_an_edit_replaced_meanwhile_is_left_alone(store: Store) -> None:
    first = teaser(store, URL, "A lab shipped a model.")
    [due] = store.pages_to_retry(desk(store), NOW, 10)
    edited = new_article(URL, "The publisher's edit.", signed=True, text_source="page")
    assert store.update_article(first, edited, [], "v1").changed is True
    recovered = store.recover_page(
        first, due.text, read(URL), [OPEN], "v1", {"#os": ["open-source"]}
    )
    assert not recovered.replaced and alerts(store) == []
    assert store.pages_to_retry(desk(store), NOW + timedelta(days=1), 10) == []  # counted


def test_an_edit_that_stored_this_article_first_does_not_silence_it(store: Store) -> None:
    first = teaser(store, URL, "A lab shipped a model.")
    [due] = store.pages_to_retry(desk(store), NOW, 10)
    assert store.update_article(first, read(URL), [], "v1").changed is True  # same pass, same page
    recovered = store.recover_page(
        first, due.text, read(URL), [OPEN], "v1", {"#os": ["open-source"]}
    )
    assert recovered.replaced and alerts(store) == [(first, "#os", AlertStatus.PENDING)]


def test_a_lone_teaser_whose_article_is_another_storys_copy_joins_it(store: Store) -> None:
    feed = store.sync_feed("wire", "https://wire.example/feed", "en")
    origin = store.add_article(
        replace(read("https://wire.example/o"), feed_id=feed.id),
        [OPEN],
        "v1",
        {"#os": ["open-source"]},
    )
    late = teaser(store, URL, "Another outlet's account.")
    [due] = store.pages_to_retry(desk(store), NOW, 10)
    recovered = store.recover_page(
        late, due.text, read(URL), [OPEN], "v1", {"#os": ["open-source"]}
    )
    assert recovered.replaced and recovered.joined and recovered.duplicate_of == origin.id
    assert recovered.alerts_queued == 0  # the story spoke on #os already
    assert alerts(store) == [(origin.id, "#os", AlertStatus.PENDING)]
    cluster = store.cluster(late)
    assert cluster is not None and [m.id for m in cluster.members] == [origin.id, late]
    assert cluster.members[1].duplicate_reason is DuplicateReason.HASH


def test_a_copy_of_a_story_that_spoke_stays_silent(store: Store) -> None:
    head = store.add_article(
        read("https://wire.example/o"), [POLICY], "v1", {"#policy": ["policy"]}
    )
    late = teaser(store, URL, "A regulator asked about a model, wrote the desk.")
    # a copy of the head, as a near-identical teaser would have made it
    with store.session() as s:
        row = s.get(ArticleRow, late)
        assert row is not None
        row.duplicate_of_id, row.duplicate_reason = head.id, DuplicateReason.NEAR
    [due] = store.pages_to_retry(desk(store), NOW, 10)
    other = " ".join(f"another story entirely, line {i}" for i in range(80))
    recovered = store.recover_page(
        late, due.text, read(URL, other), [OPEN], "v1", {"#os": ["open-source"]}
    )
    assert recovered.replaced and recovered.alerts_queued == 0 and not recovered.joined
    assert store.matches_of(late) == [] and alerts(store) == [
        (head.id, "#policy", AlertStatus.PENDING)
    ]


def test_only_pages_with_no_try_left_count_as_unread(store: Store) -> None:
    since = NOW - timedelta(days=400)  # the articles are first seen now, whatever NOW is
    first = teaser(store, URL, "A lab shipped a model.")
    teaser(store, "https://news.example/b", "A second story.")

    def counts() -> tuple[int, int, str | None]:
        [h] = store.feed_health(pages_since=since)
        return h.recent_articles, h.recent_unread, h.last_page_error

    assert counts() == (2, 0, None)  # both still to be tried: late, not unread
    store.page_retry_failed(first, 5, None, "page fetch failed (5 tries): HTTP 503")
    assert counts() == (2, 1, "page fetch failed (5 tries): HTTP 503")
    [h] = store.feed_health()  # without a window, nothing is counted
    assert (h.recent_articles, h.recent_unread, h.pages_waiting) == (0, 0, 1)


def test_a_channel_now_configured_by_its_id_is_not_announced_to_again(store: Store) -> None:
    """The teaser's alert went out under "#policy"; the configuration now names that channel by
    the ID Slack answered: the page read at last does not announce the story there again."""
    first = teaser(
        store, URL, "A regulator asked about a model.", [POLICY], {"#policy": ["policy"]}
    )
    sent_as(store, "C0POLICY")
    [due] = store.pages_to_retry(desk(store), NOW, 10)
    recovered = store.recover_page(
        first, due.text, read(URL), [POLICY], "v1", {"C0POLICY": ["policy"]}
    )
    assert recovered.replaced and recovered.alerts_queued == 0
    assert alerts(store) == [(first, "#policy", AlertStatus.SENT)]


def test_a_late_copy_waiting_under_the_channels_id_is_held_back(store: Store) -> None:
    """The wire story went out under "#os"; the configuration then named the channel by its ID,
    and the desk's teaser, read as another story, queued its alert under the ID while Slack was
    down. Its page, read at last, is the wire story: the waiting alert is a second post in the
    same Slack channel, and is held back."""
    feed = store.sync_feed("wire", "https://wire.example/feed", "en")
    origin = store.add_article(
        replace(read("https://wire.example/o"), feed_id=feed.id),
        [OPEN],
        "v1",
        {"#os": ["open-source"]},
    )
    sent_as(store, "C0OS")
    said = "Another outlet says the lab's weights are open-weight now."
    late = teaser(store, URL, said, [OPEN], {"C0OS": ["open-source"]})
    [due] = store.pages_to_retry(desk(store), NOW, 10)
    recovered = store.recover_page(
        late, due.text, read(URL), [OPEN], "v1", {"C0OS": ["open-source"]}
    )
    assert recovered.joined and recovered.duplicate_of == origin.id
    assert alerts(store) == [
        (origin.id, "#os", AlertStatus.SENT),
        (late, "C0OS", AlertStatus.SKIPPED),
    ]


def test_0017_adds_the_whole_long_link_and_walks_down_and_up_again(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    from tests.support.schema_history import assert_adds_a_column

    engine = create_engine(f"sqlite:///{tmp_path / 'walk.db'}")
    try:
        assert_adds_a_column(engine, "0017", "articles", "long_url")
    finally:
        engine.dispose()


def test_a_page_stopped_through_no_fault_of_its_own_is_read_again_and_its_own_fault_is_not() -> (
    None
):
    """Its worker stalled, died or could not start: read again like a soft download failure,
    with its backoff and `page_retries`; its CPU or memory budget spent: never again (a hostile
    page would cost every pass its budget)."""
    for stop in (Stop.STALLED, Stop.DIED, Stop.NO_WORKERS):
        waits = [stopped_retry_at(config(), stop, n, NOW) for n in (1, 2, 3, 4)]
        assert waits == [NOW + timedelta(minutes=m) for m in (5, 10, 20)] + [None]
        assert stopped_retry_at(config(retries=0), stop, 1, NOW) is None
    for stop in (Stop.TIME, Stop.MEMORY, None):  # None: the extraction's own error
        assert stopped_retry_at(config(), stop, 1, NOW) is None
