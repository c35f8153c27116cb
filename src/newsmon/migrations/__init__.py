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
    from newsmon.corpus.engine import migrate_under_lock

    if revision == "head":
        with engine.connect() as conn:
            if current_revision(conn) == head_revision():
                return
    migrate_under_lock(
        engine, lambda conn: command.upgrade(alembic_config(conn), revision), lock_wait=lock_wait
    )


def migrate_to(engine: Engine, target: str, *, lock_wait: float = 600.0) -> tuple[str | None, str]:
    """Walk the schema up or down to `target` (one of this code's revisions, or "head") under
    the migration lock; return the revision found and the one reached.

    Down is how a release is rolled back: the previous newsmon refuses a schema it does not
    know, so this one walks it back first (each revision's downgrade keeps the rows, dropping
    only what that revision added). CommandError for a revision this code does not know."""
    from newsmon.corpus.engine import migrate_under_lock

    script = ScriptDirectory(str(HERE))
    try:
        known = script.get_revision(target)
    except CommandError:
        known = None
    if known is None:  # "base" too: walking below the first revision drops the corpus
        raise CommandError(
            f"no revision {target!r} among this newsmon's (0001 to {head_revision()})"
        )
    wanted = known.revision

    def walk(conn: Connection) -> str | None:
        found = current_revision(conn)
        below = found is not None and any(
            step.revision == wanted for step in script.iterate_revisions(found, "base")
        )
        if found != wanted:
            cfg = alembic_config(conn)
            if below:
                command.downgrade(cfg, wanted)
            else:
                command.upgrade(cfg, wanted)
        return found

    found = migrate_under_lock(engine, walk, lock_wait=lock_wait)
    return found, wanted
