"""Shared fixtures: the sample site on loopback, a fake Slack, a corpus on each database, one
Prefect harness a session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsmon.devsite import SiteServer, serve
from tests.support.fake_slack import FakeSlack
from tests.support.postgres import PG_URL, throwaway_schema

ROOT = Path(__file__).resolve().parent.parent
DEMO_SITE = ROOT / "demo" / "site"
SHIPPED_TOPICS = ROOT / "config" / "topics.yaml"

# Tests never talk to a real Slack or read the developer's settings.
for name in (
    "SLACK_BOT_TOKEN",
    "SLACK_WEBHOOK_URL",
    "NEWSMON_SLACK_API_URL",
    "NEWSMON_DATABASE_URL",
    "NEWSMON_CONFIG",
):
    os.environ.pop(name, None)
# Loopback only: the Prefect harness's server otherwise starts a telemetry service that looks up
# Prefect's analytics host ("Failed to send telemetry: Name or service not known" in the logs).
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A throw-away Prefect API for the whole session (`prefect_test_harness`), its database
    copied from one migrated once (tests/support/prefect_db.py): ~5 s to start on 2 cores, not
    ~15."""
    from tests.support.prefect_db import fast_prefect_test_harness

    with fast_prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with serve(DEMO_SITE) as server:
        yield server


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    monkeypatch.setenv("SLACK_BOT_TOKEN", fake.token)
    monkeypatch.setenv("NEWSMON_SLACK_API_URL", fake.api_url)
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    """A fake Slack on loopback, the environment untouched (tests hand its token and URL to the
    senders or contexts they build)."""
    server = FakeSlack().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_corpus_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite corpus migrated once for this process (tests/support/corpus_template.py)."""
    from tests.support.corpus_template import build_sqlite_template

    return build_sqlite_template(tmp_path_factory.mktemp("corpus-template"))


@pytest.fixture(scope="session")
def pg_corpus_statements() -> list[tuple[str, Any]]:
    """What migrating an empty PostgreSQL schema runs, recorded once for this process."""
    from tests.support.corpus_template import record_pg_migration

    with throwaway_schema(prefix="template") as url:
        return record_pg_migration(url)


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_corpus_template: Path) -> str:
    """A SQLite corpus already at head in the test's folder (`tmp_path/corpus.db`, a copy of
    the one migrated once a session), for tests on SQLite alone that are not about migrating:
    each spares the ~0.5 s of CPU its own migration cost."""
    from tests.support.corpus_template import copy_sqlite_template

    return copy_sqlite_template(sqlite_corpus_template, tmp_path / "corpus.db")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The test once on a SQLite file in its folder and once in a throw-away PostgreSQL schema
    (skipped without NEWSMON_TEST_POSTGRES_URL, which .ci/run sets).

    The corpus is already at head, sparing each test its migrations (a copy of a SQLite file
    migrated once; the statements migrating a schema once ran, run again); tests of migration
    itself (an upgrade, a missing or read-only corpus) are marked `fresh_corpus` and find no
    SQLite file and an empty schema."""
    if request.param == "sqlite":
        corpus = tmp_path / "corpus.db"
        if request.node.get_closest_marker("fresh_corpus") is None:
            from tests.support.corpus_template import copy_sqlite_template

            template = request.getfixturevalue("sqlite_corpus_template")
            yield copy_sqlite_template(template, corpus)
            return
        yield f"sqlite:///{corpus}"
        return
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="corpus") as url:
        if request.node.get_closest_marker("fresh_corpus") is None:
            from tests.support.corpus_template import replay_pg_migration

            replay_pg_migration(url, request.getfixturevalue("pg_corpus_statements"))
        yield url
