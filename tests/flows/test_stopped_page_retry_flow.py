"""The real `monitor` flow over a page downloaded whose work a worker stopped through no fault of
the page's: its worker was killed under it twice (`Stop.DIED`: the OOM killer, an operator) or
stopped computing until the wall-clock backstop (`Stop.STALLED`: an overloaded host). The entry
is stored from its teaser, and the page is read again on a later pass: its article replaces the
teaser and the topic only its body holds is announced, once. A page stopped again on every
try counts each and is given up after `fetch.page_retries`.

The worker is found as the pool's one worker computing once the page has been served (a
heavy page keeps it at work ~2 s), and is sent SIGKILL (twice: a page whose worker dies once
is analysed again in a new one) or SIGSTOP (the pool kills it at the backstop).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from sqlalchemy import select

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
TITLE = "Lab ships its new model"
TEASER = "A lab shipped a model on Tuesday."  # no topic: only the article names one
HEAVY = ("<html><body>" + "<p>x" * 25_000 + "</body></html>").encode()  # ~1.6 s of CPU
BUDGET = 4  # CPU seconds a page: the heavy page fits; its stopped worker is killed at 12 s


# CPU a worker spends starting (imports, the rules unpickled): ~0.7 s; one starting is not the
# page's (a worker killed while it starts is another case, test_workers.py)
AT_ITS_TASK_CPU = 1.0


def _workers_cpu(spared: set[int]) -> dict[int, float]:
    me = psutil.Process()
    grandchildren = {p.pid for p in me.children(recursive=True)} - {p.pid for p in me.children()}
    out = {}
    for pid in grandchildren - spared:
        with contextlib.suppress(psutil.Error):
            out[pid] = sum(psutil.Process(pid).cpu_times()[:2])
    return out


def _busy_worker(spared: set[int], deadline: float) -> int | None:
    """The pool's worker (not one of `spared`) computing now past its start: its CPU grows."""
    while time.monotonic() < deadline:
        before = _workers_cpu(spared)
        time.sleep(0.25)
        after = _workers_cpu(spared)
        busy = [
            pid
            for pid, cpu in after.items()
            if cpu - before.get(pid, cpu) > 0.02 and cpu > AT_ITS_TASK_CPU
        ]
        if busy:
            return busy[0]
    return None


class WorkerStopper(threading.Thread):
    """Once `site` has served `path`, sends `sig` to the worker analysing it, `times` times
    (each time to a new worker); `hits` are the workers it reached."""

    def __init__(self, site: SiteServer, sig: signal.Signals, times: int, path: str = PAGE) -> None:
        super().__init__(daemon=True)
        self.site, self.sig, self.times, self.path = site, sig, times, path
        self.served = site.paths_requested().count(path)
        self.hits: list[int] = []

    def run(self) -> None:
        deadline = time.monotonic() + 60
        while self.site.paths_requested().count(self.path) == self.served:
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)
        for _ in range(self.times):
            pid = _busy_worker(set(self.hits), deadline)
            if pid is None:
                return
            os.kill(pid, self.sig)
            self.hits.append(pid)

    def __enter__(self) -> WorkerStopper:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.join(70)
        for pid in self.hits:  # a stopped worker the pool left behind (it kills it: a backstop)
            try:
                if psutil.Process(pid).status() == psutil.STATUS_STOPPED:
                    os.kill(pid, signal.SIGKILL)
            except psutil.Error:
                pass


# how each stop is provoked: the signal, how many workers, and the line stored
STOPS = {
    "died": (signal.SIGKILL, 2, "extraction worker died (signal 9)"),
    "stalled": (
        signal.SIGSTOP,
        1,
        f"extraction stalled: not done in {3 * BUDGET} s of wall time (budget {BUDGET} s)",
    ),
}


class Lines(logging.Handler):
    """The lines a logger wrote (Prefect's logging setup keeps them from caplog)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())


@pytest.fixture
def lines() -> Iterator[Lines]:
    """What the pass's entries said, while the test runs."""
    handler, logger = Lines(), logging.getLogger("newsmon.pipeline.entries")
    level, disabled = logger.level, logger.disabled
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.disabled = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.disabled = disabled


def _site(root: Path) -> None:
    (root / "desk").mkdir(parents=True)
    (root / "desk/hidden.html").write_bytes(HEAVY)
    (root / "feeds").mkdir()
    (root / "feeds/desk.xml").write_bytes(_feed("desk", [_item(TITLE, "{{BASE}}" + PAGE, TEASER)]))


def _config(tmp_path: Path, site: SiteServer, retries: int) -> Path:
    def soon(data: dict[str, object]) -> None:  # every pass may try again
        data["poll"] = {"soft_backoff_minutes": 0.0001}

    return write_one_term_config(
        tmp_path,
        site.base,
        [("desk", "/feeds/desk.xml")],
        None,
        soon,
        fetch={"page_retries": retries},
        extract={"page_timeout_seconds": BUDGET},
    )


def _row(tmp_path: Path) -> ArticleRow:
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        with store.session() as s:
            [row] = s.scalars(select(ArticleRow)).all()
            s.expunge(row)
            return row
    finally:
        store.close()


@pytest.mark.parametrize("how", sorted(STOPS))
def test_a_page_whose_worker_was_stopped_is_read_on_a_later_pass_and_announced_once(
    tmp_path: Path, slack: FakeSlack, lines: Lines, how: str
) -> None:
    sig, times, line = STOPS[how]
    root = tmp_path / "site"
    _site(root)
    with serve(root) as site:
        config = _config(tmp_path, site, retries=2)
        with WorkerStopper(site, sig, times) as stopper:
            totals = run_monitor(config)
        assert (totals.pages_failed, totals.pages_stopped) == (0, 1), totals.line()
        assert len(stopper.hits) == times, "the page's worker was not found at its work"
        first = _row(tmp_path)
        assert (first.text_source, first.text) == ("feed-summary", TEASER)
        assert first.extraction_note == line
        assert first.page_retry_at is not None and first.page_attempts == 1
        assert slack.top_level() == []  # the teaser names no topic
        said = [line for line in lines.seen if "read again" in line]
        assert said == [
            f"{site.base}{PAGE}: its page's work stopped ({how}); read again on a later pass"
        ]

        # the host is itself again: the page is read, its article replaces the teaser
        (root / "desk/hidden.html").write_bytes(render("origin", "en", TITLE, OPEN_WEIGHT))
        second = run_monitor(config)
        assert (second.pages_retried, second.pages_recovered) == (1, 1)
        read = _row(tmp_path)
        assert read.text_source == "page" and "open-weight checkpoints" in read.text
        assert read.page_retry_at is None and read.page_attempts == 2
        assert run_monitor(config).pages_retried == 0
        assert site.paths_requested().count(PAGE) == 2
    [post] = slack.top_level()  # what only the body said, once
    assert post["channel"] == "#os" and PAGE in str(post)


def test_a_page_whose_worker_dies_on_every_try_is_given_up_after_its_retries(
    tmp_path: Path, slack: FakeSlack
) -> None:
    root = tmp_path / "site"
    _site(root)
    with serve(root) as site:
        config = _config(tmp_path, site, retries=1)
        for _ in range(2):  # its first try and its one retry: the worker dies under it twice
            with WorkerStopper(site, signal.SIGKILL, 2) as stopper:
                run_monitor(config)
            assert len(stopper.hits) == 2, "the page's worker was not found at its work"
        row = _row(tmp_path)
        assert (row.text_source, row.page_retry_at, row.page_attempts) == ("feed-summary", None, 2)
        assert row.extraction_note and row.extraction_note.startswith(
            "page's work stopped (2 tries): extraction worker died (signal 9)"
        )
        assert run_monitor(config).pages_retried == 0
        assert site.paths_requested().count(PAGE) == 2
    assert slack.top_level() == []


FRAMED = "/desk/post.html"  # the article, reached only through the linked page's frame
FRAME_PAGE = f'<html><body><iframe id="mainFrame" src="{FRAMED}"></iframe></body></html>'


def test_a_frame_whose_worker_died_is_read_again_on_a_later_pass(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """The linked page is only a frame around the article (a blog's post frame); the worker
    reading the framed article died under it (twice). The linked page's own analysis (its
    teaser) stood for good: the article was never read. Now the entry is read again on a later
    pass, as a page whose own worker was stopped, and its article announced once."""
    root = tmp_path / "site"
    _site(root)
    (root / "desk/hidden.html").write_text(FRAME_PAGE.replace("{BASE}", ""))
    (root / "desk/post.html").write_bytes(HEAVY)
    with serve(root) as site:
        config = _config(tmp_path, site, retries=2)
        with WorkerStopper(site, signal.SIGKILL, 2, FRAMED) as stopper:
            totals = run_monitor(config)
        # not a download failure, but a page lost to a worker: the pass's summary says so
        assert (totals.pages_failed, totals.pages_stopped) == (0, 1), totals.line()
        assert "pages stopped by a stalled or killed worker: 1" in totals.line()
        assert len(stopper.hits) == 2, "the frame's worker was not found at its work"
        first = _row(tmp_path)
        assert first.text_source == "feed-summary" and first.text == TEASER
        assert first.page_retry_at is not None and first.page_attempts == 1, first.extraction_note
        assert slack.top_level() == []

        (root / "desk/post.html").write_bytes(render("origin", "en", TITLE, OPEN_WEIGHT))
        second = run_monitor(config)
        assert (second.pages_retried, second.pages_recovered) == (1, 1)
        read = _row(tmp_path)
        assert read.text_source == "page" and "open-weight checkpoints" in read.text
        assert read.page_retry_at is None and read.page_attempts == 2
        assert site.paths_requested().count(FRAMED) == 2
    [post] = slack.top_level()
    assert post["channel"] == "#os" and PAGE in str(post)
