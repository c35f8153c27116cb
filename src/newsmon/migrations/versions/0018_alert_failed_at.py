"""Alerts: when one gave up (`failed_at`), so `newsmon health` and the operations channel report
alerts that failed recently: after a Slack outage outlasting every retry they ended `failed`,
the next pass found nothing pending and health turned green while those stories were never
posted. Alerts failed before this revision keep no time (NULL) and are not reported.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("failed_at")
