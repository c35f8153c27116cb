"""Thread replies: when one gave up (`failed_at`), as alerts keep since 0018: a reply that
outlasted its tries in a Slack outage ended `failed` silently, `newsmon health` stayed green and
`newsmon alerts retry --failed` did not bring it back, while the story's thread never named the
source. Replies failed before this revision keep no time (NULL) and are not reported.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_replies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert_replies", schema=None) as batch_op:
        batch_op.drop_column("failed_at")
