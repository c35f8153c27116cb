"""A page's budget is its worker's CPU time, with real worker processes: a page burning CPU is
killed at about its budget in CPU seconds, an ordinary page on a loaded machine (busy-loop
processes on the worker's core) is analysed where the old wall-clock budget stored it from its
teaser, and a worker that stops computing is killed by the wall-clock backstop, which says so.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import psutil
import pytest

from newsmon.config import Config
from newsmon.rules import load_rules
from newsmon.workers import PageAnalysis, PageFailed, PageJob, PagePool, Stop, analyse
from tests.conftest import SHIPPED_TOPICS

BURNER = ("<html><body>" + "<p>x" * 99_000 + "</body></html>").encode()  # 10-25 s of CPU
WARM = b"<html><body><article><p>" + b"A short article about open weights. " * 20 + b"</p>"
# an ordinary, long Korean story (~190 KB): its topics are in its body only
PARAGRAPH = (
    "<p>과학기술정보통신부는 오늘 인공지능 안전 연구소의 새 평가 기준을 발표했다. 연구진은 "
    "대규모 언어 모델의 위험을 점검하고, 오픈소스 공개 모델의 가중치 공개에 따른 영향을 "
    "분석했다고 밝혔다. 관계자는 {}번째 사례를 들어 설명했다.</p>"
)
STORY = (
    "<html><head><title>연구소 발표</title></head><body><article><h1>연구소 발표</h1>"
    + "".join(PARAGRAPH.format(i) for i in range(600))
    + "</article></body></html>"
).encode()
LOADERS = 6  # busy loops on the worker's one core: it gets a seventh of it at most


def _pool(seconds: float, backstop_factor: float) -> PagePool:
    config = Config(workers=1, extract={"page_timeout_seconds": seconds})
    return PagePool(load_rules(SHIPPED_TOPICS), config, backstop_factor=backstop_factor)


def _worker() -> psutil.Process:
    """The pool's one worker: the fork server's child."""
    me = psutil.Process()
    workers = [p for p in me.children(recursive=True) if p.ppid() != me.pid]
    assert len(workers) == 1, workers
    return workers[0]


@contextmanager
def _busy_core(core: int, count: int) -> Iterator[None]:
    """`count` processes spinning on `core`, killed at the end."""
    spin = [sys.executable, "-c", "while True: pass"]
    loaders = [subprocess.Popen(spin) for _ in range(count)]
    try:
        for loader in loaders:
            os.sched_setaffinity(loader.pid, {core})
        time.sleep(0.2)  # spinning before the page starts
        yield
    finally:
        for loader in loaders:
            loader.kill()
        for loader in loaders:
            loader.wait()


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def test_a_page_burning_cpu_is_killed_at_about_its_budget_in_cpu_seconds() -> None:
    # a backstop far away: what kills the burner is its CPU time
    pool = _pool(2, backstop_factor=30)
    try:

        async def go() -> tuple[PageFailed, float]:
            await pool.analyse(PageJob("https://x.test/warm", WARM))
            worker = _worker()
            start = _cpu(worker)
            burning = asyncio.ensure_future(pool.analyse(PageJob("https://x.test/b", BURNER)))
            spent = 0.0
            while not burning.done():
                with suppress(psutil.NoSuchProcess, psutil.ZombieProcess):  # it died
                    spent = _cpu(worker) - start
                await asyncio.sleep(0.05)
            with pytest.raises(PageFailed) as failed:
                await burning
            return failed.value, spent

        failed, spent = asyncio.run(go())
        assert failed.stop is Stop.TIME and str(failed) == "extraction exceeded 2 s"
        # the kernel counts whole seconds: the budget, and less than one more
        assert 1.7 <= spent <= 3.2, spent  # sampled every 0.05 s, on a loaded machine too
    finally:
        pool.close()


def test_an_ordinary_page_on_a_loaded_machine_is_analysed_within_its_cpu_budget() -> None:
    """The story needs a fraction of a second of CPU; its budget is two and a half times that
    (rounded up to 0.1 s). Its worker shares one core with six busy loops: in wall time it
    needs seven times its CPU at least, and the old wall-clock budget stored it from its
    teaser, its topics missed. The backstop is set far (10 budgets) so that what the test
    measures is the CPU budget, not how loaded the rest of the machine is."""
    rules = load_rules(SHIPPED_TOPICS)
    job = PageJob("https://news.test/story", STORY, language="ko", feed_title="연구소 발표")
    analyse(job, rules)  # warm: what is measured is the page, not first-use caches
    before = time.process_time()
    analyse(job, rules)
    needs = time.process_time() - before
    budget = max(0.3, math.ceil(25 * needs) / 10)
    pool = _pool(budget, backstop_factor=10)
    core = min(os.sched_getaffinity(0))
    try:

        async def go() -> tuple[PageAnalysis, float]:
            await pool.analyse(job)  # the worker started and warm, before the load
            os.sched_setaffinity(_worker().pid, {core})
            with _busy_core(core, LOADERS):
                started = time.monotonic()
                analysis = await pool.analyse(job)
                return analysis, time.monotonic() - started

        analysis, wall = asyncio.run(go())
    finally:
        pool.close()
    assert wall > budget  # over the old wall-clock budget: it is loaded
    assert analysis.extracted.source == "page"
    assert {"open-source", "ai-safety"} <= {m.topic for m in analysis.matches}


def test_a_worker_that_stops_computing_is_killed_by_the_wall_clock_backstop() -> None:
    pool = _pool(1, backstop_factor=3)
    try:

        async def go() -> tuple[PageFailed, float]:
            await pool.analyse(PageJob("https://x.test/warm", WARM))
            worker = _worker()
            started = time.monotonic()
            stalled = asyncio.ensure_future(pool.analyse(PageJob("https://x.test/b", BURNER)))
            await asyncio.sleep(0.05)
            worker.send_signal(signal.SIGSTOP)  # a stopped process: no CPU, no end
            with pytest.raises(PageFailed) as failed:
                await stalled
            return failed.value, time.monotonic() - started

        failed, wall = asyncio.run(go())
    finally:
        pool.close()
    assert failed.stop is Stop.STALLED
    assert str(failed) == "extraction stalled: not done in 3 s of wall time (budget 1 s)"
    assert 2.9 <= wall < 10, wall
