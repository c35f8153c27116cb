"""A backfill of given pages that could load none of them, through the real flow and command:
it must end Failed (exit 5, the runs row `failed` with why), as a monitoring pass whose every
feed failed does, not `completed` with exit 0 while nothing was loaded."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

# Imported here, not first inside CliRunner: Prefect binds its log handler to the stderr of
# whoever imports it first, and a runner's stream is closed once its command returns.
import flows.backfill  # noqa: F401
import pytest
from typer.testing import CliRunner

from newsmon.cli import EXIT_PASS_FAILED, app
from newsmon.corpus import Store
from newsmon.corpus.records import RunRecord, RunStatus
from newsmon.devsite import SiteServer
from newsmon.verdict import PagesFailed, VerdictKind
from tests.conftest import DEMO_SITE
from tests.flows.test_monitor_flow import CHANNELS, FEEDS, site_config
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")
runner = CliRunner()


def refused_url() -> str:
    """A loopback address nothing listens on: the connection is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone.html"


def page_runs(db: Path) -> list[RunRecord]:
    store = Store.open(f"sqlite:///{db}")
    try:
        return store.runs.recent_runs("backfill-urls")
    finally:
        store.close()


def test_a_backfill_whose_every_page_failed_fails_and_says_why(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    """404s and a refused address: nothing was loaded, so the command exits 5 listing each
    page's error, the runs row is `failed` naming them and the Prefect flow run ends Failed. A
    dry run that could read none of its pages previews nothing and fails the same way (and
    records nothing)."""
    from flows.backfill import backfill_urls

    config = str(site_config(tmp_path, site))
    db = tmp_path / "corpus.db"
    gone = [site.url("/en/no-such-story.html"), site.url("/ko/removed.html"), refused_url()]
    Store.open(f"sqlite:///{db}").close()  # a dry run reads a corpus, makes none
    dry = runner.invoke(app, ["backfill", "--urls", *gone, "--dry-run", "--config", config])
    assert dry.exit_code == EXIT_PASS_FAILED, dry.output
    assert "3 pages: failed 3 (dry run" in dry.output and "HTTP 404" in dry.output
    with pytest.raises(PagesFailed) as previewed:
        asyncio.run(backfill_urls(urls=gone, config_path=config, dry_run=True))
    assert previewed.value.verdict.kind is VerdictKind.ALL_PAGES_FAILED
    assert [p.fate for p in previewed.value.result.pages] == ["failed"] * 3
    assert page_runs(db) == []  # a dry run records nothing

    real = runner.invoke(app, ["backfill", "--urls", *gone, "--config", config])
    assert real.exit_code == EXIT_PASS_FAILED, real.output
    assert "3 pages: failed 3" in real.output  # the summary is printed, every page with it
    assert all(url in real.output for url in gone)
    (run,) = page_runs(db)
    assert run.status is RunStatus.FAILED
    assert run.error and all(url in run.error for url in gone)  # each named, with its error
    assert run.summary["failures_total"] == 3

    state = asyncio.run(backfill_urls(urls=gone, config_path=config, return_state=True))
    assert state.is_failed()


def test_pages_stored_already_are_not_tried_and_one_loaded_page_completes_the_run(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    """The rule is the monitor's (feeds not due count neither way): a page stored already was
    not tried, so a list whose only pages still to load all failed fails, a list with nothing
    left to load completes, and one page loaded among failures completes with the failures
    counted in its summary (exit 0, as a pass with some feeds failing)."""
    config = str(site_config(tmp_path, site))
    db = tmp_path / "corpus.db"
    good, gone = site.url("/en/ftc-ai-inquiry.html"), site.url("/en/no-such-story.html")

    partial = runner.invoke(app, ["backfill", "--urls", good, gone, "--config", config])
    assert partial.exit_code == 0, partial.output
    assert "2 pages: failed 1, new 1" in partial.output
    stored = runner.invoke(app, ["backfill", "--urls", good, "--config", config])
    assert stored.exit_code == 0, stored.output  # nothing left to load: nothing failed
    left = runner.invoke(app, ["backfill", "--urls", good, gone, "--config", config])
    assert left.exit_code == EXIT_PASS_FAILED, left.output
    assert "stored already" in left.output and gone in left.output

    runs = page_runs(db)  # newest first
    assert [r.status for r in runs] == [RunStatus.FAILED, RunStatus.COMPLETED, RunStatus.COMPLETED]
    assert runs[2].summary["failures_total"] == 1 and runs[2].error is None


TASK_SECONDS = 8.0  # the backfill-pages task's timeout here (15 min by default)


def test_a_batch_of_pages_slower_than_its_task_reports_every_page(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `backfill-pages` task gave its downloads no deadline: a batch of pages on a slow
    host outlasted the task's timeout, the run crashed and every page's outcome was lost,
    the page read at once from another host too. Now its downloads end in the task's time, as
    a feeds task's do: the pages read are reported stored, the others failed, each in one
    line (those never requested: list it again)."""
    import flows.backfill as backfill_flows
    from flows.backfill import backfill_urls

    slow = ["/en/deepseek-open-source-week.html", "/en/eu-ai-act-guidance.html"]
    slow += ["/en/ftc-ai-inquiry.html", "/en/phone-review.html", "/en/us-aisi-layoffs.html"]
    for path in slow:  # 1.5 s each, one at a time: 7.5 s, the task has 8
        site.routes[path] = {**site.routes.get(path, {}), "delay": 1.5}
    config = write_config(
        tmp_path, feeds=FEEDS, base=site.base, channels=CHANNELS, fetch={"per_host": 1}
    )
    task = backfill_flows.pages_task.with_options(timeout_seconds=TASK_SECONDS)
    monkeypatch.setattr(backfill_flows, "pages_task", task)
    quick = SiteServer(DEMO_SITE.resolve(), host="127.0.0.2").start()
    try:
        first = quick.url("/ko/ai-basic-act.html")
        urls = [first, *(site.url(p) for p in slow)]
        result = asyncio.run(backfill_urls(urls=urls, config_path=str(config)))
    finally:
        quick.stop()
    fates = {p.url: p for p in result.pages}
    assert fates[first].fate == "new", fates[first]
    late = [p for p in result.pages if p.fate == "failed"]  # cut short, or never requested
    assert late and all(p.error and "\n" not in p.error for p in late), late
    assert any("list it again" in (p.error or "") for p in late), late
    [run] = page_runs(tmp_path / "corpus.db")
    assert run.status is RunStatus.COMPLETED, run
