"""Alerts and thread replies: why each was held back (`hold_reason`), a typed reason beside the
note (`last_error`). Health told the alerts held back while alerts were off from the others by
their note's wording: a reworded note counted none. Rows held back before are given the reason
their note names; a note not known here leaves NULL.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# The notes written before this revision, and the reason each names (LIKE patterns).
_ALERT_NOTES = {
    "alerts disabled in config": "alerts_off",
    "older than % h when first seen": "too_old",
    "older than % h when re-queued": "too_old",
    "its story is announced in this channel by another alert (a page read late)": "late_copy",
    "the topic rules no longer match": "rules_changed",
    "backfilled without --alerts": "backfill",
}
_NOT_POSTED = "the story's alert was not posted"


def upgrade() -> None:
    for table in ("alerts", "alert_replies"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("hold_reason", sa.String(length=16), nullable=True))
    alerts = sa.table(
        "alerts",
        sa.column("id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("last_error", sa.Text),
        sa.column("hold_reason", sa.String),
        sa.column("thread_gone", sa.Text),
    )
    replies = sa.table(
        "alert_replies",
        sa.column("alert_id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("last_error", sa.Text),
        sa.column("hold_reason", sa.String),
    )
    for note, reason in _ALERT_NOTES.items():
        op.execute(
            alerts.update()
            .where(alerts.c.status == "skipped", alerts.c.last_error.like(note))
            .values(hold_reason=reason)
        )
    skipped = replies.c.status == "skipped"
    op.execute(
        replies.update()
        .where(skipped, replies.c.last_error == _NOT_POSTED)
        .values(hold_reason="not_posted")
    )
    gone = sa.select(alerts.c.id).where(alerts.c.thread_gone.is_not(None))
    op.execute(
        replies.update()
        .where(skipped, replies.c.hold_reason.is_(None), replies.c.alert_id.in_(gone))
        .values(hold_reason="thread_gone")
    )


def downgrade() -> None:
    for table in ("alert_replies", "alerts"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("hold_reason")
