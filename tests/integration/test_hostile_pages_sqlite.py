"""Hostile pages next to an ordinary feed, through `newsmon run` on a SQLite corpus: the pass
ends in bounded time and memory, the ordinary feed is stored and alerted, every hostile entry is
stored with its reason (tests/support/hostile_pages.py; the same pass on the other database is
the file next to this one, so xdist runs the two, each over a minute, on different workers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.devsite import SiteServer
from tests.support.fake_slack import FakeSlack
from tests.support.hostile_pages import assert_bounded_pass, serve_hostile_site

pytestmark = [pytest.mark.usefixtures("prefect_harness")]


@pytest.fixture
def hostile_site(tmp_path: Path) -> Iterator[tuple[SiteServer, dict[str, str]]]:
    with serve_hostile_site(tmp_path) as served:
        yield served


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'corpus.db'}"


def test_hostile_pages_cost_a_bounded_pass_and_are_recorded(
    tmp_path: Path,
    hostile_site: tuple[SiteServer, dict[str, str]],
    slack: FakeSlack,
    database: str,
) -> None:
    assert_bounded_pass(tmp_path, hostile_site, slack, database)
