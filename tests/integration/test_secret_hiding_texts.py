"""Texts that strangers wrote pass through `hide_secrets` before they leave (ops notices in
Slack, httpx's log lines, the runs table): a server's words quoting an address urllib cannot
read (`http://[SITE_URL]/…`, a CMS template never filled in) must lose its secrets, not stop
the text, the notice or the request it belongs to."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from newsmon.clock import utcnow
from newsmon.config import Config, FetchConfig
from newsmon.corpus import Store
from newsmon.corpus.records import FeedHealth, RunRecord, RunStatus
from newsmon.devsite import serve
from newsmon.fetch import Fetcher, FetchResult
from newsmon.health import assess
from newsmon.pipeline import (
    Context,
    FeedOutcome,
    PageOutcome,
    backfill_pages,
    deliver,
    process_feed,
)
from newsmon.pipeline.notices import announce_health
from newsmon.report_pages import PagesResult
from newsmon.rules import load_rules
from newsmon.verdict import judge_pages
from tests.flows.test_feed_secrets_flow import corpus_texts_holding
from tests.integration.test_fetch_boundary import story
from tests.support.configs import make_config
from tests.support.delivery import config_path, context
from tests.support.fake_slack import FakeSlack

SECRET = "hunter2secret"
# what a failing feed's server said, as its last error records it (a reason phrase is the
# server's text, quoted as sent)
QUOTED = f"HTTP 503 moved to http://[SITE_URL]/feed?token={SECRET} soon"


def test_an_ops_notice_quoting_an_unreadable_address_is_posted_without_its_secret(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    now = utcnow()
    done = RunRecord(1, "monitor", RunStatus.COMPLETED, now - timedelta(minutes=2), now, {})
    feed = FeedHealth(
        "wire",
        "https://wire.example/feed",
        now - timedelta(minutes=5),
        now - timedelta(days=2),
        QUOTED,
        now - timedelta(minutes=5),
        9,
        10,
        3,
        last_new_at=now - timedelta(hours=1),
    )
    ctx = context(config_path(tmp_path, sqlite_url, ops_channel="#ops"), fake)
    try:
        outcome = announce_health(ctx, assess(now, [done], [feed], {}))
    finally:
        ctx.close()
    assert outcome.error is None and outcome.posted == 1
    [posted] = fake.top_level("#ops")
    assert "wire" in str(posted) and "SITE_URL" in str(posted)
    assert SECRET not in str(posted)


def _answer_once(head: bytes, body: bytes) -> tuple[socket.socket, threading.Thread]:
    """A loopback server that answers one request with `head` (status line, headers) and
    `body`, as sent: a reason phrase http.server would not let through."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(head + f"\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)

    server = threading.Thread(target=answer, daemon=True)
    server.start()
    return listener, server


def test_a_reason_phrase_quoting_an_unreadable_address_fails_no_fetch_when_logs_are_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """httpx logs each answer's reason phrase with the request (INFO): the filter that hides
    secrets in that line raised on `http://[SITE_URL]`, and the exception became the feed's:
    turning logs up to debug a feed failed it."""
    feed = b"<rss version='2.0'><channel><title>x</title></channel></rss>"
    phrase = f"OK see http://[SITE_URL]/x?token={SECRET}".encode()
    listener, server = _answer_once(b"HTTP/1.1 200 " + phrase, feed)
    caplog.set_level(logging.INFO)

    async def go() -> FetchResult:
        fetcher = Fetcher(FetchConfig(retries=0, allow_private_networks=True))
        try:
            url = f"http://127.0.0.1:{listener.getsockname()[1]}/feed.xml"
            return await fetcher.get(url, max_bytes=1 << 20)
        finally:
            await fetcher.aclose()

    try:
        result = asyncio.run(go())
    finally:
        server.join(timeout=10)
        listener.close()
    assert result.ok and result.content == feed, result.error
    assert "SITE_URL" in caplog.text and SECRET not in caplog.text


def test_a_backfill_of_keyed_pages_records_no_key(tmp_path: Path, db_url: str) -> None:
    """`backfill --urls` of pages behind a key (`?apikey=`, `user:password@`): what the run
    records (its row in the runs table, its Prefect artifact, the failure the flow logs) and
    the command prints named each page with its key."""
    (tmp_path / "_routes.json").write_text(json.dumps({}))
    rules = tmp_path / "topics.yaml"
    rules.write_text("version: 1\ntopics:\n  policy:\n    terms: {en: [FTC]}\n")
    store = Store.open(db_url)
    try:
        ctx = Context(Config(fetch=FetchConfig(retries=0)), load_rules(rules), store)
        with serve(tmp_path) as site:
            urls = [
                site.url(f"/story-1?apikey={SECRET}&id=1"),
                site.url("/story-2").replace("://", f"://reader:{SECRET}@"),
            ]

            async def go() -> list[PageOutcome]:
                async with ctx.fetching() as fetcher:
                    return await backfill_pages(ctx, fetcher, urls, dry_run=False)

            pages = asyncio.run(go())
        result = PagesResult(tuple(pages))
        verdict = judge_pages(result.pages)
        assert [p.fate for p in pages] == ["failed", "failed"] and not verdict.ok
        run_id = store.runs.start_run("backfill-urls", utcnow())
        store.runs.finish_run(run_id, RunStatus.FAILED, result.as_dict(), verdict.message)
        [run] = store.runs.recent_runs("backfill-urls", limit=1)
        shown = [
            json.dumps(run.summary),
            run.error or "",
            json.dumps(result.table()),
            *result.cli_lines(),
        ]
        assert all(SECRET not in text for text in shown), shown
        assert "/story-1?apikey=***&id=1" in (run.error or "") and "reader:***@" in (
            run.error or ""
        )
    finally:
        store.close()


def test_a_private_feed_writing_its_key_into_each_link_leaves_it_nowhere(tmp_path: Path) -> None:
    """A private feed (`/feed?apikey=${NEWS_KEY}`) that writes the reader's key into every
    item's link and GUID, as paid newsletters' and trackers' feeds do: the key was stored with
    each article (its URL, its GUID) and went out in every alert's link to the channel."""
    key = f"k-{SECRET}"
    (tmp_path / "_routes.json").write_text(json.dumps({}))
    links = [f"/p{n}.html?apikey={key}&id={n}" for n in range(2)]
    for n in range(2):  # two stories, no copy of one another
        text = "".join(f"{word}{n} " for word in story(seed=n).split())
        (tmp_path / f"p{n}.html").write_text(f"<html><body><article>{text}</article></body></html>")
    with serve(tmp_path) as site:
        items = "".join(
            f"<item><title>story {n}</title><link>{site.url(link).replace('&', '&amp;')}</link>"
            f"<guid>{site.url(link).replace('&', '&amp;')}</guid>"
            f"<description>teaser {n}</description></item>"
            for n, link in enumerate(links)
        )
        (tmp_path / "private.xml").write_text(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}'
            "</channel></rss>"
        )
        config = make_config(
            tmp_path, feeds=[("private", f"/private.xml?apikey={key}")], base=site.base
        )
        ctx = Context.open(config)
        try:

            async def go() -> FeedOutcome:
                async with ctx.fetching() as fetcher:
                    return await process_feed(ctx, fetcher, config.feeds[0], force=True)

            outcome = asyncio.run(go())
        finally:
            ctx.close()
        asked = site.paths_requested()
    assert outcome.ok and outcome.new_articles == 2, outcome
    held = corpus_texts_holding(tmp_path / "corpus.db", SECRET)
    assert held == [], "\n".join(map(str, held))
    with sqlite3.connect(tmp_path / "corpus.db") as con:
        stored = sorted(url for (url,) in con.execute("SELECT url FROM articles"))
    assert stored == [site.url(f"/p{n}.html?id={n}") for n in range(2)]
    assert any(path.startswith("/private.xml?apikey=") for path in asked)  # the feed: keyed


def test_keyed_pages_given_to_backfill_are_stored_and_announced_without_their_key(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """`backfill --urls` of pages behind a key: the page is fetched with it (the publisher
    wants it), but the article stored its URL with the key and the alert posted it to the
    channel. As for a keyed feed's entries (`urls.without_keys_of`), the key is the fetch's
    alone; a page given again, with or without it, is the same stored page."""
    from tests.conftest import DEMO_SITE

    config = config_path(tmp_path, db_url, default_channel="#ai-news")
    with serve(DEMO_SITE) as site:
        urls = [
            site.url(f"/en/ftc-ai-inquiry.html?apikey={SECRET}&id=1"),
            site.url("/en/eu-ai-act-guidance.html").replace("://", f"://reader:{SECRET}@"),
            site.url(f"/en/us-aisi-layoffs.html?PHPSESSID={SECRET}"),  # a browser's session
        ]
        ctx = context(config, fake)
        try:

            async def go(given: list[str]) -> list[PageOutcome]:
                async with ctx.fetching() as fetcher:
                    return await backfill_pages(ctx, fetcher, given, announce=True)

            pages = asyncio.run(go(urls))
            delivered = deliver(ctx, 10)
            again = asyncio.run(go([site.url("/en/ftc-ai-inquiry.html?id=1"), *urls]))
            stored = [a.url for a in ctx.store.list_articles()]
        finally:
            ctx.close()
        asked = site.paths_requested()
    assert [p.fate for p in pages] == ["new", "new", "new"], pages
    assert f"/en/ftc-ai-inquiry.html?apikey={SECRET}&id=1" in asked  # fetched with the key
    assert delivered.sent == 3 and fake.posts
    assert all(SECRET not in str(post) for post in fake.posts), fake.posts
    assert sorted(stored) == [
        site.url("/en/eu-ai-act-guidance.html"),
        site.url("/en/ftc-ai-inquiry.html?id=1"),
        site.url("/en/us-aisi-layoffs.html"),
    ]
    assert [p.fate for p in again] == ["stored already"] * 4


def test_a_keyed_page_stored_with_its_key_before_is_not_stored_again(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    """A corpus from before pages lost their keys holds the page under its keyed address:
    given again, it is that stored page (not fetched, stored or announced a second time)."""
    from newsmon.urls import canonical_url
    from tests.support.articles import new_article

    config = config_path(tmp_path, sqlite_url, default_channel="#n")
    url = f"https://pages.example/story?apikey={SECRET}"
    ctx = context(config, fake)
    try:
        ctx.store.add_article(new_article(canonical_url(url), "body", url=url))

        async def go() -> list[PageOutcome]:
            async with ctx.fetching() as fetcher:
                return await backfill_pages(ctx, fetcher, [url], announce=True)

        [page] = asyncio.run(go())
        assert len(ctx.store.list_articles()) == 1
    finally:
        ctx.close()
    assert page.fate == "stored already", page
