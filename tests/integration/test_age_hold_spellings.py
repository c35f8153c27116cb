"""A story held back for an age its page, read at last, disproves is announced then, in the
channel it was held in, however the configuration spells that channel now (a name then, its ID
now): once, never lost, never twice."""

from __future__ import annotations

from datetime import timedelta

from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus.holds import Hold, HoldReason
from newsmon.corpus.records import AlertStatus, DatedBy, StoredMatch
from tests.support.articles import new_article

MATCH = StoredMatch(
    "policy", 4, [{"term": "FTC", "field": "text", "position": 0, "count": 1}], "FTC…"
)
UNKNOWN_AGE = Hold(HoldReason.TOO_OLD, "of unknown age on the feed's first read")
PAGE = " ".join(f"The FTC published rule {i} on model weights today." for i in range(12))


def test_a_held_story_dated_recent_by_its_page_is_announced_in_its_channel_now_spelled_by_id(
    db_url: str,
) -> None:
    """Before: the held alert, stored for `#ai-policy`, was looked up by the exact spelling of
    the channel the retry routes to (`C0123`, the same channel): not found, not revived; and
    no new alert was queued, the held one counting as the story's in that channel. Lost."""
    store = Store.open(db_url)
    try:
        now = utcnow().replace(microsecond=0)
        teaser = new_article(
            "https://a.example/1", "The FTC opened an inquiry.", signed=True,
            published_at=now, dated_by=DatedBy.UNKNOWN,
        )  # fmt: skip
        stored = store.add_article(
            teaser, [MATCH], "v1", {"#ai-policy": ["policy"]}, AlertStatus.SKIPPED, UNKNOWN_AGE
        )
        store.outbox.set_channel_state(
            "#ai-policy", slack_id="C0123"
        )  # Slack's answer for the name
        page = new_article(
            "https://a.example/1", PAGE, signed=True,
            published_at=now - timedelta(hours=2), dated_by=DatedBy.PAGE,
        )  # fmt: skip
        recovered = store.recover_page(
            stored.id, teaser.text, page, [MATCH], "v1", {"C0123": ["policy"]}
        )
        assert recovered.replaced
        assert recovered.alerts_queued == 1
        assert [(a.article_id, a.channel) for a in store.pending_alerts(10)] == [
            (stored.id, "C0123")
        ]
        assert store.count_alerts(AlertStatus.SKIPPED) == 0
    finally:
        store.close()
