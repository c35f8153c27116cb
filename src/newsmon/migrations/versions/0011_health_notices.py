"""Health notices: problems of `newsmon health` announced in the operations channel
(`slack.ops_channel`) once when they appear and once when they are gone, and the messages that
announce them, claimed and posted like alerts.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "health_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("fallback", sa.Text(), nullable=False),
        sa.Column("thread_of", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("slack_ts", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=40), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("post_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["thread_of"], ["health_notices.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_health_notices_status", "health_notices", ["status"], unique=False)
    op.create_table(
        "health_problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("open_key", sa.String(length=300), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("message", sa.String(length=2000), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("open_notice_id", sa.Integer(), nullable=True),
        sa.Column("resolve_notice_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["open_notice_id"], ["health_notices.id"]),
        sa.ForeignKeyConstraint(["resolve_notice_id"], ["health_notices.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_key", name="uq_health_problems_open_key"),
    )


def downgrade() -> None:
    op.drop_table("health_problems")
    op.drop_index("ix_health_notices_status", table_name="health_notices")
    op.drop_table("health_notices")
