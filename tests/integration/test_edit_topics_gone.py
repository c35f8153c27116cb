"""An edit that takes a story's topics away (the publisher corrected "open source" to "source
available", or put another story under the same URL): its alert still waiting is held back
(`edited_away`), never posted naming topics the story no longer has; an alert already sent is
left as it is (no retraction). A later edit giving the topics back announces it, once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from newsmon.corpus import Store
from newsmon.corpus.holds import HoldReason
from newsmon.corpus.records import AlertStatus, NewArticle, StoredMatch
from tests.integration.test_edit_undated import _edited, _recent
from tests.integration.test_retry_page_dates import _dated_page
from tests.support.articles import new_article

POLICY = StoredMatch(
    "policy", 4, [{"term": "FTC", "field": "title", "position": 0, "count": 1}], "FTC…"
)
OPEN = StoredMatch(
    "open-source", 3, [{"term": "weights", "field": "text", "position": 0, "count": 1}], "weights…"
)
STORY = " ".join(f"The lab released model {i} weights as open source today." for i in range(12))
CORRECTED = STORY.replace("as open source", "under a source-available licence")


def _page(text: str) -> NewArticle:
    return new_article("https://a.example/1", text, signed=True)


def test_an_edit_removing_every_topic_holds_the_waiting_alert_back(db_url: str) -> None:
    """Before: the alert still waiting was posted announcing "open-source" for a story whose
    publisher had corrected it to "source available"."""
    store = Store.open(db_url)
    try:
        first = store.add_article(_page(STORY), [OPEN], "v1", {"#oss": ["open-source"]})
        assert first.alerts_queued == 1
        edited = store.update_article(first.id, _page(CORRECTED), [], "v1", alerts={})
        assert (edited.changed, edited.alerts_queued) == (True, 0)
        assert store.pending_alerts(10) == []
        [alert] = store.list_alerts()
        assert (alert.status, alert.hold_reason) == (AlertStatus.SKIPPED, HoldReason.EDITED_AWAY)
        assert [a.id for a in store.list_alerts(reason=HoldReason.EDITED_AWAY)] == [alert.id]
    finally:
        store.close()


def test_an_edit_removing_the_topics_of_one_channel_holds_only_its_alert(db_url: str) -> None:
    """Before: the alert in #oss, whose only topic the edit removed, was posted; the story
    still matches "policy" in #policy, which is posted."""
    store = Store.open(db_url)
    try:
        queued = {"#oss": ["open-source"], "#policy": ["policy"]}
        first = store.add_article(_page(STORY), [OPEN, POLICY], "v1", queued)
        assert first.alerts_queued == 2
        store.update_article(
            first.id, _page(CORRECTED), [POLICY], "v1", alerts={"#policy": ["policy"]}
        )
        assert [(j.channel, j.topics) for j in store.pending_alerts(10)] == [
            ("#policy", ["policy"])
        ]
        held = store.list_alerts(reason=HoldReason.EDITED_AWAY)
        assert [a.channel for a in held] == ["#oss"]
    finally:
        store.close()


def test_an_edit_giving_the_topics_back_announces_the_story_once(db_url: str) -> None:
    """An edit that took the topic away and one that puts it back: the story is announced
    once, in its channel (the held-back alert is queued again, no second row)."""
    store = Store.open(db_url)
    try:
        first = store.add_article(_page(STORY), [OPEN], "v1", {"#oss": ["open-source"]})
        store.update_article(first.id, _page(CORRECTED), [], "v1", alerts={})
        back = store.update_article(
            first.id, _page(STORY + " Updated."), [OPEN], "v1", alerts={"#oss": ["open-source"]}
        )
        assert back.alerts_queued == 1
        assert [(j.channel, j.topics) for j in store.pending_alerts(10)] == [
            ("#oss", ["open-source"])
        ]
        assert len(store.list_alerts()) == 1
    finally:
        store.close()


def test_an_edit_removing_the_topics_of_a_sent_alert_posts_nothing(db_url: str) -> None:
    """No retraction: the message stays in Slack as it was posted, and nothing new is queued."""
    store = Store.open(db_url)
    try:
        first = store.add_article(_page(STORY), [OPEN], "v1", {"#oss": ["open-source"]})
        claim = store.new_claim(timedelta(minutes=5))
        [job] = store.outbox.claim_alerts(claim, 10)
        assert store.outbox.alert_sent(claim, job.id, destination="#oss", slack_ts="1.0")
        edited = store.update_article(first.id, _page(CORRECTED), [], "v1", alerts={})
        assert (edited.changed, edited.alerts_queued) == (True, 0)
        [alert] = store.list_alerts()
        assert (alert.status, alert.hold_reason) == (AlertStatus.SENT, None)
    finally:
        store.close()


def test_an_edit_keeps_waiting_an_alert_of_a_channel_no_longer_configured(db_url: str) -> None:
    """The configuration moved "open-source" from #oss to #open, and the edit takes "policy"
    away: the alert waiting in #oss (queued before the move) still goes out, never lost, but
    names only the topic the story keeps (before: "policy" too); #open has its own, once."""
    store = Store.open(db_url)
    try:
        queued = {"#oss": ["open-source", "policy"]}
        first = store.add_article(_page(STORY), [OPEN, POLICY], "v1", queued)
        store.update_article(
            first.id, _page(STORY + " Updated."), [OPEN], "v1", alerts={"#open": ["open-source"]}
        )
        jobs = [(j.channel, j.topics) for j in store.pending_alerts(10)]
        assert jobs == [("#oss", ["open-source"]), ("#open", ["open-source"])]
    finally:
        store.close()


def test_a_pass_reading_an_edit_that_removes_the_topic_holds_the_alert_back(
    tmp_path: Path, db_url: str
) -> None:
    """Through a pass: the feed's entry is edited and its page no longer names the FTC."""
    first = _dated_page(_recent())
    edit = first.replace("The FTC said.", "The board said.")
    assert _edited(tmp_path, db_url, first, edit) == [("skipped", "edited_away")]


def test_two_workers_applying_one_edit_have_one_effect(db_url: str) -> None:
    """Two overlapping passes (two processes' stores) read the same edit at once: the story's
    topic is taken away from one alert and given to another channel, once (one alert queued,
    one held back), whichever applies it first; the other finds nothing to change."""
    stores = [Store.open(db_url), Store.open(db_url)]
    try:
        first = stores[0].add_article(_page(STORY), [OPEN], "v1", {"#oss": ["open-source"]})
        start = threading.Barrier(2)

        def apply(store: Store) -> tuple[bool, int]:
            start.wait(timeout=10)
            edited = store.update_article(
                first.id, _page(CORRECTED), [POLICY], "v1", alerts={"#policy": ["policy"]}
            )
            return edited.changed, edited.alerts_queued

        with ThreadPoolExecutor(2) as pool:
            results = sorted(pool.map(apply, stores))
        assert results == [(False, 0), (True, 1)]
        alerts = sorted((a.channel, a.status, a.hold_reason) for a in stores[0].list_alerts())
        assert alerts == [
            ("#oss", AlertStatus.SKIPPED, HoldReason.EDITED_AWAY),
            ("#policy", AlertStatus.PENDING, None),
        ]
    finally:
        for store in stores:
            store.close()


def test_topics_given_back_in_a_channel_now_spelled_by_its_id_revive_its_alert(
    db_url: str,
) -> None:
    """Held back in `#oss`, whose ID Slack answered `C0OSS`; the configuration names the ID
    now: the held alert is queued again (one post in that channel), not a second one."""
    store = Store.open(db_url)
    try:
        first = store.add_article(_page(STORY), [OPEN], "v1", {"#oss": ["open-source"]})
        store.outbox.set_channel_state("#oss", slack_id="C0OSS")
        store.update_article(first.id, _page(CORRECTED), [], "v1", alerts={})
        back = store.update_article(
            first.id, _page(STORY + " Updated."), [OPEN], "v1", alerts={"C0OSS": ["open-source"]}
        )
        assert back.alerts_queued == 1
        assert [(j.channel, j.topics) for j in store.pending_alerts(10)] == [
            ("C0OSS", ["open-source"])  # the held row, posted where the story is routed now
        ]
        assert len(store.list_alerts()) == 1
    finally:
        store.close()
