"""The page worker pool with real processes: a page over its time budget is killed and its
worker replaced, a worker over its memory cap fails only its page, the pool starts lazily and
leaves no process after `close`, and `workers: 0` runs in the pass's own process."""

from __future__ import annotations

import asyncio
import time

import psutil

from newsmon.config import Config
from newsmon.rules import load_rules
from newsmon.workers import PageAnalysis, PageFailed, PageJob, PagePool
from tests.conftest import SHIPPED_TOPICS

ARTICLE = (
    "<html><body><article><p>"
    + "Meta released open weights for its new model on Hugging Face, with the checkpoints. " * 6
    + "</p></article></body></html>"
).encode()
BURNER = ("<html><body>" + "<p>x" * 99_000 + "</body></html>").encode()  # 10-25 s of work


def _pool(**extract: object) -> PagePool:
    config = Config(workers=1, extract={"page_timeout_seconds": 1, **extract})
    return PagePool(load_rules(SHIPPED_TOPICS), config)


def _children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


def _grandchildren() -> set[int]:
    me = psutil.Process()
    return {p.pid for p in me.children(recursive=True)} - {p.pid for p in me.children()}


def test_a_page_over_budget_is_killed_and_the_worker_replaced() -> None:
    pool = _pool()
    before = _children()
    try:

        async def go() -> tuple[str, PageAnalysis, float]:
            started = time.monotonic()
            try:
                await pool.analyse(PageJob("https://x.test/burn", BURNER))
            except PageFailed as exc:
                failed = str(exc)
            spent = time.monotonic() - started
            return failed, await pool.analyse(PageJob("https://x.test/a", ARTICLE)), spent

        assert pool._pool is None  # nothing started before the first page
        failed, after, spent = asyncio.run(go())
        assert failed == "extraction exceeded 1 s"
        assert spent < 10
        assert after.extracted.source == "page" and "open-source" in {
            m.topic for m in after.matches
        }
    finally:
        pool.close()
    # the workers (children of the fork server) are gone; the fork server and the resource
    # tracker stay for the next pool
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _grandchildren():
        time.sleep(0.1)
    assert not _grandchildren()
    assert len(_children() - before) <= 2


def test_a_worker_over_its_memory_cap_fails_only_its_page() -> None:
    # how much address space a worker holds once started, then a cap 32 MB above that: the
    # page of 99,000 elements needs more (~100 MB), as a page needing gigabytes would
    probe = _pool(page_timeout_seconds=60)
    try:
        asyncio.run(probe.analyse(PageJob("https://x.test/a", ARTICLE)))
        started = max(psutil.Process(p).memory_info().vms for p in _grandchildren())
    finally:
        probe.close()
    pool = _pool(worker_memory_mb=(started >> 20) + 32, page_timeout_seconds=60)
    try:

        async def go() -> tuple[str, PageAnalysis]:
            try:
                burnt = await pool.analyse(PageJob("https://x.test/burn", BURNER, feed_summary="s"))
                failed = burnt.extracted.note or ""
            except PageFailed as exc:
                failed = str(exc)
            return failed, await pool.analyse(PageJob("https://x.test/a", ARTICLE))

        failed, after = asyncio.run(go())
        # trafilatura gives up with a MemoryError, or the worker dies: either way, the reason
        assert "MemoryError" in failed or "MB of memory" in failed or "died" in failed, failed
        assert after.extracted.source == "page"  # the next page is fine
    finally:
        pool.close()


def test_in_process_mode_for_debugging() -> None:
    config = Config(workers=0)
    pool = PagePool(load_rules(SHIPPED_TOPICS), config)
    before = _children()
    done = asyncio.run(pool.analyse(PageJob("https://x.test/a", ARTICLE)))
    assert done.extracted.source == "page" and done.signature is not None
    assert _children() == before  # no process started
    pool.close()
