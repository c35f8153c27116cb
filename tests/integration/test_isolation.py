"""An unexpected error (a bug, a database refusing one row) stays where it happened: one entry's
error never stops its feed's other entries, one feed's error never stops another feed, and each
is one readable line on the feed's health.

The faults are injected into the real corpus at the one call that stores an article and at the
one call that records a feed's success; everything else (loopback site, fetcher, extraction,
rules, SQLite corpus) is real.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from newsmon.clock import utcnow
from newsmon.config import Config
from newsmon.devsite import SiteServer
from newsmon.health import ProblemKind, assess
from newsmon.pipeline import Context, process_feeds
from tests.support.configs import make_config

FEEDS = [("ko-ai", "/feeds/ko-ai.xml", "ko"), ("en-ai", "/feeds/en-ai.atom", "en")]
POISONED_PAGE = "/ko/national-ai-computing.html"  # one entry of the ko-ai feed


def _config(tmp_path: Path, site: SiteServer) -> Config:
    return make_config(tmp_path, feeds=FEEDS, base=site.base)


def _run(ctx: Context) -> list[Any]:
    async def go() -> list[Any]:
        async with ctx.fetching() as fetcher:
            return await process_feeds(ctx, fetcher, ctx.config.feeds, force=True)

    return asyncio.run(go())


def _stored_links(ctx: Context) -> set[str]:
    return {a.url.split("/", 3)[-1] for a in ctx.store.list_articles(limit=100)}


def _poison(ctx: Context, error: str) -> Callable[..., Any]:
    """Storing the poisoned page's article raises from now on; returns the real call, which
    takes the fault away when put back."""
    real_add = ctx.store.add_article

    def add_article(article: Any, *args: Any, **kwargs: Any) -> Any:
        if article.url.endswith(POISONED_PAGE):
            raise RuntimeError(error)
        return real_add(article, *args, **kwargs)

    ctx.store.add_article = add_article  # type: ignore[method-assign]
    return real_add


def test_one_entrys_error_is_its_own(tmp_path: Path, site: SiteServer) -> None:
    ctx = Context.open(_config(tmp_path, site))
    try:
        real_add = _poison(ctx, "disk said no")
        outcomes = {o.feed: o for o in _run(ctx)}
        assert outcomes["ko-ai"].ok and outcomes["en-ai"].ok
        assert outcomes["ko-ai"].entries_failed == 1
        assert outcomes["en-ai"].entries_failed == 0
        stored = _stored_links(ctx)
        assert POISONED_PAGE.lstrip("/") not in stored
        # the feed's other entries and the other feed were stored all the same
        assert any(s.startswith("ko/") for s in stored)
        assert any(s.startswith("en/") for s in stored)
        health = {h.name: h for h in ctx.store.feed_health()}
        line = health["ko-ai"].last_error or ""
        assert "RuntimeError: disk said no" in line and "\n" not in line

        # nothing is lost: the next pass, with the fault gone, stores the entry
        ctx.store.add_article = real_add  # type: ignore[method-assign]
        _run(ctx)
        assert POISONED_PAGE.lstrip("/") in _stored_links(ctx)
    finally:
        ctx.close()


def test_an_entry_failing_pass_after_pass_shows_in_health(tmp_path: Path, site: SiteServer) -> None:
    """A fault that outlives a pass (a bug that every try of the entry meets) is not left to
    the logs: the feed counts the passes, and from the third on health calls it a problem,
    until a pass stores the entry."""
    ctx = Context.open(_config(tmp_path, site))
    try:
        real_add = _poison(ctx, "a bug")

        def problems() -> list[tuple[ProblemKind, str | None]]:
            report = assess(utcnow(), [], ctx.store.feed_health(), {})
            return [(p.kind, p.subject) for p in report.problems if p.kind != ProblemKind.NO_PASS]

        for passes in (1, 2):
            _run(ctx)
            health = {h.name: h for h in ctx.store.feed_health()}
            assert health["ko-ai"].entry_failure_passes == passes
            assert health["en-ai"].entry_failure_passes == 0
            assert problems() == []
        since = health["ko-ai"].entries_failing_since
        _run(ctx)
        health = {h.name: h for h in ctx.store.feed_health()}
        assert health["ko-ai"].entries_failing_since == since  # the first failing pass
        assert problems() == [(ProblemKind.ENTRIES_FAILING, "ko-ai")]

        ctx.store.add_article = real_add  # type: ignore[method-assign]
        _run(ctx)
        assert POISONED_PAGE.lstrip("/") in _stored_links(ctx)
        health = {h.name: h for h in ctx.store.feed_health()}
        assert (health["ko-ai"].entry_failure_passes, health["ko-ai"].entries_failing_since) == (
            0,
            None,
        )
        assert problems() == []
    finally:
        ctx.close()


def test_one_feeds_error_never_stops_another(tmp_path: Path, site: SiteServer) -> None:
    ctx = Context.open(_config(tmp_path, site))
    try:
        real_success = ctx.store.record_feed_success
        ko_id = ctx.store.sync_feed("ko-ai", site.url("/feeds/ko-ai.xml"), "ko").id

        def record_feed_success(feed_id: int, *args: Any, **kwargs: Any) -> Any:
            if feed_id == ko_id:
                raise KeyError("a bug")
            return real_success(feed_id, *args, **kwargs)

        ctx.store.record_feed_success = record_feed_success  # type: ignore[method-assign]
        outcomes = {o.feed: o for o in _run(ctx)}
        assert not outcomes["ko-ai"].ok
        assert "internal error: KeyError" in (outcomes["ko-ai"].error or "")
        assert outcomes["en-ai"].ok
        assert any(s.startswith("en/") for s in _stored_links(ctx))
        health = {h.name: h for h in ctx.store.feed_health()}
        assert "KeyError" in (health["ko-ai"].last_error or "")
        assert health["en-ai"].consecutive_failures == 0
    finally:
        ctx.close()
