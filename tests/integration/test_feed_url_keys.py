"""Keys in a feed's URL under the names signed and password-protected feeds use (`pwd=`,
`X-Amz-Signature=`, a tracker's `torrent_pass=`): the feed is fetched with them every pass, and
neither the corpus (the feed's stored URL, an entry's `#fragment` link resolved against the
feed's URL) nor the log (httpx's request lines) holds them. The real pipeline against a loopback site."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsmon.devsite import SiteServer, serve
from tests.integration.test_fetching import BODY, corpus_dump, item, rss, run_pass
from tests.support.configs import make_config

SECRET = "k3y-hunter2"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteServer]:
    root = tmp_path / "site"
    root.mkdir()
    (root / "page.html").write_text(f"<html><body><article>{BODY}</article></body></html>")
    links = item("/page.html", "페이지 링크") + item("#item-2", "조각 링크")
    (root / "feed.xml").write_text(rss(links), encoding="utf-8")
    (root / "_routes.json").write_text(json.dumps({}))
    with serve(root) as server:
        yield server


@pytest.mark.parametrize(
    "name",
    [
        "pass",
        "pwd",
        "torrent_pass",
        "credentials",
        "X-Amz-Signature",
        "X-Amz-Credential",
        "X-Goog-Signature",
        "X-Goog-Credential",
    ],
)
def test_a_key_under_a_password_or_signature_name_is_sent_never_stored(
    tmp_path: Path, site: SiteServer, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx's request lines, httpcore's trace
    config = make_config(tmp_path, feeds=[("keyed", f"{site.base}/feed.xml?{name}={SECRET}")])
    outcome = run_pass(config)["keyed"]
    assert outcome.ok and outcome.new_articles == 2, outcome
    assert f"/feed.xml?{name}={SECRET}" in site.paths_requested()
    assert SECRET not in corpus_dump(config)
    assert "/feed.xml" in caplog.text and SECRET not in caplog.text


class KeyedFeed:
    """A publisher that serves its feed only with the right key (401 otherwise), as keyed
    APIs do, and notes every request's path and query."""

    def __init__(self, feed: str) -> None:
        requests: list[str] = []
        self.requests = requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                keyed = f"apikey={SECRET}" in self.path
                body = (feed if keyed else "wrong key").encode()
                self.send_response(200 if keyed else 401)
                self.send_header("Content-Type", "application/rss+xml" if keyed else "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_an_entry_linked_into_a_keyed_feed_is_never_requested_with_the_hidden_key(
    tmp_path: Path,
) -> None:
    """`#comments` (or `#item-2`) resolved against a keyed feed's URL is that URL, key hidden
    (`?apikey=***`): requesting it sent the publisher a wrong key and counted a failed page."""
    items = item("#comments", "댓글 링크") + item("#item-2", "조각 링크")
    publisher = KeyedFeed(rss(items))
    try:
        config = make_config(tmp_path, feeds=[("keyed", f"{publisher.base}/feed?apikey={SECRET}")])
        outcome = run_pass(config)["keyed"]
    finally:
        publisher.server.shutdown()
        publisher.server.server_close()

    assert outcome.ok and (outcome.new_articles, outcome.pages_failed) == (2, 0), outcome
    assert publisher.requests == [f"/feed?apikey={SECRET}"]
    assert SECRET not in corpus_dump(config)
