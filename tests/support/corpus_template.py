"""A corpus migrated once a session, copied for each test: migrating an empty corpus costs about
0.45 s of CPU on SQLite (~0.4 s in a new PostgreSQL schema), opening one already at head under
0.1 s, and `db_url` serves ~340 tests a run on each database. Tests of migration itself (upgrades, read-only commands, a missing corpus,
processes starting at once on a fresh file) mark themselves `fresh_corpus` and get none."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event

from newsmon.corpus.engine import make_engine
from newsmon.migrations import upgrade


def build_sqlite_template(folder: Path) -> Path:
    """A SQLite corpus `newsmon migrate` would leave (same code path: `upgrade` on an engine
    from `make_engine`), its write-ahead log folded in, so one file copy is the whole corpus."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "template-corpus.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    with sqlite3.connect(path) as conn:  # the last close checkpoints; said again, to be sure
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for leftover in ("-wal", "-shm"):
        Path(f"{path}{leftover}").unlink(missing_ok=True)
    return path


def copy_sqlite_template(template: Path, target: Path) -> str:
    """The URL of a fresh copy of `template` at `target` (a test's own corpus)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


# A statement a migration ran, with its parameters, to run again in another empty schema.
Statement = tuple[str, Any]


def record_pg_migration(url: str) -> list[Statement]:
    """Migrate the empty schema `url` works in as `newsmon migrate` does, and keep the
    statements that changed it (not the reads: the version look-ups, the migration lock).

    Replaying them in another empty schema costs about half of migrating it (Alembic loads and
    runs thirty revisions' Python); they name no schema (the URL's search_path picks it), and
    an empty schema answers a migration's reads alike every time, so the replay is the same
    corpus: tests/integration/test_corpus_template.py compares the two."""
    engine = make_engine(url)
    seen: list[Statement] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if not statement.lstrip().upper().startswith(("SELECT", "SHOW")):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return seen


def replay_pg_migration(url: str, statements: list[Statement]) -> None:
    """Run `statements` (from `record_pg_migration`) in the schema `url` works in, in one
    transaction."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for statement, parameters in statements:
                conn.exec_driver_sql(statement, parameters)
    finally:
        engine.dispose()
