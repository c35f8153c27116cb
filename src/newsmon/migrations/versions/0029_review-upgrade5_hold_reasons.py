"""Alerts and thread replies held back for reasons the release of 0027 does not know
(`edited_away`: an edit took away every topic the alert was queued for; `replaced`: its link
serves another story now). No column changes: this revision marks a corpus holding them, so that
release refuses it in one line ("upgraded by a newer newsmon?") instead of failing to read them
(`HoldReason('replaced')`: a traceback on `newsmon alerts`). Walking down gives those rows no
reason, their note kept (read by it, as rows held back before 0023); walking up again gives
them back their reason from that note.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-16
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

# The reasons added after 0027, each with the note written with it (frozen copies of
# `newsmon.corpus.holds`: tests/unit/test_migrations.py checks they are the live ones).
NOTES = {
    "edited_away": "an edit of the story took away every topic it was queued for",
    "replaced": "its link now serves another story of its feed (the story is set aside)",
}
_TABLES = ("alerts", "alert_replies")


def _table(name: str) -> sa.TableClause:
    return sa.table(
        name,
        sa.column("status", sa.String),
        sa.column("last_error", sa.Text),
        sa.column("hold_reason", sa.String),
    )


def upgrade() -> None:
    for name in _TABLES:
        rows = _table(name)
        for reason, note in NOTES.items():
            op.execute(
                rows.update()
                .where(
                    rows.c.status == "skipped",
                    rows.c.hold_reason.is_(None),
                    rows.c.last_error == note,
                )
                .values(hold_reason=reason)
            )


def downgrade() -> None:
    for name in _TABLES:
        rows = _table(name)
        op.execute(
            rows.update().where(rows.c.hold_reason.in_(list(NOTES))).values(hold_reason=None)
        )
