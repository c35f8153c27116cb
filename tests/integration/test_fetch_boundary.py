"""The network boundary against a real loopback server: bodies cut short, answers that are not
a page's or a feed's, and a busy host's queue, through the fetcher and through the pipeline."""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import zlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from newsmon.clock import utcnow
from newsmon.config import Config, FetchConfig
from newsmon.corpus.records import FeedHealth
from newsmon.corpus.schema import ArticleRow
from newsmon.devsite import SiteServer, serve
from newsmon.fetch import FailureKind, Fetcher, FetchResult
from newsmon.pipeline import Context
from newsmon.turns import deadline_in, downloads_until
from tests.support.configs import make_config
from tests.support.passes import feed_pass

MB = 1024 * 1024
WORDS = [
    "the",
    "lab",
    "released",
    "open",
    "model",
    "weights",
    "training",
    "code",
    "data",
    "researchers",
    "said",
    "license",
]


def story(seed: int = 7, sentences: int = 80) -> str:
    """Article text that does not compress to nothing: half its gzip is half its words."""
    pick = random.Random(seed).choice
    return "".join(
        "<p>" + " ".join(pick(WORDS) for _ in range(14)).capitalize() + ".</p>"
        for _ in range(sentences)
    )


STORY = story()
PAGE = f"<html><head><title>Weights</title></head><body><article>{STORY}</article></body></html>"


def rss(*links: str) -> str:
    items = "".join(
        f"<item><title>story {i}</title><link>{link}</link><description>teaser {i}</description>"
        "</item>"
        for i, link in enumerate(links)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    )


def cut(data: bytes) -> bytes:
    """A compressed body missing its end: what a server sends when its upstream dies mid-file."""
    return data[: len(data) // 2]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteServer]:
    root = tmp_path / "site"
    root.mkdir()
    gzipped = gzip.compress(PAGE.encode())
    (root / "page.html").write_text(PAGE)
    (root / "page.gz").write_bytes(gzipped)
    (root / "cut.gz").write_bytes(cut(gzipped))
    half = len(PAGE) // 2  # one page in two gzip members, as `gzip -c a b` or a CDN writes it
    (root / "members.gz").write_bytes(
        gzip.compress(PAGE[:half].encode()) + gzip.compress(PAGE[half:].encode())
    )
    (root / "cut.deflate").write_bytes(cut(zlib.compress(PAGE.encode())))
    (root / "feed-cut.gz").write_bytes(
        cut(gzip.compress(rss("/page.html", "/other.html").encode()))
    )
    (root / "cut-page.xml").write_text(rss("/cut-page"))
    (root / "odd-answers.xml").write_text(rss("/always-304", "/no-location"))
    (root / "empty-page.xml").write_text(rss("/empty-page", "/blank-page"))
    html = "text/html; charset=utf-8"
    routes = {
        "/whole-page": {
            "file": "page.gz",
            "content_type": html,
            "headers": {"Content-Encoding": "gzip"},
        },
        "/members-page": {
            "file": "members.gz",
            "content_type": html,
            "headers": {"Content-Encoding": "gzip"},
        },
        "/cut-page": {
            "file": "cut.gz",
            "content_type": html,
            "headers": {"Content-Encoding": "gzip"},
        },
        "/cut-deflate": {
            "file": "cut.deflate",
            "content_type": html,
            "headers": {"Content-Encoding": "deflate"},
        },
        "/cut-feed.xml": {
            "file": "feed-cut.gz",
            "content_type": "application/rss+xml",
            "headers": {"Content-Encoding": "gzip"},
        },
        "/empty.xml": {"body": "", "content_type": "application/rss+xml"},
        "/blank.xml": {"body": "\r\n \n", "content_type": "application/rss+xml"},
        "/steady": {"delay": 0.4, "file": "page.html"},
        "/stuck": {"delay": 3.0, "file": "page.html"},
        "/always-304": {"status": 304, "body": ""},
        "/no-location": {"status": 302, "body": "moved somewhere"},
        "/empty-gzip": {"body": "", "content_type": html, "headers": {"Content-Encoding": "gzip"}},
        "/empty-page": {"body": "", "content_type": html},
        "/blank-page": {"body": " \r\n ", "content_type": html},
    }
    (root / "_routes.json").write_text(json.dumps(routes))
    with serve(root) as server:
        yield server


def fetch(url: str, config: FetchConfig | None = None, **kwargs: object) -> FetchResult:
    async def go() -> FetchResult:
        fetcher = Fetcher(config or FetchConfig(retries=0, allow_private_networks=True))
        try:
            return await fetcher.get(url, max_bytes=MB, **kwargs)  # type: ignore[arg-type]
        finally:
            await fetcher.aclose()

    return asyncio.run(go())


def stored(config: Config) -> list[ArticleRow]:
    ctx = Context.open(config)
    try:
        with ctx.store.session() as s:
            return list(s.scalars(select(ArticleRow)))
    finally:
        ctx.close()


def test_a_whole_gzip_page_is_read(site: SiteServer) -> None:
    page = fetch(site.url("/whole-page"))
    assert page.ok and page.content == PAGE.encode()


def test_a_gzip_page_of_several_members_is_read_whole(site: SiteServer) -> None:
    """Concatenated gzip members are one body (RFC 1952; browsers and curl read them all):
    only the first was decoded, so the page's second half was silently lost and the first
    stored as the whole article."""
    page = fetch(site.url("/members-page"))
    assert page.ok and page.content == PAGE.encode()


@pytest.mark.parametrize("path", ["/cut-page", "/cut-deflate", "/cut-feed.xml"])
def test_a_compressed_body_that_ends_early_is_a_failed_fetch(site: SiteServer, path: str) -> None:
    """Half a gzip or deflate stream was taken as the whole body: the page's first half stored
    as the article's complete text, never tried again; a feed's first half parsed as the feed."""
    result = fetch(site.url(path))
    assert not result.ok and result.content == b""
    assert result.failure is FailureKind.PROTOCOL and result.transient
    assert result.error is not None and "ended early" in result.error


def test_a_cut_compressed_body_is_tried_again_within_the_pass(site: SiteServer) -> None:
    fetch(site.url("/cut-page"), FetchConfig(retries=1, allow_private_networks=True))
    assert site.paths_requested().count("/cut-page") == 2


def test_an_empty_body_marked_gzip_is_an_empty_body(site: SiteServer) -> None:
    """No bytes at all is not a stream cut short (servers mark empty answers gzip too)."""
    empty = fetch(site.url("/empty-gzip"))
    assert empty.ok and empty.content == b""


def test_a_page_cut_short_is_stored_from_its_teaser_and_tried_again(
    tmp_path: Path, site: SiteServer
) -> None:
    config = make_config(tmp_path, feeds=[("f", "/cut-page.xml")], base=site.base)
    before = utcnow()
    outcome = feed_pass(config)["f"]
    assert outcome.ok
    (article,) = stored(config)
    assert article.text_source != "page"  # not half an article passed off as the article
    assert article.page_retry_at is not None and article.page_retry_at > before
    assert article.page_retry_at - before < timedelta(hours=1)  # soft: minutes, not hours


def test_an_empty_page_is_stored_from_its_teaser_and_tried_again(
    tmp_path: Path, site: SiteServer
) -> None:
    """A page answered 200 with nothing (a server mid-deploy) was a page read: stored from the
    feed's teaser for good, never tried again, its page-only topics never found."""
    config = make_config(tmp_path, feeds=[("f", "/empty-page.xml")], base=site.base)
    before = utcnow()
    outcome = feed_pass(config)["f"]
    assert outcome.ok and outcome.pages_failed == 2
    articles = stored(config)
    assert len(articles) == 2
    for article in articles:
        assert article.page_attempts == 1 and article.page_retry_at is not None
        assert article.page_retry_at - before < timedelta(hours=1)  # soft: minutes, not hours
        assert (article.extraction_note or "").startswith(
            "page fetch failed: the page's answer was empty (HTTP 200)"
        ), article.extraction_note


@pytest.mark.parametrize(
    ("path", "status"), [("/always-304", "HTTP 304 Not Modified"), ("/no-location", "HTTP 302")]
)
def test_an_answer_that_is_not_the_page_is_a_typed_failure(
    site: SiteServer, path: str, status: str
) -> None:
    """A page is asked for unconditionally: a 304 (or a redirect going nowhere) has no page in
    it. It was neither ok nor failed, and was stored as 'page fetch failed: None'."""
    page = fetch(site.url(path))
    assert not page.ok and not page.not_modified
    assert page.failure is FailureKind.PROTOCOL
    assert page.error is not None and page.error.startswith(status)


def test_a_304_to_a_conditional_request_is_not_modified(site: SiteServer) -> None:
    first = fetch(site.url("/page.html"))
    again = fetch(site.url("/page.html"), etag=first.headers["etag"])
    assert again.not_modified and again.failure is None and again.error is None


def test_pages_answered_304_or_302_without_location_are_stored_with_a_reason(
    tmp_path: Path, site: SiteServer
) -> None:
    config = make_config(tmp_path, feeds=[("f", "/odd-answers.xml")], base=site.base)
    assert feed_pass(config)["f"].ok
    notes = sorted(a.extraction_note or "" for a in stored(config))
    assert len(notes) == 2 and not any("None" in note for note in notes), notes
    assert notes[0].startswith("page fetch failed: HTTP 302"), notes
    assert notes[1].startswith("page fetch failed: HTTP 304 Not Modified"), notes


def test_a_new_feed_answered_304_is_failing_not_unchanged(tmp_path: Path, site: SiteServer) -> None:
    """A feed never read has no validators to send: a 304 then is a broken server, and the feed
    was recorded as read and unchanged, pass after pass, healthy and never read."""
    config = make_config(tmp_path, feeds=[("f", "/always-304")], base=site.base)
    outcome = feed_pass(config)["f"]
    assert not outcome.ok and not outcome.not_modified
    ctx = Context.open(config)
    try:
        (health,) = ctx.store.feed_health()
    finally:
        ctx.close()
    assert health.consecutive_failures == 1 and health.failure_kind == "soft"
    assert (
        health.last_error == "HTTP 304 Not Modified: answered to a request that was not conditional"
    )


def feed_health(config: Config) -> dict[str, FeedHealth]:
    ctx = Context.open(config)
    try:
        return {h.name: h for h in ctx.store.feed_health()}
    finally:
        ctx.close()


def test_an_empty_feed_answer_is_a_soft_failure(tmp_path: Path, site: SiteServer) -> None:
    """Publishers' servers answer 200 with nothing during a deploy. That was 'not a feed', a hard
    failure: the feed not polled for an hour (then two, four...) after a blip of seconds, and
    `newsmon feeds` telling the operator the URL serves something else."""
    config = make_config(
        tmp_path, feeds=[("empty", "/empty.xml"), ("blank", "/blank.xml")], base=site.base
    )
    before = utcnow()
    outcomes = feed_pass(config)
    health = feed_health(config)
    for name in ("empty", "blank"):
        assert not outcomes[name].ok
        h = health[name]
        assert h.failure_kind == "soft" and h.consecutive_failures == 1, name
        assert h.next_check_at is not None and h.next_check_at - before < timedelta(minutes=10)
        assert h.last_error == "the feed's answer was empty (HTTP 200)", name
    site.routes["/empty.xml"] = {"body": rss("/page.html"), "content_type": "application/rss+xml"}
    assert feed_pass(config)["empty"].ok  # the deploy is over: read at once


def fetch_together(urls: list[str], config: FetchConfig) -> list[FetchResult]:
    """The URLs at once through one fetcher, as a feed's new pages are (each in its turn)."""

    async def go() -> list[FetchResult]:
        fetcher = Fetcher(config)
        try:
            got = (fetcher.get(u, max_bytes=MB, in_turn=True) for u in urls)
            return list(await asyncio.gather(*got))
        finally:
            await fetcher.aclose()

    return asyncio.run(go())


def test_waiting_for_a_busy_hosts_slot_is_not_the_fetchs_time(site: SiteServer) -> None:
    """Six pages of one host, each answered in 0.4 s, one at a time (per_host 1) within a 1 s
    budget: the later ones timed out in the queue ('took longer than 1s') though the host was
    never slow, and were stored as teasers."""
    config = FetchConfig(retries=0, per_host=1, total_timeout=1.0, allow_private_networks=True)
    pages = fetch_together([site.url(f"/steady?n={n}") for n in range(6)], config)
    assert [p.failure for p in pages] == [None] * 6
    assert all(p.ok and p.content == PAGE.encode() for p in pages)
    assert site.max_in_flight == 1  # still one at a time


def test_a_feed_waits_for_a_busy_hosts_connection_no_longer_than_its_timeout(
    site: SiteServer,
) -> None:
    """Only a page's wait is bounded by its turn (its feed's deadline); a feed download queued
    behind a host's pages waits `total_timeout` at most, with a line that says so: fifty feeds
    of one slow host would otherwise queue past the batch's timeout."""
    config = FetchConfig(retries=0, per_host=1, total_timeout=1.0, allow_private_networks=True)

    async def go() -> tuple[list[FetchResult], FetchResult, float]:
        fetcher = Fetcher(config)
        try:
            pages = [
                asyncio.ensure_future(
                    fetcher.get(site.url(f"/steady?n={n}"), max_bytes=MB, in_turn=True)
                )
                for n in range(6)
            ]  # the host's slot is busy for 6 x 0.4 s
            await asyncio.sleep(0.05)
            started = asyncio.get_running_loop().time()
            feed = await fetcher.get(site.url("/steady?feed"), max_bytes=MB)
            waited = asyncio.get_running_loop().time() - started
            return list(await asyncio.gather(*pages)), feed, waited
        finally:
            await fetcher.aclose()

    pages, feed, waited = asyncio.run(go())
    assert all(p.ok for p in pages)
    assert feed.failure is FailureKind.TIMEOUT
    assert feed.error is not None and feed.error.startswith(
        "waited 1s for a connection to 127.0.0.1"
    )
    assert waited < 2.0  # the pages held the host until about 2.4 s


def test_a_feed_whose_hosts_slot_frees_after_the_tasks_downloads_fails_as_a_timeout(
    site: SiteServer,
) -> None:
    """A feeds task's time for downloads (`downloads_until`) ends a feed's wait for its busy
    host's connection before `total_timeout` does: the feed fails as a timeout of its own, in
    one line, not as the task's internal error."""
    config = FetchConfig(retries=0, per_host=1, total_timeout=5.0, allow_private_networks=True)

    async def go() -> tuple[list[FetchResult], FetchResult, float]:
        fetcher = Fetcher(config)
        try:
            pages = [  # the host's slot is busy for 6 x 0.4 s
                asyncio.ensure_future(
                    fetcher.get(site.url(f"/steady?n={n}"), max_bytes=MB, in_turn=True)
                )
                for n in range(6)
            ]
            await asyncio.sleep(0.05)
            started = asyncio.get_running_loop().time()
            with downloads_until(deadline_in(0.6)):
                feed = await fetcher.get(site.url("/steady?feed"), max_bytes=MB)
            waited = asyncio.get_running_loop().time() - started
            return list(await asyncio.gather(*pages)), feed, waited
        finally:
            await fetcher.aclose()

    pages, feed, waited = asyncio.run(go())
    assert all(p.ok for p in pages)
    assert feed.failure is FailureKind.TIMEOUT and feed.error is not None, feed
    assert feed.error.startswith("waited 0.6s for a connection to 127.0.0.1"), feed.error
    assert "\n" not in feed.error and waited < 1.5, waited


def test_a_slow_answer_still_times_out_after_its_wait(site: SiteServer) -> None:
    config = FetchConfig(retries=0, per_host=1, total_timeout=1.0, allow_private_networks=True)
    first, slow = fetch_together([site.url("/steady"), site.url("/stuck")], config)
    assert first.ok
    assert slow.failure is FailureKind.TIMEOUT and slow.error == "took longer than 1s"
