"""Concurrent starts on one corpus: real processes opening a fresh SQLite file at the same
moment migrate it once; a migration killed half-way leaves the previous schema and version; an
unusable database file is one readable line and exit status 3."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from newsmon.corpus import Store
from newsmon.corpus.engine import make_engine
from newsmon.migrations import head_revision, upgrade
from tests.support.configs import write_config
from tests.support.postgres import PG_URL, throwaway_schema

ROOT = Path(__file__).resolve().parents[2]

# Says it is ready, waits for the start signal (a file), then opens (and migrates) the corpus.
OPEN_AT_SIGNAL = """
import sys, time
from pathlib import Path
from newsmon.corpus import Store
go = Path(sys.argv[2])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)
Store.open(sys.argv[1]).close()
print("opened")
"""

# Connects to each of N fresh SQLite files in turn, from the start signal on; prints how many
# connections failed. Several copies run in lockstep, so most files are created by all at once.
CONNECT_FRESH_FILES = """
import sys, time
from pathlib import Path
from newsmon.corpus.engine import make_engine
folder, go, n = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
failed = []
for i in range(n):
    engine = make_engine(f"sqlite:///{folder / f'f{i}.db'}")
    try:
        engine.connect().close()
    except Exception as exc:
        failed.append(str(exc).splitlines()[0])
    engine.dispose()
print(len(failed), failed[:1])
"""

# Migrates to head and kills itself, with SIGKILL, right after one DDL statement of 0003.
KILL_DURING_0003 = """
import os, signal, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
from newsmon.corpus import Store

def after(conn, cursor, statement, *args):
    if "ADD COLUMN next_check_at" in statement:
        os.kill(os.getpid(), signal.SIGKILL)

event.listen(Engine, "after_cursor_execute", after)
Store.open(sys.argv[1])
print("survived")
"""


def _python(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def release_together(procs: list[subprocess.Popen[str]], go: Path) -> None:
    """Wait until every process has imported newsmon and waits at the signal, then give it."""
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    go.touch()


def test_processes_starting_at_once_on_a_fresh_sqlite_file_migrate_it_once(
    tmp_path: Path,
) -> None:
    for attempt in range(3):  # each round a fresh file, several processes released together
        url = f"sqlite:///{tmp_path / f'fresh{attempt}.db'}"
        go = tmp_path / f"go{attempt}"
        procs = [_python(OPEN_AT_SIGNAL, url, str(go)) for _ in range(3)]
        release_together(procs, go)
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            assert out.strip() == "opened"
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                assert MigrationContext.configure(conn).get_current_revision() == head_revision()
        finally:
            engine.dispose()


def test_processes_switching_a_fresh_file_to_wal_at_once_all_connect(tmp_path: Path) -> None:
    """Two connections converting a fresh file to WAL deadlock, and SQLite tells one "database
    is locked" at once, busy timeout or not: before the switch was retried, 6 processes over
    200 fresh files saw 3-17 such failures a run (and the test above failed now and then)."""
    go = tmp_path / "go"
    procs = [_python(CONNECT_FRESH_FILES, str(tmp_path), str(go), "200") for _ in range(6)]
    release_together(procs, go)
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert out.strip() == "0 []"


def test_two_newsmon_commands_at_once_on_a_fresh_corpus_both_succeed(tmp_path: Path) -> None:
    """Two commands that may create the corpus (`migrate`, as a first pass does) started at once
    on a path where none is: both succeed, and the corpus they made is read as one."""
    config = write_config(tmp_path, feeds=[("one", "http://127.0.0.1:9/feed.xml")])
    newsmon = [sys.executable, "-m", "newsmon", "migrate", "--config", str(config)]
    procs = [
        subprocess.Popen(newsmon, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    listing = [sys.executable, "-m", "newsmon", "feeds", "--config", str(config)]
    done = subprocess.run(listing, cwd=ROOT, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert b"never checked" in done.stdout


def test_a_migration_killed_half_way_leaves_the_previous_version(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0002")
    engine.dispose()
    proc = _python(KILL_DURING_0003, url)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL and "survived" not in out
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == "0002"
            columns = {c["name"] for c in inspect(conn).get_columns("feeds")}
        assert "config_url" not in columns and "next_check_at" not in columns
    finally:
        engine.dispose()
    Store.open(url).close()  # the next start migrates it for real
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == head_revision()
    finally:
        engine.dispose()


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """The file unwritable even for root (immutable attribute), else by its mode."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("root needs chattr to make a file unwritable")
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
            pytest.skip("this file system has no immutable attribute")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        return
    path.chmod(0o444)
    try:
        yield
    finally:
        path.chmod(0o644)


def _newsmon(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsmon", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_a_read_only_database_file_is_exit_3_and_one_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, feeds=[("one", "http://127.0.0.1:9/feed.xml")])
    db = tmp_path / "corpus.db"
    db.touch()  # empty: it needs migrating, and cannot be
    with read_only(db):
        line = _one_line(_newsmon("feeds", "--config", str(config)))
    assert line.startswith("newsmon: database sqlite:///") and "readonly" in line


def test_a_migrated_read_only_corpus_is_read_but_a_pass_refuses_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, feeds=[("one", "http://127.0.0.1:9/feed.xml")])
    db = tmp_path / "corpus.db"
    Store.open(f"sqlite:///{db}").close()
    with read_only(db):
        assert _newsmon("feeds", "--config", str(config)).returncode == 0
        line = _one_line(_newsmon("run", "--config", str(config)))
    assert "readonly" in line and "cannot write" in line


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
def test_processes_starting_at_once_on_a_fresh_postgres_schema_migrate_it_once(
    tmp_path: Path,
) -> None:
    with throwaway_schema(prefix="start") as url:
        go = tmp_path / "go"
        procs = [_python(OPEN_AT_SIGNAL, url, str(go)) for _ in range(3)]
        release_together(procs, go)
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            assert out.strip() == "opened"
        store = Store.open(url)
        try:
            with store.engine.connect() as conn:
                assert MigrationContext.configure(conn).get_current_revision() == head_revision()
                assert conn.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1
        finally:
            store.close()


def test_a_migration_lock_held_too_long_is_one_readable_error(tmp_path: Path) -> None:
    """Another process holding the SQLite file's write lock past `lock_wait`: a StoreError that
    says so (told by SQLite's busy code, not its wording), not a raw OperationalError."""
    import sqlite3

    from newsmon.corpus.engine import migration_connection
    from newsmon.corpus.records import StoreError

    path = tmp_path / "held.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN EXCLUSIVE")
    engine = make_engine(f"sqlite:///{path}")
    try:
        with (
            pytest.raises(StoreError, match="stayed locked by another process"),
            migration_connection(engine, lock_wait=0.2),
        ):
            pass
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
def test_a_postgres_migration_lock_held_too_long_is_one_readable_error() -> None:
    """Another process migrating (its advisory lock held) past `lock_wait`: the same readable
    StoreError as on SQLite, not PostgreSQL's raw "canceling statement due to lock timeout"
    (which `open_engine` called "database … is unusable", as if the server were down)."""
    from sqlalchemy import text

    from newsmon.corpus.engine import MIGRATION_LOCK_KEY, migration_connection
    from newsmon.corpus.records import StoreError

    with throwaway_schema(prefix="held") as url:
        engine = make_engine(url)
        try:
            with engine.connect() as holder:
                holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
                try:
                    with (
                        pytest.raises(StoreError, match="stayed locked by another process"),
                        migration_connection(engine, lock_wait=0.2),
                    ):
                        pass
                finally:
                    holder.execute(text("SELECT pg_advisory_unlock_all()"))
                    holder.commit()
        finally:
            engine.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
def test_a_postgres_migration_waiting_on_a_running_pass_s_transaction_says_so() -> None:
    """A pass of the previous version still in a transaction on `alerts` while a new worker
    migrates it: the ALTER waits; past the wait, one line saying a table stayed locked by
    another process (a running pass), not "database … is unusable"."""
    from sqlalchemy import text

    from newsmon.corpus.records import StoreError
    from tests.support.schema_history import downgrade, revision

    with throwaway_schema(prefix="busy") as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            downgrade(engine, "0022")
            with engine.connect() as old_pass:
                old_pass.execute(text("SELECT count(*) FROM alerts"))  # its transaction open
                with pytest.raises(StoreError, match="stayed locked by another process"):
                    upgrade(engine, lock_wait=0.3)
                old_pass.rollback()
            assert revision(engine) == "0022"  # nothing half done
            upgrade(engine)
            assert revision(engine) == head_revision()
        finally:
            engine.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
def test_a_postgres_migration_waiting_on_a_running_pass_lets_the_other_workers_through() -> None:
    """A new worker migrating `alerts` while a pass of the previous version is in a transaction
    on it: the ALTER waited for it with every later query on `alerts` queued behind the ALTER
    (PostgreSQL's lock queue), so every worker, the running pass's own delivery and `newsmon
    health` stood still for as long as the migration would wait (10 minutes). The ALTER now
    waits a moment at a time and lets them through in between."""
    import threading
    import time

    from sqlalchemy import text

    from tests.support.schema_history import downgrade, revision

    with throwaway_schema(prefix="queue") as url:
        engine = make_engine(url)
        errors: list[BaseException] = []

        def migrate() -> None:
            try:
                upgrade(engine, lock_wait=60)
            except BaseException as exc:  # reported by the test below
                errors.append(exc)

        try:
            upgrade(engine)
            downgrade(engine, "0022")
            migrating = threading.Thread(target=migrate)
            with engine.connect() as old_pass:
                try:
                    old_pass.execute(text("SELECT count(*) FROM alerts"))  # transaction open
                    migrating.start()
                    time.sleep(0.5)  # the migration's ALTER waits for the old pass
                    with engine.connect() as other_worker:
                        other_worker.execute(text("SET statement_timeout = '6s'"))
                        started = time.monotonic()
                        other_worker.execute(text("SELECT count(*) FROM alerts"))
                        assert time.monotonic() - started < 6
                        other_worker.rollback()
                finally:
                    old_pass.rollback()
            migrating.join(60)
            assert not errors and revision(engine) == head_revision(), errors
        finally:
            engine.dispose()
