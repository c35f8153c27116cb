"""A Prefect API database built once, copied into each test harness: the harness's server
otherwise runs Prefect's ~200 Alembic migrations and registers its block types on an empty
SQLite file at every start (about 5 s of CPU in each xdist process, on every `make test`)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

# What the harness's server would do to its empty database at start: migrate to head, then
# register the block types (the memo Prefect keeps of the latter is keyed by the database URL,
# a new temporary path every time, so it never spares the work).
_BUILD = """
import asyncio
from prefect.server.database import provide_database_interface
from prefect.server.models.block_registration import run_block_auto_registration

async def build() -> None:
    db = provide_database_interface()
    await db.create_db()
    async with await db.session() as session:
        await run_block_auto_registration(session=session)
        await session.commit()

asyncio.run(build())
"""


def migrated_db(cache_root: Path | None = None) -> Path:
    """The database Prefect's server makes at start, built once per Prefect version on this
    machine (in the temporary directory; a lock lets one xdist process build it while the
    others wait) and replaced atomically, so a reader never sees half of it."""
    import prefect

    root = cache_root or Path(tempfile.gettempdir())
    cache = root / f"newsmon-tests-prefect-{prefect.__version__}"
    db = cache / "prefect.db"
    if db.is_file():
        return db
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not db.is_file():
            building = cache / f"building-{os.getpid()}.db"
            building.unlink(missing_ok=True)
            env = {
                **os.environ,
                "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{building}",
            }
            subprocess.run([sys.executable, "-c", _BUILD], env=env, check=True, timeout=600)
            os.replace(building, db)
    return db


@contextmanager
def fast_prefect_test_harness(server_startup_timeout: int = 120) -> Iterator[None]:
    """`prefect_test_harness` as it is, its temporary database a copy of `migrated_db()`: the
    server finds the schema at head (its migration step checks and does nothing) and the block
    types there, so its start-up registration is turned off."""
    import prefect.settings
    import prefect.testing.utilities as harness

    template = migrated_db()
    make_temp_dir = harness.mkdtemp

    def temp_dir_with_db() -> str:
        folder = make_temp_dir()
        shutil.copyfile(template, Path(folder) / "prefect-test.db")
        return folder

    with ExitStack() as stack:
        stack.enter_context(
            prefect.settings.temporary_settings(
                updates={prefect.settings.PREFECT_API_BLOCKS_REGISTER_ON_START: False}
            )
        )
        with pytest.MonkeyPatch.context() as patch:  # for the harness's start only
            patch.setattr(harness, "mkdtemp", temp_dir_with_db)
            stack.enter_context(
                harness.prefect_test_harness(server_startup_timeout=server_startup_timeout)
            )
        yield
