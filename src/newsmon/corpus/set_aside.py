"""A stored story moved off the key a newer story of its feed now has (its CMS reused the
story's link or GUID, `newsmon.story_reuse`): kept whole under a key of its own, so the new
story is stored and announced under the key, and later passes find each where it belongs."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from newsmon.corpus.cluster_queries import story_members
from newsmon.corpus.engine import Database
from newsmon.corpus.holds import REPLACED_NOTE, HoldReason
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow, ArticleRow, ReplyRow
from newsmon.corpus.url_keys import stored_key
from newsmon.story_reuse import OPENING_CHARS
from newsmon.urls import clean_url

# an item's anchor as `entry_keys.ITEM_ANCHOR` names them, then what it is
SET_ASIDE = "item-replaced"
# a set-aside story's alerts not posted: waiting, held back (maybe revivable), or failed (an
# operator's `alerts retry --failed` re-queues those)
_NOT_POSTED = (AlertStatus.PENDING, AlertStatus.SKIPPED, AlertStatus.FAILED)
# replies not posted, and not dropped for good on their own
_REPLY_NOT_POSTED = (AlertStatus.PENDING, AlertStatus.SKIPPED, AlertStatus.FAILED)
# a story's copies looked at for one that still opens it: a story has a handful
_MAX_COPIES = 50
_REPLACED = {
    "status": AlertStatus.SKIPPED,
    "hold_reason": HoldReason.REPLACED,
    "last_error": REPLACED_NOTE,
    "next_attempt_at": None,
    "failed_at": None,
}


def set_aside_key(key: str) -> str:
    """The key a story set aside from `key` has: one anchor more. Entries told apart under
    `key` later (both stories listed at once) look for it (`entry_keys.known_articles`)."""
    return f"{key}{'-' if '#' in key else '#'}{SET_ASIDE}"


def stored_words(db: Database, ids: list[int]) -> dict[int, tuple[str | None, str]]:
    """Stored stories' titles and the openings of their texts, by id."""
    if not ids:
        return {}
    opening = func.substr(ArticleRow.text, 1, OPENING_CHARS)
    with db.session() as s:
        rows = s.execute(
            select(ArticleRow.id, ArticleRow.title, opening).where(ArticleRow.id.in_(ids))
        )
        return {row[0]: (row[1], row[2] or "") for row in rows}


def is_set_aside(article: ArticleRow) -> bool:
    """Whether the article was moved off its key (`set_aside`): its own link opens another
    story now. A key too long to keep its anchor (stored hashed) is never moved so."""
    return SET_ASIDE in article.canonical_url.rpartition("#")[2]


def standing_copy(s: Session, article: ArticleRow) -> ArticleRow | None:
    """For a set-aside article, the first other copy of its story (another outlet's, or its
    feed's under another link) whose link still opens the story: its alerts link that one. None
    for any other article, or with no such copy."""
    if not is_set_aside(article):
        return None
    head = article.duplicate_of_id or article.id
    copies = s.scalars(
        select(ArticleRow)
        .where(ArticleRow.id.in_(story_members(head)), ArticleRow.id != article.id)
        .order_by(ArticleRow.id)
        .limit(_MAX_COPIES)
    )
    return next((c for c in copies if c.link != article.link and not is_set_aside(c)), None)


def set_aside(db: Database, article_id: int, feed_id: int, key: str) -> bool:
    """Move feed `feed_id`'s story `article_id` off `key` (to `set_aside_key`), when stored
    under it (not under a key an earlier newsmon gave it); its page is not retried (the link
    serves the newer story now).

    Its alerts not posted (waiting, held back, failed) stay as they are when another copy of
    its story still opens it (`standing_copy`): they link that copy (the story was never
    announced otherwise). Without one they are held back for good (`REPLACED`, which neither
    `backfill --alerts` nor `alerts retry --failed` queues again): posted, their headline would
    link to a page showing the newer story, which has its own alert. Replies not posted that
    name its link ("also reported by") are held back so too. False when the story is not the
    feed's any more."""
    with db.session() as s:
        db.lock_writes(s)
        row = s.get(ArticleRow, article_id)
        if row is None or row.feed_id != feed_id:
            return False
        if row.canonical_url == stored_key(key):
            aside = stored_key(set_aside_key(key))
            if s.scalar(select(ArticleRow.id).where(ArticleRow.canonical_url == aside)):
                aside = stored_key(f"{set_aside_key(key)}-{article_id}")  # a third story
            row.canonical_url = aside
        row.page_retry_at = None
        _hold_replies(s, row)
        if standing_copy(s, row) is None:
            s.execute(
                update(AlertRow)
                .where(AlertRow.article_id == article_id, AlertRow.status.in_(_NOT_POSTED))
                .values(**_REPLACED)
            )
        return True


def _hold_replies(s: Session, row: ArticleRow) -> None:
    """Hold back for good the replies of its story not posted that name its link: posted,
    "also reported by" would open the newer story."""
    alerts = select(AlertRow.id).where(
        AlertRow.article_id.in_(story_members(row.duplicate_of_id or row.id))
    )
    s.execute(
        update(ReplyRow)
        .where(
            ReplyRow.alert_id.in_(alerts),
            ReplyRow.url == clean_url(row.link),
            ReplyRow.status.in_(_REPLY_NOT_POSTED),
        )
        .values(**_REPLACED)
        .execution_options(synchronize_session=False)
    )
