"""A stored story moved off the key a newer story of its feed now has (its CMS reused the
story's link or GUID, `newsmon.story_reuse`): kept whole under a key of its own, so the new
story is stored and announced under the key, and later passes find each where it belongs."""

from __future__ import annotations

from sqlalchemy import func, select, update

from newsmon.corpus.engine import Database
from newsmon.corpus.holds import REPLACED_NOTE, HoldReason
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow, ArticleRow
from newsmon.corpus.url_keys import stored_key
from newsmon.story_reuse import OPENING_CHARS

# an item's anchor as `entry_keys.ITEM_ANCHOR` names them, then what it is
SET_ASIDE = "item-replaced"
# a set-aside story's alerts held back for good: waiting, or held back (and revivable)
_NOT_POSTED = (AlertStatus.PENDING, AlertStatus.SKIPPED)


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


def set_aside(db: Database, article_id: int, feed_id: int, key: str) -> bool:
    """Move feed `feed_id`'s story `article_id` off `key` (to `set_aside_key`), when stored
    under it (not under a key an earlier newsmon gave it); its page is not retried (the link
    serves the newer story now). Its alerts still waiting, or held back (alerts off, ...), are
    held back for good (`REPLACED`, which `backfill --alerts` does not queue again): posted,
    their headline would link to a page showing the newer story, which has its own alert
    (before, both went out). False when the story is not the feed's any more."""
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
        s.execute(
            update(AlertRow)
            .where(AlertRow.article_id == article_id, AlertRow.status.in_(_NOT_POSTED))
            .values(
                status=AlertStatus.SKIPPED,
                hold_reason=HoldReason.REPLACED,
                last_error=REPLACED_NOTE,
            )
        )
        return True
