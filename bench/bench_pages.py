"""Page pass benchmark: the shared corpus's real article pages through a whole pass (fetch,
extraction, rules, hashes, storing) with 1 worker process and with one per core.

    python bench/bench_pages.py [--pages ../shared/corpus/pages] [--repeat 1]

The pages (../shared/corpus/pages/index.json; skipped when absent: they are not ours to copy)
are served on loopback behind one RSS feed; each run starts from an empty SQLite corpus and runs
the Prefect-free pipeline (`process_feeds`), the worker pool's start included. Reported per
run: pass time, articles per second, and the peak resident and proportional (PSS: shared
pages split) memory of the pass's process and of its busiest worker.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newsmon.config import Config, FeedConfig
from newsmon.pipeline import Context, process_feeds
from newsmon.rules import load_rules
from newsmon.workers import worker_count

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PAGES = ROOT.parent / "shared" / "corpus" / "pages"


def load_pages(folder: Path, repeat: int) -> list[bytes]:
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    corpus = folder.parent  # index paths are relative to the corpus folder
    pages = []
    for item in index:
        path = corpus / item["file"]
        if path.is_file():
            raw = path.read_bytes()
            pages.append(gzip.decompress(raw) if item.get("gzip") else raw)
    return pages * repeat


class Site:
    """The pages behind one RSS feed, on loopback."""

    def __init__(self, pages: list[bytes]) -> None:
        self.pages = pages
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = self.path.split("/")
                if self.path == "/feed.xml":
                    body, ctype = site.feed(), "application/rss+xml"
                elif (
                    len(parts) == 4
                    and parts[1] == "p"
                    and parts[2].isdigit()
                    and parts[3] == "page.html"
                ):
                    body, ctype = site.pages[int(parts[2])], "text/html"
                else:  # a page's frame or any other link of the real site: not served here
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def feed(self) -> bytes:
        items = "".join(
            f"<item><title>Page {i}</title><link>{self.base}/p/{i}/page.html</link>"
            f"<description>Summary {i}</description></item>"
            for i in range(len(self.pages))
        )
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>b</title>{items}</channel></rss>'.encode()


class Peaks:
    """Peak RSS and PSS of this process and of its busiest descendant, sampled every 0.1 s."""

    def __init__(self) -> None:
        self.me = psutil.Process()
        self.parent_rss = self.parent_pss = self.worker_rss = self.worker_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Peaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            info = self.me.memory_full_info()
            self.parent_rss = max(self.parent_rss, info.rss)
            self.parent_pss = max(self.parent_pss, info.pss)
            for child in self.me.children(recursive=True):
                try:
                    info = child.memory_full_info()  # the largest child is a busy worker
                    self.worker_rss = max(self.worker_rss, info.rss)
                    self.worker_pss = max(self.worker_pss, info.pss)
                except psutil.Error:
                    continue
            self._stop.wait(0.1)


def run(site: Site, workers: int, pages: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(
            database_url=f"sqlite:///{tmp}/corpus.db",
            feeds=[FeedConfig(name="bench", url=f"{site.base}/feed.xml")],
            topics_file=ROOT / "config" / "topics.yaml",
            fetch={"allow_private_networks": True, "max_entries_per_feed": pages, "per_host": 32},
            workers=workers,
        )
        ctx = Context.open(config)
        try:

            async def go() -> int:
                async with ctx.fetching() as fetcher:
                    outcomes = await process_feeds(ctx, fetcher, config.feeds)
                return sum(o.new_articles + o.duplicates for o in outcomes)

            with Peaks() as peaks:
                started = time.monotonic()
                stored = asyncio.run(go())
                elapsed = time.monotonic() - started
        finally:
            ctx.close()
    mb = 1024 * 1024
    print(
        f"workers={workers}: {stored} articles in {elapsed:.1f} s = {stored / elapsed:.1f} "
        f"articles/s | pass process peak RSS {peaks.parent_rss / mb:.0f} MB "
        f"(PSS {peaks.parent_pss / mb:.0f}) | per worker peak RSS {peaks.worker_rss / mb:.0f} MB "
        f"(PSS {peaks.worker_pss / mb:.0f})",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES)
    parser.add_argument("--repeat", type=int, default=1, help="serve each page this many times")
    args = parser.parse_args()
    if not (args.pages / "index.json").is_file():
        print(f"skipped: {args.pages}/index.json is absent (the shared corpus)")
        return 0
    pages = load_pages(args.pages, args.repeat)
    size = sum(len(p) for p in pages)
    cores = worker_count(None)
    print(f"{len(pages)} pages ({size / 1e6:.1f} MB) on {cores} cores ({os.cpu_count()} CPUs)")
    load_rules(ROOT / "config" / "topics.yaml")  # fail early on a bad rule file
    site = Site(pages)
    try:
        for workers in sorted({1, cores}):
            run(site, workers, len(pages))
    finally:
        site.server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
