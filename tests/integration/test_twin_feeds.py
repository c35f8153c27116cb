"""One feed configured twice: under two names at two spellings of its address, or a feed that
moved onto another configured feed's address (`newsmon feeds` advises "update the
configuration", which makes exactly that). Its stories are one source's, read once."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text, update
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.clock import utcnow
from newsmon.config import load_config
from newsmon.corpus import Store
from newsmon.corpus.schema import ArticleRow, FeedRow
from newsmon.devsite import serve
from newsmon.health import ProblemKind
from newsmon.pipeline import Context, FeedOutcome, process_feeds
from newsmon.pipeline.checkup import health_report
from tests.integration.test_keyed_feed_upgrade import _page
from tests.support.configs import make_config, write_config
from tests.support.passes import feed_pass


def _count(db_url: str, table: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as con:
            return int(con.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def _rss(base: str, count: int) -> str:
    items = "".join(
        f"<item><title>FTC story {n}</title><link>{base}/p{n}.html</link>"
        f"<description>The FTC opened an inquiry, story {n}.</description></item>"
        for n in range(count)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    )


def _passes(
    tmp_path: Path, db_url: str, feeds: list[tuple[str, str]], routes: dict[str, object]
) -> tuple[list[list[FeedOutcome]], list[str]]:
    (tmp_path / "_routes.json").write_text(json.dumps(routes))
    topics = tmp_path / "topics.yaml"
    topics.write_text("version: 1\ntopics:\n  policy:\n    terms: {en: [FTC]}\n")
    for n in range(2):
        (tmp_path / f"p{n}.html").write_text(_page(n))
    results = []
    with serve(tmp_path) as site:
        (tmp_path / "feed.xml").write_text(_rss(site.base, 2))
        config = make_config(
            tmp_path,
            feeds=feeds,
            base=site.base,
            database_url=db_url,
            topics=topics,
            default_channel="#news",
        )
        for _ in range(2):
            ctx = Context.open(config)
            try:

                async def go(ctx: Context) -> list[FeedOutcome]:
                    async with ctx.fetching() as fetcher:
                        if not results:
                            return await process_feeds(ctx, fetcher, config.feeds, force=True)
                        out = []  # as the monitor flow may: each in a batch of its own
                        for feed in config.feeds:
                            out += await process_feeds(ctx, fetcher, [feed], force=True)
                        return out

                results.append(asyncio.run(go(ctx)))
            finally:
                ctx.close()
        asked = site.paths_requested()
    return results, asked


def test_a_feed_configured_twice_is_read_once_and_said(tmp_path: Path, db_url: str) -> None:
    """The same feed under two names, pasted once with a tracking parameter: each of its
    stories got an "also reported by" reply in its thread from the feed itself, every pass
    both were fetched, and nothing told the operator."""
    feeds = [("wire", "/feed.xml"), ("wire-again", "/feed.xml?utm_source=rss")]
    (first, second), asked = _passes(tmp_path, db_url, feeds, {})
    assert _count(db_url, "alerts") == 2
    assert _count(db_url, "alert_replies") == 0
    for outcomes in (first, second):
        wire, again = outcomes
        assert wire.ok and not wire.warning
        assert again.warning and "wire" in again.warning, again
    assert [p.partition("?")[0] for p in asked].count("/feed.xml") == 2  # once a pass


def test_a_feed_moved_onto_another_configured_feed_s_address_is_read_once(
    tmp_path: Path, db_url: str
) -> None:
    """A feed whose publisher moved it (301) to where another configured feed is: from the
    pass that found the move on, the two were one feed fetched twice a pass, and `newsmon
    feeds` advised to configure the moved-to address, a second time."""
    feeds = [("wire", "/feed.xml"), ("regional", "/old.xml")]
    routes = {"/old.xml": {"status": 301, "body": "", "headers": {"Location": "/feed.xml"}}}
    (first, second), asked = _passes(tmp_path, db_url, feeds, routes)
    assert first[1].ok and "moved permanently" in (first[1].warning or ""), first[1]
    assert second[0].ok and not second[0].warning
    assert asked.count("/old.xml") == 1
    assert asked.count("/feed.xml") == 3  # wire's two, the move followed once
    # the pass that found the move read the feed twice: its stories stored and alerted once,
    # no "also reported by" reply from the feed itself
    assert (_count(db_url, "articles"), _count(db_url, "alerts")) == (2, 2)
    assert _count(db_url, "alert_replies") == 0
    assert second[1].twin_of == "wire" and "remove one" in (second[1].warning or ""), second[1]
    shown = CliRunner().invoke(app, ["feeds", "--config", str(tmp_path / "newsmon.yaml")])
    assert shown.exit_code == 0, shown.output
    assert "update the configuration" not in shown.output
    assert "regional                     same feed as wire" in shown.output
    assert "not fetched (wire reads it): remove one of them" in shown.output
    listed = CliRunner().invoke(
        app, ["feeds", "--json", "--config", str(tmp_path / "newsmon.yaml")]
    )
    same = {f["name"]: f["same_feed_as"] for f in json.loads(listed.output)["feeds"]}
    assert same == {"wire": None, "regional": "wire"}


def test_a_feed_configured_first_that_moves_onto_another_s_address_leaves_it_the_reader(
    tmp_path: Path, db_url: str
) -> None:
    """The first configured of the two read their stories from the pass after the move: the
    other had stored them, so each got an "also reported by" reply from the feed itself. The
    feed configured at the address reads it, as it did before; the moved one is the twin."""
    feeds = [("regional", "/old.xml"), ("wire", "/feed.xml")]
    routes = {"/old.xml": {"status": 301, "body": "", "headers": {"Location": "/feed.xml"}}}
    (first, second), asked = _passes(tmp_path, db_url, feeds, routes)
    assert first[0].twin_of == second[0].twin_of == "wire", (first[0], second[0])
    assert first[1].new_articles == 2 and not second[1].twin_of, second[1]
    assert (_count(db_url, "alerts"), _count(db_url, "alert_replies")) == (2, 0)
    assert asked.count("/old.xml") == 1


def test_a_feed_that_moved_where_no_other_is_is_still_to_be_updated(
    tmp_path: Path, db_url: str
) -> None:
    """The advice stays for a move onto an address no other configured feed has."""
    feeds = [("regional", "/old.xml")]
    routes = {"/old.xml": {"status": 301, "body": "", "headers": {"Location": "/feed.xml"}}}
    _passes(tmp_path, db_url, feeds, routes)
    shown = CliRunner().invoke(app, ["feeds", "--config", str(tmp_path / "newsmon.yaml")])
    assert "/feed.xml: update the configuration" in shown.output, shown.output
    assert "same feed" not in shown.output


def test_a_twin_is_not_called_silent_when_it_is_not_fetched(tmp_path: Path, db_url: str) -> None:
    """A feed read as its twin gets no checks nor sightings of its own: once `silent_for` had
    passed since it was last read, `newsmon health` called it silent ("brought no new article
    for 10 days"), the wrong reason, and `newsmon feeds --json` showed it `silent`. Its state
    is `twin` now, never a problem (each pass's warning already says to remove one)."""
    url = "https://wire.example/feed.xml"
    feeds = [("wire", url), ("wire-again", url + "?utm_source=rss")]
    config = write_config(tmp_path, feeds=feeds, database_url=db_url)
    store = Store.open(db_url)
    try:
        then = utcnow() - timedelta(days=10)
        for name, address in feeds:  # both read once, ten days ago; since, only `wire` is
            store.sync_feed(name, address, "en")
        with store.session() as s:
            s.execute(
                update(FeedRow).values(created_at=then, last_checked_at=then, last_success_at=then)
            )
            s.execute(
                update(FeedRow).where(FeedRow.name == "wire").values(last_checked_at=utcnow())
            )
        report = health_report(store, load_config(config), utcnow())
    finally:
        store.close()
    states = {v.health.name: v.state.value for v in report.feeds}
    assert states["wire-again"] == "twin", states
    silent = [p.subject for p in report.problems if p.kind is ProblemKind.FEED_SILENT]
    assert silent == ["wire"], report.problems  # the feed read is judged as before
    listed = CliRunner().invoke(app, ["feeds", "--json", "-c", str(config)])
    by_name = {f["name"]: f for f in json.loads(listed.output)["feeds"]}
    assert by_name["wire-again"]["state"] == "twin", by_name["wire-again"]
    assert by_name["wire-again"]["same_feed_as"] == "wire"


def test_a_twin_s_pages_waiting_for_a_retry_are_still_read(tmp_path: Path, db_url: str) -> None:
    """A feed stored a story from its teaser (its page timed out) and became a twin before the
    page's retry: the twin is not fetched, and its pages were never tried again (the first
    feed knows the story, so fetches no page either): the story stayed a teaser, what its page
    would have shown never classified. They are tried under the twin's claim, as a feed's that
    is not due, without fetching it."""
    topics = tmp_path / "topics.yaml"
    topics.write_text("version: 1\ntopics:\n  policy:\n    terms: {en: [FTC]}\n")
    (tmp_path / "p0.html").write_text(_page(0))

    with serve(tmp_path) as site:
        (tmp_path / "feed.xml").write_text(_rss(site.base, 1))
        options: dict[str, Any] = {
            "base": site.base,
            "database_url": db_url,
            "topics": topics,
            "default_channel": "#news",
        }
        site.routes["/p0.html"] = {"status": 503}  # down: the story is stored from its teaser
        feed_pass(make_config(tmp_path, feeds=[("wire-again", "/feed.xml")], **options))
        del site.routes["/p0.html"]
        engine = create_engine(db_url)
        try:
            with engine.begin() as con:  # its retry is due now
                waiting = con.execute(
                    update(ArticleRow)
                    .where(ArticleRow.page_retry_at.is_not(None))
                    .values(page_retry_at=utcnow() - timedelta(minutes=1))
                ).rowcount
            assert waiting == 1
            twins = [("wire", "/feed.xml?utm_source=rss"), ("wire-again", "/feed.xml")]
            feed_pass(make_config(tmp_path, feeds=twins, **options))
            with engine.connect() as con:
                left = con.execute(
                    select(func.count()).where(ArticleRow.page_retry_at.is_not(None))
                ).scalar_one()
        finally:
            engine.dispose()
        asked = site.paths_requested()
    assert asked.count("/p0.html") == 2, asked
    assert left == 0
