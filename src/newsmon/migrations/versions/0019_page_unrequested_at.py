"""Articles: when a page due and never requested was given up (`page_unrequested_at`). A page
its feed's page budget defers pass after pass is given up a day after it fell due with no try
counted, so health's `pages_unread` (teasers whose page was tried and given up) left it out: a
budget too small for its host had every story classified on its teaser with health green.
Pages given up before this revision keep no time (NULL) and are not counted.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("page_unrequested_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("page_unrequested_at")
