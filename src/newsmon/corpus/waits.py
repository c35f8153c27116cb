"""Bounded waits on PostgreSQL: a lock another session keeps (an operator's `psql` left inside
`BEGIN; LOCK TABLE …`, an `ALTER` or `VACUUM FULL`, a backup) held a pass until its flow timed
out and `newsmon health` in cron for ever, saying nothing.

Every session gets a `lock_timeout` (and, for commands that only read, a `statement_timeout`)
unless the operator set one already (`?options=-c lock_timeout=…`, PGOPTIONS, `ALTER ROLE …
SET`). A statement that waits its bound out becomes `CorpusBusy`: still an `OperationalError`
(every caller's handling stays), whose text is one line naming what waited, for how long, and
the oldest transaction holding a lock on the corpus's tables (pid, role, application, state).
"""

from __future__ import annotations

import logging
import re
from enum import StrEnum
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

log = logging.getLogger(__name__)

# A write waits this long for a lock, as long as on SQLite (its busy timeout): far above what
# passes, digests and commands hold one another (a few statements; claims skip locked rows),
# short enough that a batch of ten feeds each refused once ends within its 10-minute timeout.
LOCK_SECONDS = 30.0
# Commands that only read (health in cron, a probe) wait less for a lock, and for a statement.
READ_LOCK_SECONDS = 15.0
READ_STATEMENT_SECONDS = 300.0
_DIAGNOSE_MS = 2000  # the look at who holds the lock is itself bounded


class Wait(StrEnum):
    """What a statement waited for until its bound ended it."""

    LOCK = "lock"  # SQLSTATE 55P03 lock_not_available: lock_timeout
    STATEMENT = "statement"  # 57014 query_canceled: statement_timeout (or a cancel request)


_WAITS = {"55P03": Wait.LOCK, "57014": Wait.STATEMENT}


class CorpusBusy(OperationalError):
    """A statement that waited its bound out on PostgreSQL; nothing of its transaction was
    written. `str()` is the readable line; `orig` the driver's error."""

    def __init__(
        self, statement: str | None, params: Any, orig: BaseException, wait: Wait, line: str
    ) -> None:
        super().__init__(statement, params, orig, hide_parameters=True)
        self.wait, self.line = wait, line

    def __str__(self) -> str:
        return self.line

    def __reduce__(self) -> Any:  # pickled (Prefect's states) with its own arguments
        return (self.__class__, (self.statement, None, self.orig, self.wait, self.line))


def bound_waits(engine: Engine, *, read_only: bool) -> None:
    """Give every new connection of a PostgreSQL `engine` its bounds, as session settings."""
    bounds = {"lock_timeout": READ_LOCK_SECONDS if read_only else LOCK_SECONDS}
    if read_only:
        bounds["statement_timeout"] = READ_STATEMENT_SECONDS
    settings = [(name, f"{max(1, int(seconds * 1000))}ms") for name, seconds in bounds.items()]

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        try:
            for name, value in settings:  # the operator's own value (not 0) stays
                cur.execute(
                    "SELECT set_config(%s, %s, false) WHERE current_setting(%s) = '0'",
                    (name, value, name),
                )
        finally:
            cur.close()
        dbapi_conn.commit()

    event.listen(engine, "connect", on_connect)


def wait_of(exc: BaseException) -> Wait | None:
    """Which bound ended the statement behind `exc`, by SQLSTATE; None for any other error."""
    if not isinstance(exc, DBAPIError) or isinstance(exc, CorpusBusy):
        return None
    return _WAITS.get(getattr(exc.orig, "sqlstate", None) or "")


_HOLDER = text(
    "SELECT a.pid, a.usename, a.application_name, a.state, "
    "EXTRACT(EPOCH FROM clock_timestamp() - a.xact_start) AS seconds, c.relname, l.mode "
    "FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
    "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.granted AND l.pid <> pg_backend_pid() AND l.locktype = 'relation' "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND n.nspname = ANY (current_schemas(false)) "
    "ORDER BY l.mode = 'AccessShareLock', a.xact_start NULLS LAST LIMIT 1"
)
_BOUND = text("SELECT current_setting('lock_timeout'), current_setting('statement_timeout')")
_VERB = re.compile(r"^\s*(\w+)")
_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+\"?(\w+)", re.IGNORECASE)


def busy(exc: DBAPIError, engine: Engine) -> CorpusBusy | None:
    """`exc` as `CorpusBusy` when a bound ended its statement, else None. Looks (bounded, best
    effort) at who holds a lock on the corpus's tables, for the operator to find the session."""
    wait = wait_of(exc)
    if wait is None or exc.orig is None:
        return None
    what = _what(exc.statement or "")
    bound = holder = ""
    try:
        with engine.connect() as conn:
            lock_bound, statement_bound = conn.execute(_BOUND).one()  # the session's own
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {_DIAGNOSE_MS}")
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {_DIAGNOSE_MS}")
            bound = lock_bound if wait is Wait.LOCK else statement_bound
            row = conn.execute(_HOLDER).first()
            conn.rollback()
    except SQLAlchemyError as look:
        log.debug("could not see who holds the lock: %s", look)
        row = None
    if row is not None:
        pid, role, app, state, seconds, table, mode = row
        named = f" {app!r}" if app else ""
        since = f" for {float(seconds):.0f} s" if seconds is not None else ""
        holder = (
            f"; the oldest transaction holding a lock on the corpus: pid {pid} ({role}{named}, "
            f"{state or 'state not visible'}{since}) with {mode} on {table}"
        )
    waited = f" {bound}" if bound else ""
    if wait is Wait.LOCK:
        head = f"database busy: {what} waited{waited} for a lock and gave up (lock_timeout)"
    else:
        head = f"database busy: {what} ran{waited} and was stopped (statement_timeout)"
    line = f"{head}{holder}; its transaction was rolled back"
    return CorpusBusy(exc.statement, exc.params, exc.orig, wait, line)


def _what(statement: str) -> str:
    """The statement's kind and first table, never its values (they are bound parameters)."""
    verb = _VERB.match(statement)
    table = _TABLE.search(statement)
    kind = verb.group(1).upper() if verb else "a statement"
    return f"{kind} on {table.group(1)}" if table else kind
