"""Hostile pages next to an ordinary feed, served on loopback, and `newsmon run` (the real CLI,
Prefect flow and worker pool, in a process of its own) watched for its peak memory: what the
hostile-page tests (tests/integration/test_hostile_*.py, one file a subject so xdist spreads
their minutes over its workers) share.

The peak memory is the sum of the proportional set sizes (PSS: shared pages split between the
processes sharing them) of the `newsmon` process and all its descendants (fork server, workers),
sampled every 0.2 s.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import yaml
from sqlalchemy import select

from newsmon.corpus import Store
from newsmon.corpus.schema import ArticleRow, FeedRow
from newsmon.devsite import SiteServer, serve
from tests.conftest import DEMO_SITE
from tests.support.configs import config_data
from tests.support.fake_slack import FakeSlack

BUDGET_SECONDS = 5
PASS_LIMIT_SECONDS = 240  # generous: the hostile pages cost seconds, not minutes
PEAK_LIMIT_MB = 600
LONG_QUERY = "q=" + "a" * 3000  # the link is over the 2,000 characters a URL column holds
NEUTRAL = "A note about the weather and the price of bread."  # matches no topic

ARTICLE_HEAD = "<html><head><title>t</title></head><body><article>"
ARTICLE_TAIL = "</article></body></html>"
ORDINARY = [  # the demo site's English feed: what it alerts
    "/en/deepseek-open-source-week.html",
    "/en/us-aisi-layoffs.html",
]


def _hostile_pages(root: Path) -> dict[str, str]:
    """Write the hostile pages; returns each one's path and what its entry should record."""
    (root / "hostile").mkdir()
    (root / "hostile" / "script.html").write_bytes(b"<script " * (900 * 1024 // 8))
    words = "word " * 200_000  # a million characters of body
    (root / "hostile" / "million.html").write_text(
        f"{ARTICLE_HEAD}<p>{words}</p>{ARTICLE_TAIL}", encoding="utf-8"
    )
    # 99,000 paragraphs, just under the tag cap (newsmon.extract.MAX_PAGE_TAGS): trafilatura
    # needs 10-25 s for them on 2 cores
    (root / "hostile" / "burner.html").write_text(
        "<html><body>" + "<p>x" * 99_000 + "</body></html>", encoding="utf-8"
    )
    # NUL bytes in the page, and NUL and a lone surrogate in the JSON-LD body (JSON escapes)
    ld = {"@type": "NewsArticle", "articleBody": "Body with \x00 NUL and \ud800 surrogate. " * 20}
    script = json.dumps(ld)  # ensure_ascii: \u0000 and \ud800 as escapes
    (root / "hostile" / "nul.html").write_bytes(
        f'<html><head><script type="application/ld+json">{script}</script></head>'
        "<body><p>short \x00 text</p></body></html>".encode()
    )
    (root / "hostile" / "long.html").write_text(
        f"{ARTICLE_HEAD}<p>{NEUTRAL * 10}</p>{ARTICLE_TAIL}", encoding="utf-8"
    )
    return {
        "/hostile/script.html": "page has over 100000 tags",
        "/hostile/million.html": "text cut at 200000 characters",
        "/hostile/burner.html": f"extraction exceeded {BUDGET_SECONDS} s",
        "/hostile/nul.html": "page",  # fell back to JSON-LD: the note says why
        f"/hostile/long.html?{LONG_QUERY}": "",
    }


def _rss(links: list[str]) -> str:
    items = "".join(
        f"<item><title>Hostile {i}</title><link>{{{{BASE}}}}{link.replace('&', '&amp;')}</link>"
        f"<description>{NEUTRAL}</description></item>"
        for i, link in enumerate(links)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>h</title>{items}</channel></rss>'
    )


@contextmanager
def serve_hostile_site(tmp_path: Path) -> Iterator[tuple[SiteServer, dict[str, str]]]:
    """The demo site with the hostile pages and their feeds; yields it and what each hostile
    entry should record."""
    root = tmp_path / "site"
    shutil.copytree(DEMO_SITE, root)
    expected = _hostile_pages(root)
    (root / "feeds" / "hostile.xml").write_text(_rss(list(expected)), encoding="utf-8")
    (root / "feeds" / "burner.xml").write_text(_rss(["/hostile/burner.html"]), encoding="utf-8")
    routes = json.loads((root / "_routes.json").read_text(encoding="utf-8"))
    routes["/feeds/hostile.xml"] = {
        "content_type": "application/rss+xml",
        "headers": {"ETag": '"' + "e" * 600 + '"', "Last-Modified": "Mon, " + "9" * 200},
    }
    (root / "_routes.json").write_text(json.dumps(routes), encoding="utf-8")
    with serve(root) as server:
        yield server, expected


def write_config(
    folder: Path,
    site: SiteServer,
    feeds: list[tuple[str, str]],
    database_url: str | None,
    **extract: Any,
) -> Path:
    data = config_data(folder, feeds=feeds, base=site.base, database_url=database_url)
    data["extract"] = {"page_timeout_seconds": BUDGET_SECONDS, **extract}
    path = folder / "newsmon.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _env() -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    env = dict(os.environ)
    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    return env


class TreeMemory:
    """Peak PSS of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak = 0
        self.seen: set[int] = set()
        self.by_process: dict[int, int] = {}  # each process's own peak, for the message
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def report(self) -> str:
        each = ", ".join(f"{pid}: {pss >> 20} MB" for pid, pss in self.by_process.items())
        return f"peak {self.peak >> 20} MB; per process (pid {self.root.pid} first): {each}"

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                return
            for proc in procs:
                try:
                    pss = proc.memory_full_info().pss
                    total += pss
                    self.seen.add(proc.pid)
                    self.by_process[proc.pid] = max(self.by_process.get(proc.pid, 0), pss)
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(0.2)


def newsmon_run(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "newsmon", "run", "--config", str(config)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def assert_bounded_pass(
    tmp_path: Path,
    hostile_site: tuple[SiteServer, dict[str, str]],
    slack: FakeSlack,
    database: str,
) -> None:
    """One `newsmon run` over the ordinary and the hostile feed ends in bounded time and
    memory, alerts the ordinary stories, and stores every hostile entry with its reason."""
    site, expected = hostile_site
    feeds = [("ordinary", "/feeds/en-ai.atom"), ("hostile", "/feeds/hostile.xml")]
    config = write_config(tmp_path, site, feeds, database)
    started = time.monotonic()
    proc = newsmon_run(config)
    with TreeMemory(proc.pid) as memory:
        try:
            output, _ = proc.communicate(timeout=PASS_LIMIT_SECONDS)
        finally:
            proc.kill()
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, output
    assert elapsed < PASS_LIMIT_SECONDS
    assert len(memory.seen) >= 3, "the pass ran without its worker processes"
    print(memory.report())
    assert memory.peak < PEAK_LIMIT_MB * 1024 * 1024, memory.report()
    assert "Traceback" not in output

    # the ordinary feed is stored and alerted
    posted = {p["blocks"][0]["text"]["text"].split("|")[0] for p in slack.posts}
    for path in ORDINARY:
        assert any(path in link for link in posted), (path, posted)
    assert not any("/hostile/" in link for link in posted)

    store = Store.open(database)
    try:
        with store.session() as s:
            rows = {r.url.split("?")[0]: r for r in s.scalars(select(ArticleRow))}
            feed = s.scalars(select(FeedRow).where(FeedRow.name == "hostile")).one()
            assert feed.consecutive_failures == 0 and feed.last_error is None
            assert feed.etag is None and feed.last_modified is None  # too long to keep
            for path in ORDINARY:
                assert rows[site.base + path].text_source == "page"
            by_path = {url.removeprefix(site.base): row for url, row in rows.items()}
            million = by_path["/hostile/million.html"]
            assert million.text_source == "page" and len(million.text) <= 200_000
            assert expected["/hostile/million.html"] in (million.extraction_note or "")
            burner = by_path["/hostile/burner.html"]
            assert burner.text_source == "feed-summary" and burner.text == NEUTRAL
            # its CPU budget; or, on a machine too loaded to give its worker a third of a
            # core, the wall-clock backstop at three budgets (newsmon.cpubudget)
            assert burner.extraction_note in {
                expected["/hostile/burner.html"],
                f"extraction stalled: not done in {3 * BUDGET_SECONDS} s of wall time "
                f"(budget {BUDGET_SECONDS} s)",
            }
            script = by_path["/hostile/script.html"]
            assert script.text_source == "feed-summary"
            assert expected["/hostile/script.html"] in (script.extraction_note or "")
            nul = by_path["/hostile/nul.html"]
            assert nul.text_source == "json-ld" and nul.extraction_note
            assert "\x00" not in nul.text and "\ufffd surrogate" in nul.text
            long = by_path["/hostile/long.html"]
            assert len(long.url) == 2000 and len(long.canonical_url) <= 2000
    finally:
        store.close()
