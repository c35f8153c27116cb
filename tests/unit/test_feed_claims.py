"""Feed claims on a SQLite corpus: who may fetch a feed in a pass, and for how long."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus.records import FeedSpec

LEASE = timedelta(minutes=5)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        yield s
    finally:
        s.close()


def feed_ids(store: Store, n: int = 3) -> list[int]:
    states = store.sync_feeds(
        [FeedSpec(f"f{i}", f"https://f{i}.example/rss", None) for i in range(n)]
    )
    return [s.id for s in states.values()]


def test_a_feed_goes_to_one_pass_until_released(store: Store) -> None:
    ids = feed_ids(store)
    started = utcnow()
    first = store.claim_feeds(ids, "a", pass_started=started, lease=LEASE)
    assert sorted(first) == ids
    assert store.claim_feeds(ids, "b", pass_started=started, lease=LEASE) == {}
    # the owner may claim again (a retried task); a state comes back with each claim
    again = store.claim_feeds(ids[:1], "a", pass_started=started, lease=LEASE)
    assert again[ids[0]].url == "https://f0.example/rss"
    store.release_claims(ids[:1], "b")  # not b's to release
    assert store.claim_feeds(ids, "b", pass_started=started, lease=LEASE) == {}
    store.release_claims(ids[:1], "a")
    assert list(store.claim_feeds(ids, "b", pass_started=started, lease=LEASE)) == ids[:1]
    assert store.feeds.claim_holders() == {"f0": "b", "f1": "a", "f2": "a"}


def test_a_claim_hands_back_the_feeds_its_pass_finished(store: Store) -> None:
    """One write per feed instead of two: a pass gives back what it finished as it claims the
    next, and never another pass's claim."""
    ids = feed_ids(store)
    started = utcnow()
    store.claim_feeds(ids[:1], "a", pass_started=started, lease=LEASE)
    store.claim_feeds(ids[1:2], "b", pass_started=started, lease=LEASE)
    got = store.claim_feeds(ids[2:], "a", pass_started=started, lease=LEASE, release=ids[:2])
    assert list(got) == ids[2:]
    assert store.feeds.claim_holders() == {"f1": "b", "f2": "a"}
    # nothing left to claim: the claims still go back
    assert store.claim_feeds([], "a", pass_started=started, lease=LEASE, release=ids[2:]) == {}
    assert store.feeds.claim_holders() == {"f1": "b"}


def test_a_feed_fetched_since_the_pass_began_is_done_for_that_pass(store: Store) -> None:
    ids = feed_ids(store)
    started = utcnow()
    store.claim_feeds(ids, "a", pass_started=started, lease=LEASE)
    store.record_feed_success(ids[0], entries=1, etag=None, last_modified=None, next_check_at=None)
    store.record_feed_failure(ids[1], "HTTP 500", next_check_at=None)
    store.release_claims(ids, "a")
    # b began with a: a's feeds are done for it, fetched or failed; the untouched one is not
    assert list(store.claim_feeds(ids, "b", pass_started=started, lease=LEASE)) == [ids[2]]
    # a later pass fetches them all again
    later = utcnow()
    store.release_claims(ids, "b")
    assert sorted(store.claim_feeds(ids, "c", pass_started=later, lease=LEASE)) == ids


def test_a_feed_not_due_is_claimed_only_when_forced(store: Store) -> None:
    ids = feed_ids(store, 2)
    store.record_feed_success(
        ids[0],
        entries=0,
        etag=None,
        last_modified=None,
        next_check_at=utcnow() + timedelta(hours=1),
    )
    started = utcnow()
    assert list(store.claim_feeds(ids, "a", pass_started=started, lease=LEASE)) == [ids[1]]
    assert list(store.claim_feeds(ids, "b", pass_started=started, lease=LEASE, force=True)) == [
        ids[0]
    ]


def test_a_crashed_pass_s_claims_lapse_and_renewal_keeps_them(store: Store) -> None:
    ids = feed_ids(store, 2)
    started = utcnow()
    now = utcnow()
    # a lease that is over as soon as it is taken (leases are judged in the database's clock,
    # which a test cannot move; `now` only says what is due)
    store.claim_feeds(ids, "crashed", pass_started=started, lease=timedelta(0), now=now)
    assert store.renew_claims(ids[1:], "crashed", LEASE) == 1  # renewed: holds on
    assert store.renew_claims(ids, "someone-else", LEASE) == 0
    later = now + timedelta(minutes=1)
    got = store.claim_feeds(ids, "b", pass_started=started, lease=LEASE, now=later)
    assert list(got) == [ids[0]]  # the lapsed claim is taken over, the renewed one is not
