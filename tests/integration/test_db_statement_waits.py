"""A statement that runs past `statement_timeout` on PostgreSQL ends as the lock bound's does:
`CorpusBusy` (`Wait.STATEMENT`), one line naming what ran, for how long, and who holds a lock,
and a pass goes on with its next feed. Read-only commands get the bound from newsmon
(`waits.READ_STATEMENT_SECONDS`, 5 minutes; shortened here); a pass only from the operator
(`?options=-c statement_timeout=…`), which newsmon keeps. A statement is held past its bound
by another session's lock, with a lock bound longer than the statement's."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import EXIT_DATABASE, app
from newsmon.config import load_config
from newsmon.corpus import Store, waits
from newsmon.corpus.records import FeedSpec
from newsmon.devsite import serve
from newsmon.pipeline import Context, FeedOutcome, process_feeds
from tests.integration.test_db_lock_waits import WATCHDOG_SECONDS, Holder, held, pg_url
from tests.support.configs import write_config
from tests.support.synthetic_site import write_site

__all__ = ["pg_url"]  # the fixture, shared with the lock bound's tests


def _operators_bound(url: str, bound: str) -> str:
    """`url` with the operator's own `statement_timeout` in its connection options."""
    return url.replace("options=-c", f"options=-cstatement_timeout%3D{bound}%20-c")


def test_health_whose_read_runs_past_its_statement_bound_says_so_in_one_line(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`newsmon health` in cron: the statement bound (not the lock bound) ends its read."""
    monkeypatch.setattr(waits, "READ_STATEMENT_SECONDS", 0.5)  # 300 s in production
    monkeypatch.setattr(waits, "READ_LOCK_SECONDS", WATCHDOG_SECONDS)  # 15 s: never first
    monkeypatch.setenv("NEWSMON_DATABASE_URL", pg_url)
    config = write_config(tmp_path, feeds=[("news", "http://127.0.0.1:9/feed")])
    with held(pg_url, "LOCK TABLE runs IN ACCESS EXCLUSIVE MODE"):
        started = time.monotonic()
        result = CliRunner().invoke(app, ["health", "--json", "--config", str(config)])
        elapsed = time.monotonic() - started
    assert elapsed < WATCHDOG_SECONDS - 3, f"health ran {elapsed:.1f} s"
    assert result.exit_code == EXIT_DATABASE, result.output
    [line] = result.output.strip().splitlines()
    assert "database busy" in line and "(statement_timeout)" in line, line
    assert "500ms" in line and "locker_pgwait" in line, line  # its bound; who held it up
    assert ":newsmon@" not in result.output  # no password


def test_a_write_past_the_operators_statement_bound_is_corpus_busy(pg_url: str) -> None:
    """The typed outcome, not the driver's error: callers read `wait`, never the wording."""
    store = Store.open(_operators_bound(pg_url, "300ms"))
    try:
        feed = store.sync_feeds([FeedSpec("news", "http://127.0.0.1:9/feed", None)])["news"]
        with held(pg_url, "LOCK TABLE feeds IN EXCLUSIVE MODE"):
            started = time.monotonic()
            with pytest.raises(waits.CorpusBusy) as busy:
                store.record_feed_failure(feed.id, "DNS lookup failed")
            elapsed = time.monotonic() - started
    finally:
        store.close()
    assert elapsed < 5, f"the write ran {elapsed:.1f} s, past its 0.3 s bound"
    assert busy.value.wait is waits.Wait.STATEMENT
    line = str(busy.value)
    assert "UPDATE on feeds ran 300ms and was stopped (statement_timeout)" in line, line
    assert "\n" not in line and "[SQL:" not in line


def test_a_pass_past_the_operators_statement_bound_goes_on_with_its_next_feed(
    tmp_path: Path, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Another session holds the `feeds` table: the first feed's claim runs past the bound,
    the pass goes on to the next feed, and each feed's outcome is one line; neither stops
    the pass."""
    url = _operators_bound(pg_url, "300ms")
    site = write_site(tmp_path / "site", feeds=2, items=1)
    with serve(site.root) as server:
        cfg = load_config(
            write_config(
                tmp_path,
                feeds=site.feed_list(),
                base=server.base,
                database_url=url,
                fetch={"max_connections": 1},  # one feed claimed at a time
            )
        )
        ctx = Context.open(cfg)
        # the feeds are known (an earlier pass): the batch's start only reads them
        ctx.store.sync_feeds([FeedSpec(f.name, f.url, f.language) for f in cfg.feeds])
        holder = Holder(pg_url, "LOCK TABLE feeds IN EXCLUSIVE MODE")

        async def one_pass() -> list[FeedOutcome]:
            async with ctx.fetching() as fetcher:
                return await process_feeds(ctx, fetcher, cfg.feeds)

        holder.take()  # held until the pass is over (at most WATCHDOG_SECONDS)
        started = time.monotonic()
        try:
            outcomes = asyncio.run(one_pass())
            elapsed = time.monotonic() - started
        finally:
            holder.release()
            ctx.close()
    assert elapsed < WATCHDOG_SECONDS - 3, f"the pass ran {elapsed:.1f} s"
    names = [name for name, _, _ in site.feed_list()]
    assert [o.feed for o in outcomes] == names  # the second feed was tried after the first
    for outcome in outcomes:
        assert not outcome.ok and "database busy" in (outcome.error or ""), outcome
        assert "(statement_timeout)" in (outcome.error or ""), outcome
    said = [r.getMessage() for r in caplog.records]
    assert any(names[1] in line and "statement_timeout" in line for line in said)
    assert not [line for line in said if "[SQL:" in line or "\n" in line]
