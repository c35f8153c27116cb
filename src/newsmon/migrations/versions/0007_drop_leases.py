"""Drop the named-lease table: nothing takes a lease any more.

`leases` (0006) was for one pass delivering alerts at a time; delivery claims each outbox row
instead (the `claimed_by`/`lease_until` columns of 0005), so no code reads or writes the table.
The downgrade recreates it as 0006 did, empty (a free lease and a missing row mean the same).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("leases")


def downgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
