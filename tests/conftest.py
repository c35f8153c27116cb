"""Shared fixtures: the sample site on loopback, a fake Slack, a corpus on each database, one
Prefect harness a session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The test once on a SQLite file in its folder and once in a throw-away PostgreSQL schema
    (skipped without NEWSMON_TEST_POSTGRES_URL, which .ci/run sets)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'corpus.db'}"
        return
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="corpus") as url:
        yield url
