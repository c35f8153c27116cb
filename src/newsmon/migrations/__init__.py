"""Schema migrations (Alembic), run at start so an existing corpus is upgraded in place.

All pending migrations run in one transaction under a lock (see
`newsmon.corpus.engine.migration_connection`): concurrent starts migrate once, and a process
killed mid-migration leaves the previous schema and version, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection, Engine

from newsmon.corpus.records import SchemaState

HERE = Path(__file__).parent


def alembic_config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The revision the code expects the database at."""
    head = ScriptDirectory(str(HERE)).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def schema_state(connection: Connection) -> tuple[SchemaState, str | None]:
    """Where the database's schema stands against this code's head, and the revision found;
    only reads (a read-only role or file can answer it)."""
    found = current_revision(connection)
    if found is None:
        return SchemaState.EMPTY, None
    if found == head_revision():
        return SchemaState.CURRENT, found
    try:
        ScriptDirectory(str(HERE)).get_revision(found)
    except CommandError:  # not among this code's revisions: a newer newsmon wrote it
        return SchemaState.AHEAD, found
    return SchemaState.BEHIND, found


def upgrade(engine: Engine, revision: str = "head", *, lock_wait: float = 600.0) -> None:
    """Migrate to `revision`, once, whatever the number of processes starting at once.

    A database already at the head is only read (no lock); otherwise the lock is taken and
    Alembic checks the version again inside it, so the processes that waited find nothing to do.
    """
    from newsmon.corpus.engine import migration_connection

    if revision == "head":
        with engine.connect() as conn:
            if current_revision(conn) == head_revision():
                return
    with migration_connection(engine, lock_wait=lock_wait) as conn:
        command.upgrade(alembic_config(conn), revision)
