"""What an edit of a stored article changes besides its text: its alerts.

A story stored without a topic queued no alert; when its publisher's edit gives it one (the
weights are open-sourced after all), the story is announced then, once, in the channels it has
had no alert in, as a page read at last is (`Articles.recover_page`). Edits of a story
announced already post nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from newsmon.clock import utcnow
from newsmon.corpus.engine import Database
from newsmon.corpus.holds import Hold
from newsmon.corpus.outbox import alert_rows, announced_in
from newsmon.corpus.records import UNDATED, AlertStatus, DatedBy, NewArticle
from newsmon.corpus.schema import ArticleRow


@dataclass(frozen=True)
class Edited:
    """What `Articles.update_article` did: whether the title or text changed, and how many
    alerts it queued (the edit gave a silent story its first topic)."""

    changed: bool
    alerts_queued: int = 0


def announce_edit(
    db: Database,
    s: Session,
    head_id: int,
    alerts: Mapping[str, Sequence[str]],
    status: AlertStatus,
    hold: Hold | None,
) -> int:
    """Queue, in `s`'s transaction, the alerts of an edited story's head for the channels the
    story has had none in (under the cluster's lock: a copy joining it at once asks the same
    question); how many are pending."""
    if not alerts:
        return 0
    db.lock_cluster(s, head_id)
    fresh = {ch: t for ch, t in alerts.items() if not announced_in(s, head_id, ch)}
    rows = alert_rows(head_id, fresh, status, hold)
    s.add_all(rows)
    return len(rows) if status == AlertStatus.PENDING else 0


def set_body(row: ArticleRow, changed: NewArticle) -> None:
    """The body and what is computed from it follow `changed` (the caller reindexes)."""
    row.text, row.text_source = changed.text, changed.text_source
    row.extraction_note = changed.extraction_note
    row.content_hash = changed.content_hash
    row.minhash = changed.signature.values if changed.signature else None
    row.minhash_scheme = changed.signature.scheme if changed.signature else None
    row.updated_at = utcnow()


def learn_date(row: ArticleRow, changed: NewArticle) -> None:
    """A story dated only when first seen takes the date its page states."""
    if row.dated_by in UNDATED and changed.dated_by is DatedBy.PAGE:
        row.published_at, row.dated_by = changed.published_at, DatedBy.PAGE
