"""The outbox's claims on SQLite (a file in tmp_path): fairness, leases, lost outcomes,
thread replies and digests recorded once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsmon.corpus import Store
from newsmon.corpus.claims import Filter, new_claim
from newsmon.corpus.digests import DigestTurn, NotBegun
from newsmon.corpus.records import AlertStatus, DigestStory, FeedSpec
from tests.support.articles import new_article
from tests.support.delivery import MATCH, queue_alerts
from tests.support.schema_history import assert_0015_adds_digest_content_and_drops_it_going_down

LEASE = timedelta(minutes=5)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    yield s
    s.close()


def test_claims_take_channels_in_turn_and_never_twice(store: Store) -> None:
    queue_alerts(store, {"#a": 5, "#b": 2, "#c": 1})
    first = store.outbox.claim_alerts(new_claim(LEASE), 4)
    # the first of each channel, then the second of each: #c's one alert is not left behind
    assert sorted(j.channel for j in first) == ["#a", "#a", "#b", "#c"]
    second = store.outbox.claim_alerts(new_claim(LEASE), 10)
    assert not {j.id for j in first} & {j.id for j in second}
    assert len(first) + len(second) == 8
    assert store.outbox.claim_alerts(new_claim(LEASE), 10) == []
    assert store.count_alerts(AlertStatus.SENDING) == 8


def test_a_blocked_channel_is_left_out_and_probed_alone(store: Store) -> None:
    queue_alerts(store, {"#stuck": 3, "#ok": 2})
    store.outbox.set_channel_state("#stuck", blocked="not_in_channel")
    skip = set(store.outbox.channel_blocks())
    jobs = store.outbox.claim_alerts(new_claim(LEASE), 10, Filter(skip_channels=skip))
    assert {j.channel for j in jobs} == {"#ok"}
    probe = store.outbox.claim_alerts(new_claim(LEASE), 1, Filter(only_channel="#stuck"))
    assert [j.channel for j in probe] == ["#stuck"]
    assert len(store.list_alerts(status="blocked")) == 2  # the probe is held, not pending
    store.outbox.set_channel_state("#stuck", slack_id="C123")
    assert store.outbox.channel_blocks() == {} and store.outbox.channel_id("#stuck") == "C123"


def test_an_expired_lease_is_taken_over_as_an_unknown_outcome(store: Store) -> None:
    [alert] = queue_alerts(store, {"#a": 1})
    dead = new_claim(timedelta(seconds=1))
    [job] = store.outbox.claim_alerts(dead, 1)
    assert job.unknown_since is None  # a fresh claim: nothing was tried before
    assert store.outbox.claim_alerts(new_claim(LEASE), 1) == []  # held
    later = new_claim(LEASE, now=datetime.now(UTC) + timedelta(seconds=5))
    [again] = store.outbox.claim_alerts(later, 1)
    assert again.id == alert and again.unknown_since is not None
    assert again.unknown_since <= dead.started + timedelta(milliseconds=1)
    # the dead owner can no longer record anything; the new one can
    assert not store.outbox.alert_sent(dead, alert, destination="slack", slack_ts="1.1")
    assert store.outbox.alert_sent(later, alert, destination="slack", slack_ts="1.2")
    [row] = store.list_alerts()
    assert row.status is AlertStatus.SENT and row.attempts == 1


def test_release_keeps_an_earlier_unknown_outcome_flagged(store: Store) -> None:
    queue_alerts(store, {"#a": 1})
    first = new_claim(LEASE)
    [job] = store.outbox.claim_alerts(first, 1)
    store.outbox.alert_failed(
        first, job.id, "timeout", retry_at=first.started, maybe_posted_since=first.started
    )
    second = new_claim(LEASE, now=first.started + timedelta(seconds=1))
    [again] = store.outbox.claim_alerts(second, 1)
    assert again.unknown_since is not None
    store.outbox.release_alert(second, again.id, again.unknown_since)
    third = new_claim(LEASE, now=first.started + timedelta(seconds=2))
    [still] = store.outbox.claim_alerts(third, 1)
    assert still.unknown_since == again.unknown_since and still.attempts == 1


def test_retry_requeues_failed_alerts_only(store: Store) -> None:
    a, b = queue_alerts(store, {"#a": 2})
    claim = new_claim(LEASE)
    store.outbox.claim_alerts(claim, 2)
    store.outbox.alert_failed(claim, a, "invalid_blocks", retry_at=None)
    store.outbox.alert_sent(claim, b, destination="slack", slack_ts="1")
    assert store.retry_alerts([b]) == 0  # sent stays sent
    assert store.retry_alerts(failed=True) == 1
    [pending] = store.list_alerts(status="pending")
    assert pending.id == a and pending.attempts == 0


def test_replies_one_per_source_and_only_under_a_posted_alert(store: Store) -> None:
    states = store.sync_feeds(
        [FeedSpec("wire-a", "https://a/f", None), FeedSpec("wire-b", "https://b/f", None)]
    )
    fa, fb = states["wire-a"].id, states["wire-b"].id
    body = "same story " * 80
    head = store.add_article(
        new_article("https://a.ex/1", body, feed_id=fa, signed=True),
        [MATCH],
        "v1",
        {"#p": ["policy"]},
    )
    # storing the copy queues its reply, in the copy's own transaction
    copy = store.add_article(
        new_article(
            "https://b.ex/1", body, url="https://b.ex/1?utm_source=x", feed_id=fb, signed=True
        )
    )
    assert copy.duplicate_of == head.id
    assert store.replies.count_replies(AlertStatus.PENDING) == 1
    assert store.queue_replies(copy.id, fb, "https://b.ex/other") == 0  # once per source
    assert store.queue_replies(head.id, fa, "https://a.ex/1") == 0  # the alert's own source
    assert store.replies.claim_replies(new_claim(LEASE), 10) == []  # nothing to thread under
    claim = new_claim(LEASE)
    [alert] = store.outbox.claim_alerts(claim, 1)
    store.outbox.alert_sent(claim, alert.id, destination="slack", slack_ts="1700.1")
    [reply] = store.replies.claim_replies(new_claim(LEASE), 10)
    assert reply.thread_ts == "1700.1" and reply.source == "wire-b"
    assert reply.url == "https://b.ex/1"  # tracking parameters dropped


def test_links_longer_than_the_corpus_keeps_lead_alerts_and_replies_whole_or_to_the_site(
    store: Store,
) -> None:
    """A link over 2,000 characters is stored as its first 2,000 in `url`: the alert linked
    that cut address (another page, or none), and so did a reply from a second source."""
    states = store.sync_feeds(
        [FeedSpec("wire-a", "https://a/f", None), FeedSpec("wire-b", "https://b/f", None)]
    )
    fa, fb = states["wire-a"].id, states["wire-b"].id
    body = "same long-linked story " * 60
    deep = "https://a.ex/" + "/".join("d" * 199 for _ in range(12)) + "/story"
    head = store.add_article(
        new_article(deep, body, feed_id=fa, signed=True), [MATCH], "v1", {"#p": ["policy"]}
    )
    other = "https://b.ex/" + "/".join("e" * 199 for _ in range(12)) + "/story"
    copy = store.add_article(new_article(other, body, feed_id=fb, signed=True))
    assert copy.duplicate_of == head.id
    claim = new_claim(LEASE)
    [alert] = store.outbox.claim_alerts(claim, 1)
    assert alert.url == deep  # whole: the message links the site when it is too long to show
    store.outbox.alert_sent(claim, alert.id, destination="slack", slack_ts="1700.1")
    [reply] = store.replies.claim_replies(new_claim(LEASE), 10)
    assert reply.url == "https://b.ex/"


def test_a_digest_is_held_once_per_channel_and_period(store: Store) -> None:
    since, until = datetime(2025, 2, 20, tzinfo=UTC), datetime(2025, 2, 21, tzinfo=UTC)
    story = DigestStory(7, "T", "https://a.ex/7", "wire", 2, since)
    claim = new_claim(LEASE)
    assert store.digests.begin_digest(claim, "#p", since, until, []) is NotBegun.EMPTY
    turn = store.digests.begin_digest(claim, "#p", since, until, [story])
    assert isinstance(turn, DigestTurn) and turn.parts_sent == 0 and turn.stories == [story]
    busy = store.digests.begin_digest(new_claim(LEASE), "#p", since, until, [story])
    assert busy is NotBegun.HELD
    store.digests.digest_progress(claim, turn.id, 1, "1.1", done=False)
    store.digests.release_digest(claim, turn.id, "HTTP 500")
    edited = DigestStory(7, "T, edited", "https://a.ex/7", "wire", 3, since)
    resumer = new_claim(LEASE)
    resumed = store.digests.begin_digest(resumer, "#p", since, until, [edited, story])
    assert isinstance(resumed, DigestTurn) and resumed.parts_sent == 1 and resumed.resumed
    assert resumed.stories == [story]  # what it began with: its remaining parts follow on
    other = store.digests.begin_digest(new_claim(LEASE), "#other", since, until, [story])
    assert isinstance(other, DigestTurn)
    assert store.digests.digest_progress(resumer, resumed.id, 2, None, done=True)
    again = store.digests.begin_digest(new_claim(LEASE), "#p", since, until, [story])
    assert again is NotBegun.POSTED


def test_0015_adds_digest_content_and_walks_down_and_up_again(tmp_path: Path) -> None:
    from newsmon.corpus.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'walk15.db'}")
    try:
        assert_0015_adds_digest_content_and_drops_it_going_down(engine)
    finally:
        engine.dispose()


def test_alert_counts_report_a_blocked_channels_pending_alerts_as_blocked(store: Store) -> None:
    queue_alerts(store, {"#stuck": 2, "#ok": 1})
    store.outbox.set_channel_state("#stuck", blocked="not_in_channel")
    assert store.outbox.alert_counts() == {"#ok": {"pending": 1}, "#stuck": {"blocked": 2}}
