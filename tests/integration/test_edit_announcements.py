"""An edit (or a page read at last) announces a story only in channels it has not been
announced in, with the meaning `Outbox.enqueue_alert` gives it: the webhook has one channel,
so a post through it announced the story for the bot's channels too (and back)."""

from __future__ import annotations

import pytest

from newsmon.corpus import Store
from newsmon.corpus.records import WEBHOOK_CHANNEL, NewArticle, StoredMatch
from tests.support.articles import new_article

MATCH = StoredMatch(
    "policy", 4, [{"term": "FTC", "field": "title", "position": 0, "count": 1}], "FTC…"
)
STORY = " ".join(f"The regulator published rule {i} on model weights today." for i in range(12))


def _page(text: str) -> NewArticle:
    return new_article("https://a.example/1", text, signed=True)


@pytest.mark.parametrize(
    ("before", "after"), [(WEBHOOK_CHANNEL, "#policy"), ("#policy", WEBHOOK_CHANNEL)]
)
def test_an_edit_does_not_announce_again_a_story_posted_through_the_other_sender(
    db_url: str, before: str, after: str
) -> None:
    store = Store.open(db_url)
    try:
        first = store.add_article(_page(STORY), [MATCH], "v1", {before: ["policy"]})
        assert first.alerts_queued == 1
        # the configuration moved from the webhook to the bot (or back); the publisher edits
        edited = store.update_article(
            first.id, _page(STORY + " Updated."), [MATCH], "v1", alerts={after: ["policy"]}
        )
        assert edited.changed is True
        assert edited.alerts_queued == 0
        assert [a.channel for a in store.pending_alerts(10)] == [before]
        # as a backfill with alerts decides
        assert store.enqueue_alert(first.id, after, ["policy"]) is False
    finally:
        store.close()


OPEN = StoredMatch(
    "open-source", 3, [{"term": "weights", "field": "text", "position": 0, "count": 1}], "weights…"
)


def test_an_edit_adding_a_topic_before_the_alert_is_sent_posts_it_with_both_topics(
    db_url: str,
) -> None:
    """Before: the story's alert, still waiting (Slack down, or the next delivery), kept the
    topics queued before the edit: the one message posted named "policy" only, and the edit's
    "open-source" in the same channel was never said (the waiting alert counted as the story's)."""
    store = Store.open(db_url)
    try:
        first = store.add_article(_page(STORY), [MATCH], "v1", {"#news": ["policy"]})
        edited = store.update_article(
            first.id,
            _page(STORY + " The weights are released."),
            [MATCH, OPEN],
            "v1",
            alerts={"#news": ["open-source", "policy"]},
        )
        assert (edited.changed, edited.alerts_queued) == (True, 0)
        [job] = store.pending_alerts(10)
        assert (job.channel, job.topics) == ("#news", ["open-source", "policy"])
        assert sorted(m.topic for m in job.matches) == ["open-source", "policy"]
    finally:
        store.close()
