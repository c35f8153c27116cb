"""A board whose posts are named by a `pk_` parameter (`view.php?pk_id=2`), through the real
`monitor` flow: each post is a story of its own. With every `pk_…` parameter dropped as
tracking, the second post had the first one's key: never announced, and read as an edit of
the first (whose stored title and text it replaced)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from newsmon.corpus import Store
from tests.flows.test_monitor_flow import run_monitor
from tests.flows.test_page_retry_flow import OPEN_WEIGHT, REGULATOR, write_one_term_config
from tests.support.dedup_set import render
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")

POSTS = {
    "1": ("Lab ships its new model", OPEN_WEIGHT),
    "2": ("Regulator opens an inquiry", REGULATOR),
}


class Board:
    """A loopback board: `/feed.xml` lists `self.listed`; `/view.php?pk_id=N` is post N."""

    def __init__(self) -> None:
        self.listed: list[str] = []
        board = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/feed.xml":
                    body, kind = board.feed(), "application/rss+xml"
                else:
                    [pk] = parse_qs(parts.query)["pk_id"]
                    title, paragraphs = POSTS[pk]
                    body, kind = render("origin", "en", title, paragraphs), "text/html"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def feed(self) -> bytes:
        items = "".join(
            f"<item><title>{POSTS[pk][0]}</title><link>{self.base}/view.php?pk_id={pk}</link>"
            f"<description>{POSTS[pk][0]}.</description></item>"
            for pk in self.listed
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>board</title><link>{self.base}/</link>{items}</channel></rss>"
        ).encode()


@pytest.fixture
def board() -> Iterator[Board]:
    site = Board()
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()


def test_each_post_of_a_board_named_by_pk_id_is_announced(
    tmp_path: Path, slack: FakeSlack, board: Board
) -> None:
    config = write_one_term_config(tmp_path, board.base, [("board", "/feed.xml")])
    board.listed = ["1"]
    first = run_monitor(config)
    board.listed = ["2", "1"]
    second = run_monitor(config, force=True)

    assert (first.new_articles, second.new_articles, second.updated) == (1, 1, 0)
    posted = [str(p["blocks"]) for p in slack.top_level()]
    assert sum(POSTS["1"][0] in p for p in posted) == 1
    assert sum(POSTS["2"][0] in p for p in posted) == 2  # open-source and policy
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        titles = sorted(a.title for a in store.list_articles(limit=10))
    finally:
        store.close()
    assert titles == sorted(title for title, _ in POSTS.values())
