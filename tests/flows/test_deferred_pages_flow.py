"""The real `monitor` flow over a page its feed's page budget left for a later pass
(`fetch.feed_pages_budget_seconds`, newsmon.turns): never requested, so never a try counted.

The feed's teaser names no topic; the article is open-weight news, so the story reaches #os only
when its page is read. The first pass has a budget of a millisecond: the feed is read, its page
is deferred. Later passes have the usual budget.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.corpus import Store
from newsmon.corpus.schema import ArticleRow
from newsmon.devsite import SiteServer, serve
from tests.flows.test_monitor_flow import run_monitor
from tests.flows.test_near_duplicates_flow import _feed, _item
from tests.flows.test_page_retry_flow import OPEN_WEIGHT, write_one_term_config
from tests.support.dedup_set import render
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")

PAGE = "/desk/hidden.html"
TINY_BUDGET = 0.001  # seconds: spent before the feed's first page can have its turn


def build_site(root: Path) -> None:
    (root / "desk").mkdir(parents=True)
    (root / "desk/hidden.html").write_bytes(
        render("origin", "en", "Lab ships its new model", OPEN_WEIGHT)
    )
    item = _item("Lab ships its new model", "{{BASE}}" + PAGE, "A lab shipped a model.")
    (root / "feeds").mkdir()
    (root / "feeds/desk.xml").write_bytes(_feed("desk", [item]))


def write_config(tmp_path: Path, site: SiteServer, retries: int, budget: float) -> Path:
    """The one-term topics, `retries` page retries, a page budget of `budget` seconds; a try
    is due again after milliseconds, so every pass may try again."""

    def soon(data: dict[str, Any]) -> None:
        data["poll"] = {"soft_backoff_minutes": 0.0001}

    fetch = {"page_retries": retries, "feed_pages_budget_seconds": budget}
    feeds = [("desk", "/feeds/desk.xml")]
    return write_one_term_config(tmp_path, site.base, feeds, None, soon, fetch=fetch)


def stored(tmp_path: Path) -> ArticleRow:
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        with store.session() as s:
            [row] = s.scalars(select(ArticleRow))
            s.expunge(row)
            return row
    finally:
        store.close()


@pytest.mark.parametrize("retries", [0, 1])
def test_a_deferred_page_keeps_every_try_it_is_due(
    tmp_path: Path, slack: FakeSlack, retries: int
) -> None:
    """A page deferred by its feed's page budget was stored with one try counted, though it was
    never requested: with `page_retries: 0` it was given up at once, never fetched, and with
    more it lost one of its tries. Its story stayed judged on the teaser: the topic only the
    article names was never announced. Now its first request is its first try: it is requested
    `1 + page_retries` times like any page, and read."""
    root = tmp_path / "site"
    build_site(root)
    with serve(root) as site:
        config = write_config(tmp_path, site, retries, TINY_BUDGET)
        first = run_monitor(config)
        assert first.new_articles == 1 and first.pages_failed == 0
        assert site.paths_requested().count(PAGE) == 0  # deferred: never asked for
        assert slack.top_level() == []  # the teaser names no topic

        config = write_config(tmp_path, site, retries, 240.0)
        site.routes[PAGE] = {"status": 503}  # the page's first requests fail softly
        for _ in range(retries):
            run_monitor(config)
        del site.routes[PAGE]
        last = run_monitor(config)
        requests = site.paths_requested().count(PAGE)
    assert requests == 1 + retries
    assert last.pages_recovered == 1
    row = stored(tmp_path)
    assert row.text_source == "page" and row.page_retry_at is None
    assert row.page_attempts == 1 + retries
    [post] = slack.top_level()
    assert post["channel"] == "#os" and PAGE in str(post)


def test_pages_left_for_a_later_pass_are_in_the_pass_totals(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """`pages_deferred` was on each feed's line only: the summary `newsmon run` prints, the
    flow's result and the runs table did not say that a pass left pages for later, so an
    operator could not see a page budget too small for a feed's host."""
    root = tmp_path / "site"
    build_site(root)
    with serve(root) as site:
        config = write_config(tmp_path, site, 4, TINY_BUDGET)
        result = CliRunner().invoke(app, ["run", "--config", str(config)])
        assert result.exit_code == 0, result.output
        [summary] = [line for line in result.output.splitlines() if line.startswith("feeds: ")]
        assert "pages left for a later pass: 1" in summary
        again = run_monitor(config)  # the page is due again, and deferred again
    assert again.pages_deferred == 1 and again.pages_retried == 0
    assert "pages left for a later pass: 1" in again.line()
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        runs = store.runs.recent_runs("monitor")
    finally:
        store.close()
    assert [r.summary["pages_deferred"] for r in runs] == [1, 1]
