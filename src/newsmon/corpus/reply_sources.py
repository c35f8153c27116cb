"""Which sources a story's thread names when it is announced late: a copy stored now, and the
sources that carried the story before its alert existed (its other articles, and the pages
seen through other feeds: sightings). Without them, a source that carried the story before the
announcement was named nowhere: a reply is queued only when a copy or sighting comes after it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsmon.corpus.cluster_queries import story_members
from newsmon.corpus.replies import insert_replies, reply_rows
from newsmon.corpus.schema import ArticleRow, SightingRow


def copy_replies(s: Session, postgres: bool, copy: ArticleRow, *, speaks: bool) -> int:
    """A copy of a story stored (the caller's transaction): its source named in the threads of
    the story's alerts. One that speaks for its story (its first article matched no topic, a
    teaser) queued those alerts: the sources that carried the story before it are named there
    too (`earlier_replies`). How many replies were queued."""
    queued = insert_replies(s, postgres, reply_rows(s, copy.id, copy.feed_id, copy.url))
    if not speaks:
        return queued
    return queued + earlier_replies(s, postgres, copy.duplicate_of_id or copy.id, copy.id)


def earlier_replies(s: Session, postgres: bool, head_id: int, speaker: int | None = None) -> int:
    """The story of `head_id` was just announced (alerts queued in the caller's transaction):
    name in its threads every source that carried it before — its articles but `speaker`, and
    the pages of them seen through other feeds (before, sightings were named nowhere) — in the
    order they were seen. The announcing source itself is left out (`reply_rows`). How many."""
    members = story_members(head_id)
    articles = s.execute(
        select(ArticleRow.first_seen_at, ArticleRow.id, ArticleRow.feed_id, ArticleRow.url)
        .where(ArticleRow.id.in_(members), ArticleRow.id != (speaker or -1))
        .order_by(ArticleRow.id)
    ).all()
    seen = s.execute(
        select(SightingRow.seen_at, SightingRow.article_id, SightingRow.feed_id, SightingRow.url)
        .where(SightingRow.article_id.in_(members), SightingRow.feed_id.is_not(None))
        .order_by(SightingRow.id)
    ).all()
    carried = sorted([*articles, *seen], key=lambda r: r[0])  # stable: ids break ties
    return sum(insert_replies(s, postgres, reply_rows(s, a, f, url)) for _, a, f, url in carried)
