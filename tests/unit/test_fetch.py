import json
from pathlib import Path

import pytest

from newsmon.config import FetchConfig
from newsmon.devsite import serve
from newsmon.fetch import Fetcher


@pytest.fixture
def site(tmp_path: Path):
    (tmp_path / "feed.xml").write_text(
        "<rss version='2.0'><channel><title>x</title></channel></rss>"
    )
    (tmp_path / "big.html").write_bytes(b"<html>" + b"x" * 300_000 + b"</html>")
    routes = {
        "/down.xml": {"status": 500, "body": "Internal Server Error"},
        "/gone": {"status": 410, "body": "gone"},
        "/loop-a": {"status": 302, "headers": {"Location": "/loop-b"}, "body": ""},
        "/loop-b": {"status": 302, "headers": {"Location": "/loop-a"}, "body": ""},
        "/moved": {"status": 301, "headers": {"Location": "/feed.xml"}, "body": ""},
        "/euckr": {"file": "feed.xml", "content_type": "text/xml; charset=EUC-KR"},
    }
    (tmp_path / "_routes.json").write_text(json.dumps(routes))
    with serve(tmp_path) as server:
        yield server


@pytest.fixture
def fetcher():
    with Fetcher(FetchConfig(retries=0, max_redirects=3)) as f:
        yield f


def test_ok_with_user_agent_and_conditional_get(site, fetcher: Fetcher) -> None:
    first = fetcher.get(site.url("/feed.xml"), max_bytes=10_000)
    assert first.ok and first.status == 200 and b"<rss" in first.content
    assert site.requests[-1][1]["user-agent"].startswith("newsmon/")
    second = fetcher.get(site.url("/feed.xml"), max_bytes=10_000, etag=first.headers["etag"])
    assert second.not_modified and second.content == b""


def test_http_errors_are_one_line(site, fetcher: Fetcher) -> None:
    down = fetcher.get(site.url("/down.xml"), max_bytes=1000)
    assert not down.ok and down.error == "HTTP 500 Internal Server Error"
    assert fetcher.get(site.url("/gone"), max_bytes=1000).error == "HTTP 410 Gone"


def test_server_errors_are_retried_once(site) -> None:
    with Fetcher(FetchConfig(retries=1)) as f:
        f.get(site.url("/down.xml"), max_bytes=1000)
    assert site.paths_requested().count("/down.xml") == 2


def test_body_cap_cuts_the_download(site, fetcher: Fetcher) -> None:
    result = fetcher.get(site.url("/big.html"), max_bytes=50_000)
    assert result.truncated and len(result.content) == 50_000 and result.error is None


def test_redirects_followed_and_loops_stopped(site, fetcher: Fetcher) -> None:
    moved = fetcher.get(site.url("/moved"), max_bytes=1000)
    assert moved.ok and moved.final_url.endswith("/feed.xml")
    loop = fetcher.get(site.url("/loop-a"), max_bytes=1000)
    assert not loop.ok and loop.error == "too many redirects"


def test_unreachable_and_bad_urls(fetcher: Fetcher) -> None:
    assert fetcher.get("http://127.0.0.1:9/feed", max_bytes=10).error.startswith("cannot connect")
    assert fetcher.get("ftp://example.com/x", max_bytes=10).error == "unsupported URL scheme"


def test_charset_from_header(site, fetcher: Fetcher) -> None:
    result = fetcher.get(site.url("/euckr"), max_bytes=1000)
    assert result.charset == "euc-kr" and result.content_type == "text/xml"
