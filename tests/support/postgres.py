"""A throw-away PostgreSQL schema per test: the database a test is given is never cleared.

`NEWSMON_TEST_POSTGRES_URL` names a server and database (`.ci/run` starts one); each test
creates a schema of its own there, works in it through `search_path`, and drops it afterwards,
so whatever else the database holds (another suite, another helper's data) stays untouched.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

PG_URL = os.environ.get("NEWSMON_TEST_POSTGRES_URL", "")


@contextmanager
def throwaway_schema(url: str = PG_URL, prefix: str = "test") -> Iterator[str]:
    """A database URL whose connections work in a new, empty schema, dropped on leaving."""
    assert url, "NEWSMON_TEST_POSTGRES_URL is not set"
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in url else "?"
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
