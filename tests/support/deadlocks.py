"""Forcing a real PostgreSQL deadlock (`40P01`) on one write of the code under test.

Another connection locks every row of a table; once one of the test's transactions waits for
one of those rows (it then holds the table's ROW EXCLUSIVE lock, which every UPDATE takes), the
other connection asks for the whole table in SHARE mode: a cycle, which PostgreSQL breaks by
aborting the transaction that waited first — the write under test, with nothing of it written.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, make_url, text

from tests.support.postgres import PG_URL, throwaway_schema

# The test's backends (by application name) waiting for a lock, but not the locker itself
WAITING_FOR_LOCK = text(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND "
    "application_name = :app AND wait_event_type = 'Lock' AND pid NOT IN (:locker, "
    "pg_backend_pid())"
)


@contextmanager
def pg_deadlock_url(prefix: str) -> Iterator[str]:
    """A throw-away schema's URL whose connections carry an application name of their own, so
    `deadlocked` finds the test's waiting transaction and no other test's."""
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix=prefix) as url:
        yield f"{url}&application_name={prefix}_{uuid.uuid4().hex[:12]}"


@contextmanager
def deadlocked(url: str, table: str, then: str | None = None) -> Iterator[Callable[[], None]]:
    """Once armed (call the value), the next write of `url`'s connections that waits for a row
    of `table` is aborted by PostgreSQL for a deadlock, once: the locker then asks for what
    that write holds (`then`, by default the table in SHARE mode). Fails if none waited."""
    app = make_url(url).query["application_name"]
    locker = create_engine(url)
    armed, locked = threading.Event(), threading.Event()
    broke: list[bool] = []

    def lock() -> None:
        with locker.connect() as conn, conn.begin():
            armed.wait(30)
            locker_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            conn.execute(text(f"SELECT 1 FROM {table} FOR UPDATE")).all()
            locked.set()
            deadline = time.monotonic() + 30  # a loaded machine (two suites) took over 10 s
            while time.monotonic() < deadline:
                with locker.connect() as look:
                    if look.execute(WAITING_FOR_LOCK, {"locker": locker_pid, "app": app}).first():
                        break
                time.sleep(0.02)
            else:
                return
            # waits for the write's lock (ROW EXCLUSIVE by default) until PostgreSQL aborts it
            conn.execute(text(then or f"LOCK TABLE {table} IN SHARE MODE"))
            broke.append(True)

    thread = threading.Thread(target=lock, daemon=True)
    thread.start()

    def arm() -> None:
        armed.set()
        locked.wait(30)

    try:
        yield arm
    finally:
        armed.set()
        thread.join(45)
        locker.dispose()
    assert broke, f"no write of the test waited for a row of {table}: no deadlock"
