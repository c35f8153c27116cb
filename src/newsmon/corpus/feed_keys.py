"""Rows an earlier newsmon stored with a keyed feed's credentials in them: the links, GUIDs and
keys of the feed's stories (a private feed writing the reader's `?apikey=` into every item's
link), their sightings and pending thread replies. `newsmon articles`, alerts and replies showed
them. A pass of the feed rewrites them as a pass now stores them (`urls.without_keys_of`); the
rewrite finds nothing the second time, so it is safe to run every pass."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import QueryableAttribute

from newsmon.corpus.engine import Database
from newsmon.corpus.schema import ArticleRow, ReplyRow, SightingRow
from newsmon.corpus.url_keys import stored_key
from newsmon.urls import canonical_url, credentials_of, without_keys_of


def _holding(secrets: frozenset[str], *columns: QueryableAttribute[Any]) -> ColumnElement[bool]:
    return or_(*(c.contains(v, autoescape=True) for v in secrets for c in columns))


def forget_feed_keys(db: Database, feed_id: int, feed_url: str) -> int:
    """Rewrite the rows of feed `feed_id` that hold a credential of its `feed_url`; how many.
    A story's key follows its link, unless another row has that key already (then only its
    shown texts lose the credential). A conflicting writer's rows are left for the next pass.

    Each story is rewritten in a transaction of its own: a changed key locks the row against
    a copy pointing at it (`FOR UPDATE`), and one transaction holding a story while it waited
    on another pass's new key (a copy of that story, stored under the key the next row was
    given) deadlocked with that pass, and PostgreSQL aborted one of them."""
    secrets = credentials_of(feed_url)
    if not secrets:
        return 0

    def clean(text: str) -> str:
        return without_keys_of(text, feed_url)

    columns = (ArticleRow.url, ArticleRow.long_url, ArticleRow.guid, ArticleRow.canonical_url)
    with db.session() as s:
        ids = list(
            s.scalars(
                select(ArticleRow.id)
                .where(ArticleRow.feed_id == feed_id, _holding(secrets, *columns))
                .order_by(ArticleRow.id)
            )
        )
    done = sum(_forget_article(db, article_id, secrets, clean) for article_id in ids)
    try:
        with db.session() as s:
            db.lock_writes(s)
            sightings = s.scalars(
                select(SightingRow).where(
                    SightingRow.feed_id == feed_id, _holding(secrets, SightingRow.url)
                )
            ).all()
            for seen in sightings:
                twin = s.scalar(
                    select(SightingRow.id).where(
                        SightingRow.article_id == seen.article_id,
                        SightingRow.feed_id == feed_id,
                        SightingRow.url == clean(seen.url),
                    )
                )
                if twin is None:
                    seen.url = clean(seen.url)
                else:
                    s.execute(delete(SightingRow).where(SightingRow.id == seen.id))
                s.flush()
            replies = s.scalars(select(ReplyRow).where(_holding(secrets, ReplyRow.url))).all()
            for reply in replies:
                reply.url = clean(reply.url)
            return done + len(sightings) + len(replies)
    except IntegrityError:  # another pass wrote one of these sightings meanwhile: next pass
        return done


def _forget_article(
    db: Database, article_id: int, secrets: frozenset[str], clean: Callable[[str], str]
) -> int:
    """Rewrite one story without the feed's credentials; 1 when it did. A key another pass
    stored meanwhile makes the second try keep the key and clean the shown texts only."""
    for _ in range(2):
        try:
            with db.session() as s:
                db.lock_writes(s)
                row = s.get(ArticleRow, article_id)
                texts = (row.url, row.long_url, row.guid, row.canonical_url) if row else ()
                if row is None or not any(t and v in t for t in texts for v in secrets):
                    return 0
                link = row.long_url or row.url
                own_key = row.canonical_url == stored_key(canonical_url(link))
                key = (
                    stored_key(canonical_url(clean(link))) if own_key else clean(row.canonical_url)
                )
                taken = s.scalar(select(ArticleRow.id).where(ArticleRow.canonical_url == key))
                if taken is None or taken == row.id:
                    row.canonical_url = key
                row.url = clean(row.url)
                row.long_url = clean(row.long_url) if row.long_url else row.long_url
                row.guid = clean(row.guid) if row.guid else row.guid
                s.flush()
                return 1
        except IntegrityError:  # its key was stored by another pass meanwhile: look again
            continue
    return 0
