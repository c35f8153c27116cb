"""Alembic environment: the connection (already in its locked transaction) comes from
newsmon.migrations.upgrade, never from an ini file."""

from __future__ import annotations

from alembic import context

from newsmon.corpus.schema import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    transaction_per_migration=False,
)
# The caller's transaction is the only one: Alembic adds none of its own.
with context.begin_transaction():
    context.run_migrations()
