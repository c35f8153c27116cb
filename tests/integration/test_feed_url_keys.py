"""Keys in a feed's URL under the names signed and password-protected feeds use (`pwd=`,
`X-Amz-Signature=`, a tracker's `torrent_pass=`): the feed is fetched with them every pass, and
neither the corpus (the feed's stored URL, an entry's `#fragment` link resolved against the
feed's URL) nor the log (httpx's request lines) holds them. The real pipeline against a loopback site."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
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
