"""Shared fixtures: the sample site on loopback, a fake Slack, one Prefect harness a session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.devsite import SiteServer, serve
from tests.support.fake_slack import FakeSlack

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


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A throw-away Prefect API for the whole session: it takes ~15 s to start on 2 cores."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
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
