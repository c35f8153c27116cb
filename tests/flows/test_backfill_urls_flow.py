"""Backfill beyond dates, through the real flows: given pages (`--urls`), `--feed` and
`--topic` filters, progress and dry-run artifacts kept in Prefect."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

# Imported here, not first inside CliRunner: Prefect binds its log handler to the stderr of
# whoever imports it first, and a runner's stream is closed once its command returns.
import flows.backfill  # noqa: F401
import pytest
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus, RunStatus
from newsmon.devsite import SiteServer
from tests.flows.test_backfill_flow import CHANGED_RULES, stored_topics
from tests.flows.test_monitor_flow import (
    CHANNELS,
    FEEDS,
    alerts_posted,
    run_monitor,
    site_config,
)
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")
runner = CliRunner()


def artifacts(key: str) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        return client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        )


def test_backfill_of_given_pages(tmp_path: Path, site: SiteServer, slack: FakeSlack) -> None:
    config = site_config(tmp_path, site)
    db = tmp_path / "corpus.db"
    listed = tmp_path / "pages.txt"
    listed.write_text(
        f"# pasted by a colleague\n{site.url('/en/ftc-ai-inquiry.html')}\n"
        f"{site.url('/en/phone-review.html')}\n",
        encoding="utf-8",
    )
    args = ["backfill", "--urls", str(listed), site.url("/ko/ai-basic-act.html")]
    Store.open(f"sqlite:///{db}").close()  # a dry run reads a corpus, makes none
    dry = runner.invoke(app, [*args, "--dry-run", "--config", str(config)])
    assert dry.exit_code == 0, dry.output
    assert "would store     [policy]" in dry.output and "3 pages: would store 3" in dry.output
    assert stored_topics(db) == {}  # nothing written
    assert artifacts("backfill-urls") and artifacts("backfill-urls-progress")

    quiet = runner.invoke(app, [*args, "--feed", "frontier-wire", "--config", str(config)])
    assert quiet.exit_code == 0, quiet.output
    assert "3 pages: new 3; alerts: off" in quiet.output
    topics = stored_topics(db)
    assert topics["/en/ftc-ai-inquiry.html"] == ["policy"] and topics["/en/phone-review.html"] == []
    store = Store.open(f"sqlite:///{db}")
    try:
        assert (
            store.count_alerts(AlertStatus.SKIPPED) == 2
            and store.count_alerts(AlertStatus.PENDING) == 0
        )
        assert {a.feed for a in store.list_articles()} == {"frontier-wire"}
    finally:
        store.close()
    assert slack.posts == []

    loud = runner.invoke(app, [*args, "--alerts", "--config", str(config)])
    assert loud.exit_code == 0, loud.output
    assert "stored already" in loud.output and "2 sent via slack" in loud.output
    assert sorted(alerts_posted(slack)) == [
        ("/en/ftc-ai-inquiry.html", "#ai-policy"),
        ("/ko/ai-basic-act.html", "#ai-policy"),
    ]
    again = runner.invoke(app, [*args, "--alerts", "--config", str(config)])
    assert again.exit_code == 0 and len(slack.posts) == 2  # announced once
    page_hits = [
        p
        for p in site.paths_requested()
        if p.endswith(("ftc-ai-inquiry.html", "phone-review.html"))
    ]
    assert len(page_hits) == 4  # dry run and first store only: stored pages are not fetched again

    bad = runner.invoke(app, ["backfill", "--urls", "--config", str(config)])
    assert bad.exit_code == 2 and "--urls wants" in bad.output
    topic = runner.invoke(app, [*args, "--topic", "policy", "--config", str(config)])
    assert topic.exit_code == 2


def test_backfill_filters_by_feed_and_topic_and_keeps_the_dry_run_diff(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    run_monitor(site_config(tmp_path, site))
    db = tmp_path / "corpus.db"
    before = stored_topics(db)
    rules = tmp_path / "changed.yaml"
    rules.write_text(CHANGED_RULES, encoding="utf-8")
    config = site_config(tmp_path, site, topics=rules)
    args = ["backfill", "--since", "2000-01-01", "--config", str(config)]

    dry = runner.invoke(app, [*args, "--dry-run", "--topic", "ai-safety"])
    assert dry.exit_code == 0, dry.output
    assert "+ ai-safety" in dry.output and "- policy" not in dry.output  # policy left out
    kept = max(artifacts("backfill-dry-run"), key=lambda a: a.created)  # this run's
    assert "갤럭시" in kept.data and "would add" in kept.data
    assert artifacts("backfill-progress")
    assert stored_topics(db) == before

    wrong = runner.invoke(app, [*args, "--topic", "weather"])
    assert wrong.exit_code == 2 and "weather" in wrong.output

    # Only the English wire feed's articles, and only policy: the Korean Galaxy launch keeps
    # its topics, the FTC story (frontier-wire) loses policy.
    applied = runner.invoke(app, [*args, "--feed", "frontier-wire", "--topic", "policy"])
    assert applied.exit_code == 0, applied.output
    after = stored_topics(db)
    assert "policy" not in after["/en/ftc-ai-inquiry.html"]
    assert after["/ko/galaxy-launch.html"] == before["/ko/galaxy-launch.html"]
    changed = {p for p in after if after[p] != before[p]}
    assert changed and all(p.startswith("/en/") for p in changed)


def test_a_malformed_url_is_refused_up_front_not_a_crash_midway(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    """A line that starts like a URL but is none (an unclosed IPv6 bracket) is a bad list, as a
    non-http line is: exit 2 naming it, before anything is fetched or stored."""
    config = site_config(tmp_path, site)
    listed = tmp_path / "pages.txt"
    listed.write_text(f"{site.url('/en/ftc-ai-inquiry.html')}\nhttp://[::1/x\n", encoding="utf-8")
    out = runner.invoke(app, ["backfill", "--urls", str(listed), "--config", str(config)])
    assert out.exit_code == 2, out.output
    assert "pages.txt:2" in out.output and "http://[::1/x" in out.output
    assert stored_topics(tmp_path / "corpus.db") == {}
    assert site.paths_requested() == []

    # The flow called with such a URL (no CLI in front): that page fails, the others go on.
    from flows.backfill import backfill_urls

    good = site.url("/en/ftc-ai-inquiry.html")
    result = asyncio.run(backfill_urls(urls=[good, "http://[::1/x"], config_path=str(config)))
    assert [(p.url, p.fate) for p in result.pages] == [(good, "new"), ("http://[::1/x", "failed")]
    assert "Invalid IPv6 URL" in (result.pages[1].error or "")
    assert stored_topics(tmp_path / "corpus.db") == {"/en/ftc-ai-inquiry.html": ["policy"]}

    # An emptied list (the Prefect UI's urls field) completed a run of 0 pages; refused now.
    with pytest.raises(ValueError, match="no pages given"):
        asyncio.run(backfill_urls(urls=[], config_path=str(config)))


SLOW_PAGES = [
    "/en/deepseek-open-source-week.html",
    "/en/eu-ai-act-guidance.html",
    "/en/ftc-ai-inquiry.html",
    "/en/phone-review.html",
    "/en/us-aisi-layoffs.html",
    "/ko/galaxy-launch.html",
]


def test_a_list_longer_than_one_task_can_fetch_is_read_in_batches(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The task timeout bounds a batch of pages, as it bounds a batch of 500 articles, not the
    whole list: a list that takes longer than one task's time to fetch (a slow archive, a list of
    thousands) is stored and reported page by page, not cut off by a timeout that crashes the
    run and loses every page's outcome."""
    import flows.backfill as backfill_flows
    from flows.backfill import backfill_urls

    # 1.5 s a page, one at a time: 9 s for the list, more than one task's 7 s; a task of one
    # page has 5 s to spare for its start (opening the corpus, the rules) on a loaded machine
    for path in SLOW_PAGES:
        site.routes[path] = {**site.routes.get(path, {}), "delay": 1.5}
    config = write_config(
        tmp_path, feeds=FEEDS, base=site.base, channels=CHANNELS, fetch={"per_host": 1}
    )
    monkeypatch.setattr(
        backfill_flows, "pages_task", backfill_flows.pages_task.with_options(timeout_seconds=7)
    )
    monkeypatch.setattr(backfill_flows, "PAGES_BATCH", 1)
    urls = [site.url(p) for p in SLOW_PAGES]

    result = asyncio.run(backfill_urls(urls=urls, config_path=str(config)))

    assert [(p.url, p.fate) for p in result.pages] == [(u, "new") for u in urls]
    assert sorted(stored_topics(tmp_path / "corpus.db")) == sorted(SLOW_PAGES)
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        (run,) = store.runs.recent_runs("backfill-urls")
        assert run.status is RunStatus.COMPLETED and run.summary["pages"] == {"new": 6}
    finally:
        store.close()


def test_one_page_listed_under_two_addresses_is_fetched_once_and_the_dry_run_says_so(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    """A list naming one page twice (a tracking variant, a trailing slash): the page is fetched
    once and the second address reported as the same page, and the dry run reports what the
    real run then does, not two pages it would store."""
    from flows.backfill import backfill_urls

    config = str(site_config(tmp_path, site))
    Store.open(
        f"sqlite:///{tmp_path / 'corpus.db'}"
    ).close()  # a dry run reads a corpus, makes none
    page = site.url("/en/ftc-ai-inquiry.html")
    urls = [page, page + "?utm_source=newsletter", site.url("/en/phone-review.html")]

    dry = asyncio.run(backfill_urls(urls=urls, config_path=config, dry_run=True))
    real = asyncio.run(backfill_urls(urls=urls, config_path=config))

    assert [p.fate for p in real.pages] == ["new", "stored already", "new"]
    assert [p.fate for p in dry.pages] == ["would store", "stored already", "would store"]
    assert [p.topics for p in dry.pages] == [p.topics for p in real.pages]
    hits = [p for p in site.paths_requested() if p.endswith("ftc-ai-inquiry.html")]
    assert len(hits) == 2  # once by each run
