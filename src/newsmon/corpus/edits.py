"""What an edit of a stored article changes besides its text: its alerts.

A story stored without a topic queued no alert; when its publisher's edit gives it one (the
weights are open-sourced after all), the story is announced then, once, in the channels it has
had no alert in, as a page read at last is (`Articles.recover_page`). Edits of a story
announced already post nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsmon.clock import utcnow
from newsmon.corpus.cluster_queries import story_members
from newsmon.corpus.engine import Database
from newsmon.corpus.holds import EDITED_AWAY_NOTE, Hold, HoldReason
from newsmon.corpus.outbox import alert_rows, announced_in, announcing
from newsmon.corpus.records import UNDATED, AlertStatus, DatedBy, NewArticle
from newsmon.corpus.replies import revive_replies
from newsmon.corpus.reply_sources import earlier_replies
from newsmon.corpus.schema import AlertRow, ArticleRow, MatchRow
from newsmon.corpus.spellings import spellings


@dataclass(frozen=True)
class Edited:
    """What `Articles.update_article` did: whether the title or text changed, and how many
    alerts it queued (the edit gave a silent story its first topic)."""

    changed: bool
    alerts_queued: int = 0


def announce_edit(
    db: Database,
    s: Session,
    head: ArticleRow,
    changed: NewArticle,
    alerts: Mapping[str, Sequence[str]],
    status: AlertStatus,
    hold: Hold | None,
) -> int:
    """Queue, in `s`'s transaction, the alerts of an edited story's head for the channels the
    story has had none in (under the cluster's lock: a copy joining it at once asks the same
    question); how many are pending. An undated head takes the date its edited page states
    (`learn_date`): its alerts held back for an age that date disproves are queued again
    (`revive_age_holds`), as when a page is read at last. Its alerts still waiting name the
    topics it has now (its match rows, routed as `alerts`), or are held back when it has none
    of theirs (`follow_edit`); those an earlier edit held back are queued again when an edit
    gives their topics back. A story announced so names in its thread the sources that carried it
    before (`earlier_replies`); before, an edit announcing a silent story named none of them."""
    dated = learn_date(head, changed)
    db.lock_cluster(s, head.id)
    revived = 0
    if status == AlertStatus.PENDING and alerts:
        reasons = [HoldReason.EDITED_AWAY] + ([HoldReason.TOO_OLD] if dated else [])
        revived = revive_age_holds(s, head.id, head.id, alerts, reasons)
    topics = set(s.scalars(select(MatchRow.topic).where(MatchRow.article_id == head.id)))
    follow_edit(s, head.id, alerts, topics | {t for ts in alerts.values() for t in ts})
    fresh = {ch: t for ch, t in alerts.items() if not announced_in(s, head.id, ch)}
    rows = alert_rows(head.id, fresh, status, hold)
    s.add_all(rows)
    if rows or revived:  # as a page read at last: the sources that carried it before
        s.flush()
        earlier_replies(s, db.is_postgres, head.id)
    return len(rows) + revived if status == AlertStatus.PENDING else 0


def set_body(row: ArticleRow, changed: NewArticle) -> None:
    """The body and what is computed from it follow `changed` (the caller reindexes)."""
    row.text, row.text_source = changed.text, changed.text_source
    row.extraction_note = changed.extraction_note
    row.page_textless = changed.page_textless
    row.content_hash = changed.content_hash
    row.minhash = changed.signature.values if changed.signature else None
    row.minhash_scheme = changed.signature.scheme if changed.signature else None
    row.updated_at = utcnow()


def learn_date(row: ArticleRow, changed: NewArticle) -> bool:
    """A story dated only when first seen takes the date its page states; whether it did."""
    if row.dated_by in UNDATED and changed.dated_by is DatedBy.PAGE:
        row.published_at, row.dated_by = changed.published_at, DatedBy.PAGE
        return True
    return False


def revive_age_holds(
    s: Session,
    article_id: int,
    head_id: int,
    alerts: Mapping[str, Sequence[str]],
    reasons: Collection[HoldReason] = (HoldReason.TOO_OLD,),
) -> int:
    """Queue again, in `s`'s transaction, the article's alerts held back for an age its page,
    read at last, disproves (of unknown age, or older than the limit by a date now replaced):
    a held-back alert in a channel counts as the story's (`announced_in`), and the story was
    never announced. One a channel, found however the configuration spells it now (`spellings`:
    its name then, its ID now), none where another alert announced or will announce the story
    (never a second post). Also those held back for other `reasons` (an edit took their topics
    away, and a later one gives them back). The thread replies dropped while each was held
    (`not_posted`) are queued again with it (`revive_replies`), as a retry or a backfill does:
    before, the story posted alone, naming none of the sources seen meanwhile. The caller holds
    the story's cluster lock. How many."""
    held = s.scalars(
        select(AlertRow)
        .where(
            AlertRow.article_id == article_id,
            AlertRow.status == AlertStatus.SKIPPED,
            AlertRow.hold_reason.in_(list(reasons)),
        )
        .order_by(AlertRow.id)
    ).all()
    routes = _by_spelling(s, alerts)
    revived: list[int] = []
    for row in held:
        channel = routes.get(row.channel) or routes.get(row.slack_channel or "")
        topics = alerts.get(channel or "")
        if channel is None or not topics or _announcing_otherwise(s, head_id, channel):
            continue
        if not _has_alert_in(s, article_id, channel):  # posted where the story is routed now
            row.channel = channel
        row.status, row.topics = AlertStatus.PENDING, sorted(topics)
        row.hold_reason = row.last_error = None
        s.flush()  # the next row of this channel sees this one announcing
        revived.append(row.id)
    revive_replies(s, revived)
    return len(revived)


def follow_edit(
    s: Session, article_id: int, alerts: Mapping[str, Sequence[str]], topics: set[str]
) -> None:
    """The article's alerts still waiting (`pending`, not claimed by a delivery) take the
    topics the edited story is routed to their channel with: the one message posted names
    what the story says now, not what it said when queued (an alert being sent is left as
    it is: its message may be in Slack already). One in a channel the story is not routed to
    now keeps those of its topics the story still has (`topics`; the configuration may have
    moved them: never a story lost), and is held back when it has none (`EDITED_AWAY`: the
    publisher corrected "open source" away, or put another story under the URL)."""
    routes = _by_spelling(s, alerts)
    waiting = s.scalars(
        select(AlertRow)
        .where(AlertRow.article_id == article_id, AlertRow.status == AlertStatus.PENDING)
        .with_for_update()
    )
    for row in waiting:
        channel = routes.get(row.channel)
        kept = sorted(alerts[channel] if channel is not None else set(row.topics) & topics)
        if kept:
            row.topics = kept
        else:
            row.status, row.last_error = AlertStatus.SKIPPED, EDITED_AWAY_NOTE
            row.hold_reason = HoldReason.EDITED_AWAY


def _by_spelling(s: Session, alerts: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """The channels alerts are routed to now, by each of their spellings (`spellings`): a
    story held in `#ai-policy` is the one routed to its ID `C0123` now (or the reverse)."""
    routes: dict[str, str] = {}
    for channel in alerts:
        for spelled in spellings(s, channel).every:
            routes.setdefault(spelled, channel)
        routes[channel] = channel
    return routes


def _has_alert_in(s: Session, article_id: int, channel: str) -> bool:
    query = select(AlertRow.id).where(
        AlertRow.article_id == article_id, AlertRow.channel == channel
    )
    return s.scalar(query.limit(1)) is not None


def _announcing_otherwise(s: Session, head_id: int, channel: str) -> bool:
    """Whether an alert not held back announces the story in `channel` (`announcing`)."""
    query = select(AlertRow.id).where(
        AlertRow.article_id.in_(story_members(head_id)),
        announcing(s, channel),
        AlertRow.status != AlertStatus.SKIPPED,
    )
    return s.scalar(query.limit(1)) is not None
