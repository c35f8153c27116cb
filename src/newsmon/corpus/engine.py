"""Reaching the database: engines, opening and migrating a corpus, sessions, readable errors.

SQLite by default (pragmas for foreign keys, WAL and waiting on locks), PostgreSQL in
production. Every failure to open becomes a `StoreError` of one line with the password hidden.
Migrations run in one transaction under a lock: an advisory lock on PostgreSQL, an exclusive
transaction on SQLite (whose DDL is transactional once pysqlite stops managing transactions).
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote_plus

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.util import asbool

from newsmon.clock import utcnow
from newsmon.config_paths import sqlite_file
from newsmon.corpus.records import SchemaError, SchemaState, StoreError
from newsmon.corpus.reruns import rerun_if_dropped as rerun_if_dropped  # where it always was
from newsmon.corpus.waits import bound_waits, busy

log = logging.getLogger(__name__)
R = TypeVar("R")

# Query parameters that libpq reads a secret from: `?password=` is as secret as `user:pw@`.
SECRET_QUERY_KEYS = frozenset({"password", "sslpassword"})
_SCHEME = re.compile(r"[\w+]+://")


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a database URL, in words that quote no part of it (it may hold a
    password), or None. SQLAlchemy reads the password up to its first `@`: one more `@` makes
    the rest of the password the host, which the driver then names in its errors."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "is not a valid URL"
    except ValueError:  # int() of the port
        return "cannot be read: its port is not a number (or an IPv6 address lacks its ])"
    if parsed.get_backend_name() != "sqlite" and "@" in (parsed.host or "") + (
        parsed.database or ""
    ):
        return "has an @ in its user name or password: write it as %40"
    return None


def redact_url(url: str) -> str:
    """A database URL with its password hidden (in the user part and in the query), for
    messages; a URL that cannot be read shows its scheme only."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        scheme = _SCHEME.match(url)
        return f"{scheme.group(0) if scheme else ''}(unparseable database URL)"
    if url_problem(url):
        return f"{parsed.drivername}://***"
    shown = parsed.set(query={}).render_as_string(hide_password=True)
    pairs = [
        f"{quote_plus(key)}={'***' if key.lower() in SECRET_QUERY_KEYS else quote_plus(value)}"
        for key, values in parsed.query.items()
        for value in ((values,) if isinstance(values, str) else values)
    ]
    return f"{shown}?{'&'.join(pairs)}" if pairs else shown


SQLITE_BUSY_SECONDS = 30  # how long a connection waits for another process's lock
_WAL_RETRY_SECONDS = 0.01


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    _enter_wal(cur)
    cur.close()


def _enter_wal(cur: Any) -> None:
    """Switch to WAL, waiting like any other statement. Two processes converting a fresh file at
    once deadlock on it, and SQLite answers one of them "database is locked" at once instead of
    calling the busy handler: that process would fail to open the corpus (about 1 start in 60
    when six start together). The switch is retried for the busy timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(_WAL_RETRY_SECONDS)


def _is_busy(exc: sqlite3.Error) -> bool:
    """SQLITE_BUSY or one of its extended codes ("database is locked"), by code, not wording."""
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    problem = url_problem(url)
    if problem:
        raise StoreError(f"database_url {problem}: {redact_url(url)}")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        # A `file:` URI (`?uri=true`, e.g. `mode=ro` for a probe) is no path: its "folder" was
        # made in the working directory (`./file:/var/lib/…`), or failed to be (exit 3).
        if database and database != ":memory:" and not asbool(parsed.query.get("uri")):
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the folder for {database}: {exc.strerror}"
                ) from None
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_SECONDS})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=_connect_args(parsed))
    except (ImportError, ArgumentError) as exc:
        raise StoreError(f"cannot use {redact_url(url)}: {exc}") from None
    if engine.dialect.name == "postgresql":
        bound_waits(engine, read_only=read_only)  # lock (and read) waits end
    return engine


# libpq waits for ever for a server that accepts the connection and never answers (frozen on
# its disk, a tunnel left open): `newsmon health` in cron hung silently with the pipeline.
PG_CONNECT_SECONDS = 10


def _connect_args(parsed: Any) -> dict[str, Any]:
    """A connect timeout unless the operator set libpq's own (`?connect_timeout=`,
    PGCONNECT_TIMEOUT)."""
    if "connect_timeout" in parsed.query or os.environ.get("PGCONNECT_TIMEOUT"):
        return {}
    return {"connect_timeout": PG_CONNECT_SECONDS}


# pg_advisory_xact_lock key of schema migrations ("newsmon" in ASCII): one per database.
MIGRATION_LOCK_KEY = 0x6E_65_77_73_6D_6F_6E
# First key of the cluster locks (`Database.lock_cluster`): "nc" (newsmon cluster) in ASCII.
CLUSTER_LOCK_SPACE = 0x6E63
# pg_advisory_xact_lock(space, key) between alerts recorded as posted and a digest's read.
ANNOUNCE_LOCK_SPACE, ANNOUNCE_LOCK_KEY = 0x6E61, 1
# pg_advisory_xact_lock(space, key) taken by each claim of thread replies.
REPLY_CLAIM_LOCK_SPACE, REPLY_CLAIM_LOCK_KEY = 0x6E72, 1
# SQLSTATE lock_not_available: a statement waited its `lock_timeout` out.
_LOCK_NOT_AVAILABLE = "55P03"


def shared_now(executor: Connection | Session) -> datetime:
    """Now in the clock every worker shares, read when called (not the transaction's start):
    on PostgreSQL the server's, since hosts' clocks drift apart; on SQLite one host's file, its
    clock. In a session, a time stamped after the locks it took (`Database.now` has its own)."""
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    if bind.dialect.name != "postgresql":
        return utcnow()
    value: datetime = executor.execute(text("SELECT clock_timestamp()")).scalar_one()
    return value.astimezone(UTC)


def _is_memory(engine: Engine) -> bool:
    return engine.url.database in (None, "", ":memory:")


# On PostgreSQL a migration's DDL waits at most this long at a time for a table another
# transaction holds (a running pass), then gives way and tries again: PostgreSQL queues every
# later query on that table behind a waiting ALTER, so every worker stood still while it waited.
DDL_LOCK_SECONDS = 2.0
_DDL_RETRY_PAUSE = 0.5


class TablesBusy(StoreError):
    """A migration's DDL waited its turn out on a table another transaction holds; nothing was
    changed (its transaction rolled back): `migrate_under_lock` tries again."""


@contextmanager
def migration_connection(engine: Engine, *, lock_wait: float = 600.0) -> Iterator[Connection]:
    """A connection in one transaction that holds the corpus's migration lock, committed on
    leaving: whoever comes second waits up to `lock_wait` seconds, then sees the new schema.
    On PostgreSQL a statement waiting over `DDL_LOCK_SECONDS` for a table is `TablesBusy`."""
    if engine.dialect.name == "sqlite" and not _is_memory(engine):
        # A connection of its own whose transactions pysqlite leaves alone, so that BEGIN
        # EXCLUSIVE covers the DDL too (pysqlite would run CREATE/ALTER outside any transaction).
        locker = create_engine(
            engine.url, poolclass=NullPool, connect_args={"isolation_level": None}
        )
        event.listen(locker, "connect", _sqlite_pragmas)
        try:
            with locker.connect() as conn:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={int(lock_wait * 1000)}")
                # A migration that SQLite cannot ALTER rebuilds the table and drops the old one;
                # with foreign keys on, that drop deleted every row pointing at it (ON DELETE
                # CASCADE: alerts, matches, band rows). Off for this connection only, before its
                # transaction (inside one it is a no-op); the rebuilt table keeps every id.
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                try:
                    conn.exec_driver_sql("BEGIN EXCLUSIVE")
                except OperationalError as exc:
                    if not (isinstance(exc.orig, sqlite3.Error) and _is_busy(exc.orig)):
                        raise
                    raise StoreError(_locked_line(engine, lock_wait)) from None
                try:
                    yield conn
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()
        finally:
            locker.dispose()
        return
    locked = False
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text(f"SET LOCAL lock_timeout = '{_ms(lock_wait)}ms'"))
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                locked = True
                ddl_wait = min(DDL_LOCK_SECONDS, lock_wait)
                conn.execute(text(f"SET LOCAL lock_timeout = '{_ms(ddl_wait)}ms'"))
            yield conn
    except OperationalError as exc:
        # lock_timeout ran out: on the migration lock (another start migrating) or on a table a
        # running pass's transaction holds (ALTER waits for it). Said so, not "unusable".
        if getattr(exc.orig, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
            raise
        busy = TablesBusy if locked else StoreError
        raise busy(_locked_line(engine, lock_wait)) from None


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def _locked_line(engine: Engine, lock_wait: float) -> str:
    return (
        f"database {redact_url(str(engine.url))} stayed locked by another process for "
        f"{lock_wait:.0f} s while migrating (another start migrating, or a running pass's "
        "transaction); nothing was changed, try again"
    )


def migrate_under_lock(
    engine: Engine, work: Callable[[Connection], R], *, lock_wait: float = 600.0
) -> R:
    """Run `work` (Alembic's walk) in a `migration_connection`, again after a pause each time a
    table was busy (`TablesBusy`), for up to `lock_wait` seconds in all; then a StoreError."""
    deadline = time.monotonic() + lock_wait
    while True:
        try:
            with migration_connection(
                engine, lock_wait=max(deadline - time.monotonic(), 0.001)
            ) as conn:
                return work(conn)
        except TablesBusy:
            if time.monotonic() + _DDL_RETRY_PAUSE >= deadline:
                raise StoreError(_locked_line(engine, lock_wait)) from None
            time.sleep(_DDL_RETRY_PAUSE)


def missing_sqlite_file(url: str) -> str | None:
    """The path of a SQLite corpus `url` names that does not exist yet, else None (another
    database, `:memory:`, a `file:` URI, which SQLite itself opens or refuses)."""
    database = sqlite_file(url)
    return None if database is None or Path(database).exists() else database


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def open_engine(url: str, *, migrate: bool = True, read_only: bool = False) -> Engine:
    """Connect and bring the schema up to date; StoreError when that is impossible.

    `read_only` (commands that only read) never migrates an existing corpus: a schema behind
    or ahead of this code's is a `SchemaError`; a database without one gets it, as before. A
    SQLite file that does not exist is a StoreError naming its path: a mistyped path made a
    stray empty corpus (and its folder), and the command answered "no stories"."""
    from alembic.util import CommandError

    if read_only and (missing := missing_sqlite_file(url)):
        raise StoreError(
            f"no corpus at {missing}: commands that only read create none; check database_url "
            "(or NEWSMON_DATABASE_URL), or create it with a pass (`make run`, `newsmon run`) "
            "or `newsmon migrate`"
        )
    engine = make_engine(url, read_only=read_only)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        if read_only:
            _expect_current(engine, url)
        elif migrate:
            from newsmon.migrations import upgrade

            upgrade(engine)
    except StoreError:
        engine.dispose()
        raise
    except OperationalError as exc:
        if waited := busy(exc, engine):  # a lock or statement bound ran out: said so
            engine.dispose()
            raise StoreError(str(waited)) from None
        engine.dispose()
        reason = _first_line(exc.orig) if exc.orig else _first_line(exc)
        raise StoreError(f"database {redact_url(url)} is unusable: {reason}") from None
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(
            f"database {redact_url(url)}: {type(exc).__name__}: {_first_line(exc)}"
        ) from None
    except CommandError as exc:  # e.g. a revision unknown to this code: a newer newsmon wrote it
        engine.dispose()
        raise StoreError(
            f"database {redact_url(url)} cannot be migrated: {_first_line(exc)} "
            "(was it upgraded by a newer newsmon?)"
        ) from None
    except OSError as exc:  # the disk, not the database engine, refused
        engine.dispose()
        raise StoreError(f"database {redact_url(url)} is unusable: {exc.strerror or exc}") from None
    return engine


# SQLSTATEs of a PostgreSQL that refuses to be written: insufficient_privilege (a read-only
# role), read_only_sql_transaction (read-only sessions, a hot standby), invalid_schema_name (no
# schema on the search path this role may create in).
_REFUSED_WRITE_STATES = frozenset({"42501", "25006", "3F000"})


def refused_write(exc: DBAPIError) -> bool:
    """Whether PostgreSQL refused a write for what the connection may do (a read-only role or
    session), by error code, not by wording. (A SQLite file opened read-only that holds no
    corpus yet cannot even be opened: its switch to WAL is a write, exit 3.)"""
    return getattr(exc.orig, "sqlstate", None) in _REFUSED_WRITE_STATES


def _expect_current(engine: Engine, url: str) -> None:
    """SchemaError unless the schema is this code's. An empty database is created, unless the
    connection may not write: then a SchemaError (EMPTY) says how to create it."""
    from newsmon.migrations import head_revision, schema_state, upgrade

    with engine.connect() as conn:
        state, found = schema_state(conn)
    expected = head_revision()
    if state is SchemaState.EMPTY:
        try:
            upgrade(engine)
        except DBAPIError as exc:
            if not refused_write(exc):
                raise
            raise SchemaError(
                f"database {redact_url(url)} holds no newsmon corpus this role can see, and "
                f"it may not create one ({_first_line(exc.orig or exc)}): commands that only read "
                f"never migrate; `newsmon migrate` (or the first pass) with a role that may "
                f"write creates revision {expected}",
                state,
                None,
                expected,
            ) from None
    elif state is SchemaState.BEHIND:
        raise SchemaError(
            f"database {redact_url(url)} has schema revision {found}, this newsmon expects "
            f"{expected}: commands that only read never migrate; `newsmon migrate` (or the next "
            "pass) migrates it",
            state,
            found,
            expected,
        )
    elif state is SchemaState.AHEAD:
        raise SchemaError(
            f"database {redact_url(url)} has schema revision {found}, newer than this newsmon "
            f"knows (it expects {expected}): a newer newsmon migrated it; use that version",
            state,
            found,
            expected,
        )


def check_writable(engine: Engine) -> None:
    """StoreError now, in one line, when the corpus can be read but not written (a read-only
    file or role): a pass should not find out at its first article."""
    try:
        with engine.connect() as conn, conn.begin() as trans:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = version_num")
            trans.rollback()
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        reason = _first_line(orig if orig is not None else exc)
        raise StoreError(f"database {redact_url(str(engine.url))} cannot write: {reason}") from None


class Database:
    """One engine and its sessions: what every repository of a store shares."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def now(self) -> datetime:
        """The time leases are written in and compared with. On PostgreSQL the server's clock,
        which every worker shares: hosts' clocks drift apart, and a host minutes ahead took
        over claims another still held (a double post). On SQLite, one host's file, its clock."""
        if not self.is_postgres:
            return utcnow()
        with self.engine.connect() as conn:
            return shared_now(conn)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on leaving, rolled back on an error; a
        statement that waited its bound out is `CorpusBusy`, naming who holds the lock."""
        try:
            with self._sessions() as session, session.begin():
                yield session
        except OperationalError as exc:
            waited = busy(exc, self.engine)
            if waited is None:
                raise
            raise waited from None

    def lock_writes(self, session: Session) -> None:
        """On SQLite, take the database's write lock now, at the start of `session`'s
        transaction, so that what the transaction reads before it writes is still true when it
        commits: another process's writer waits (the busy timeout) until this one ends.

        pysqlite opens a transaction only at the first INSERT/UPDATE/DELETE, so the SELECTs
        before it run outside any transaction and another process may commit between them and
        the write (two copies of one story both found no cluster). `BEGIN IMMEDIATE` closes
        that gap. A session that has written already holds the lock; PostgreSQL uses its own
        locks (advisory, row) instead, so this does nothing there.
        """
        if self.is_postgres:
            return
        conn = session.connection()
        if not getattr(conn.connection.dbapi_connection, "in_transaction", True):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    def lock_cluster(self, session: Session, head_id: int) -> None:
        """Serialise, until `session`'s transaction ends, the writers that decide whether the
        cluster headed by `head_id` speaks (a copy joining it, a page read at last, a backfill
        queueing an alert), before they look at what it has said.

        On PostgreSQL an advisory lock on the head; its key space (two 32-bit keys) is not the
        one of the story locks (one 64-bit key), and it is taken after them: its holder takes
        no story lock after it, and another cluster lock only from an article to its head
        (`cluster_queries.lock_head`: a head that became a copy meanwhile), so no deadlock. On
        SQLite the database's write lock.
        """
        self._lock(session, CLUSTER_LOCK_SPACE, head_id)

    def lock_announcements(self, session: Session, *, exclusive: bool) -> None:
        """Order, until `session`'s transaction ends, the recording of alerts as posted (shared)
        against a digest's read of them (exclusive).

        A post's time (`alerts.sent_at`) is stamped before its transaction commits, which may
        wait for a lock meanwhile; a digest reading then did not see it, ended its period after
        the stamp, and the next digest started there: the story was in none. A digest takes the
        exclusive side first, so every stamp before that moment is committed when it reads, and
        every later one is after its period's end (the last hour, past). On SQLite the
        database's write lock, taken before the stamp."""
        self._lock(session, ANNOUNCE_LOCK_SPACE, ANNOUNCE_LOCK_KEY, shared=not exclusive)

    def lock_reply_claims(self, session: Session) -> None:
        """Serialise, until `session`'s transaction ends, the claims of thread replies: a
        story's replies are claimed together (one message), and two deliveries claiming at once
        (each skipping the rows the other was locking) split a story between them: two replies
        in its thread. A claim is a few statements. On SQLite the database's write lock."""
        self._lock(session, REPLY_CLAIM_LOCK_SPACE, REPLY_CLAIM_LOCK_KEY)

    def _lock(self, session: Session, space: int, key: int, *, shared: bool = False) -> None:
        """A transaction-level advisory lock on (`space`, `key`) on PostgreSQL; on SQLite the
        database's write lock, which serialises every writer anyway."""
        if not self.is_postgres:
            self.lock_writes(session)
            return
        lock = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        session.execute(text(f"SELECT {lock}(:space, :key)"), {"space": space, "key": key})
