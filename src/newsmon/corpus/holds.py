"""Why an alert or a thread reply was held back (`skipped`): a typed reason stored beside its
note (`hold_reason`, migration 0023). Decisions (health's `alerts_off`, `newsmon alerts
--reason`) read the reason; the note (`last_error`) is for people and may be reworded.

No database code here, as in `newsmon.corpus.records`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from newsmon.corpus.records import AlertStatus


class HoldReason(StrEnum):
    """Why a row is `skipped`. Rows held back before migration 0023 under a note it did not
    know keep none (NULL), as do rows an older release's pass holds back after it ran: those
    are read by their note (`former_reason`)."""

    TOO_OLD = "too_old"  # older than alerts.max_age_hours when first seen, or when re-queued
    ALERTS_OFF = "alerts_off"  # alerts.enabled false when its story was first seen
    LATE_COPY = "late_copy"  # its story is announced in its channel by another alert
    RULES_CHANGED = "rules_changed"  # a backfill found the topic rules no longer match it
    BACKFILL = "backfill"  # stored by a backfill without --alerts
    NOT_POSTED = "not_posted"  # a thread reply whose alert was not posted (failed, held back)
    THREAD_GONE = "thread_gone"  # a thread reply whose alert's Slack message takes no more
    EDITED_AWAY = "edited_away"  # its story's edit took away every topic it was queued for
    REPLACED = "replaced"  # its link serves another story now (`corpus.set_aside`): for good


@dataclass(frozen=True)
class Hold:
    """A row held back: why (for decisions) and the note saying it (for people)."""

    reason: HoldReason
    note: str


# The notes the pipeline writes with each reason (a reason's note may carry numbers).
ALERTS_OFF_NOTE = "alerts disabled in config"
LATE_COPY_NOTE = "its story is announced in this channel by another alert (a page read late)"
RULES_CHANGED_NOTE = "the topic rules no longer match"
BACKFILL_NOTE = "backfilled without --alerts"
NOT_POSTED_NOTE = "the story's alert was not posted"
EDITED_AWAY_NOTE = "an edit of the story took away every topic it was queued for"
REPLACED_NOTE = "its link now serves another story of its feed (the story is set aside)"

# The notes releases before migration 0023 wrote, each with the reason it names (SQL LIKE
# patterns, as 0023 read them). Frozen: an older release's pass still running after the upgrade
# holds rows back under these notes and no reason, and they are read by them.
FORMER_NOTES: dict[HoldReason, tuple[str, ...]] = {
    HoldReason.ALERTS_OFF: ("alerts disabled in config",),
    HoldReason.TOO_OLD: ("older than % h when first seen", "older than % h when re-queued"),
    HoldReason.LATE_COPY: (
        "its story is announced in this channel by another alert (a page read late)",
    ),
    HoldReason.RULES_CHANGED: ("the topic rules no longer match",),
    HoldReason.BACKFILL: ("backfilled without --alerts",),
    HoldReason.NOT_POSTED: ("the story's alert was not posted",),
}
_FORMER = [
    (re.compile(".*".join(map(re.escape, pattern.split("%"))), re.S), reason)
    for reason, patterns in FORMER_NOTES.items()
    for pattern in patterns
]


def revivable(status: AlertStatus, reason: HoldReason | None) -> bool:
    """Whether a row may be queued again as a held-back one (a backfill with alerts): not one
    whose link serves another story now (`REPLACED`): posted, it would announce that one."""
    return status == AlertStatus.SKIPPED and reason is not HoldReason.REPLACED


def held_because(reason: HoldReason | None, note: str | None, skipped: bool) -> HoldReason | None:
    """A row's reason: its own, else (held back) the one its note named for an older release."""
    if reason is not None or note is None or not skipped:
        return reason
    return next((r for pattern, r in _FORMER if pattern.fullmatch(note)), None)
