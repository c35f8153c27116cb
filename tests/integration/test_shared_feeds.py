"""Every real-world feed in ../shared/corpus/feeds, served locally: entries, or a recorded reason.

Optional: skipped when ../shared is absent (the files are not ours to copy into the repo).
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from newsmon.config import FetchConfig
from newsmon.devsite import serve
from newsmon.feeds import FeedParseError, parse_feed
from newsmon.fetch import Fetcher
from tests.support.shared_news import SHARED_CORPUS

FEEDS = SHARED_CORPUS / "feeds"
pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not (FEEDS / "index.json").is_file(), reason="../shared/corpus is absent"),
]
MOJIBAKE = re.compile(r"[ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞß][\x80-\xff]")


def index() -> list[dict]:
    return json.loads((FEEDS / "index.json").read_text(encoding="utf-8"))


def test_every_shared_feed_yields_entries_or_a_reason() -> None:
    files = [FEEDS.parent / item["file"] for item in index()]
    results: dict[str, tuple[int, str | None]] = {}

    async def fetch_all() -> None:
        with serve(FEEDS) as site:
            fetcher = Fetcher(FetchConfig(retries=0))
            try:
                for file in files:
                    rel = file.relative_to(FEEDS).as_posix()
                    response = await fetcher.get(
                        site.url(rel), max_bytes=10 * 1024 * 1024, trusted=True
                    )
                    assert response.ok, (rel, response.error)
                    try:
                        parsed = parse_feed(
                            response.content,
                            response.final_url,
                            response.charset,
                            response.content_type,
                        )
                        results[rel] = (len(parsed.entries), parsed.warning)
                    except FeedParseError as exc:
                        assert str(exc).startswith("not a feed")
                        results[rel] = (0, str(exc))
            finally:
                await fetcher.aclose()

    asyncio.run(fetch_all())
    assert len(results) == len(files) == 73
    for rel, (count, reason) in results.items():
        assert count > 0 or reason, rel
    parsed_ok = sum(1 for count, _ in results.values() if count > 0)
    assert parsed_ok >= 64, results  # the few without entries are empty or invalid on purpose
    # A UTF-8 feed whose prolog claims windows-1252 still reads right.
    euro = FEEDS / "miniflux" / "windows-1252-incorrect-prolog.xml"
    assert parse_feed(euro.read_bytes(), "http://x/").title == "Euro €"


@pytest.mark.parametrize(
    "item",
    [i for i in index() if i["cjk_korean"]] if (FEEDS / "index.json").is_file() else [],
    ids=lambda i: i["file"],
)
def test_korean_legacy_feeds_come_out_as_hangul(item: dict) -> None:
    data = (FEEDS.parent / item["file"]).read_bytes()
    feed = parse_feed(data, "http://feeds.example/" + item["file"])
    text = " ".join(f"{e.title} {e.summary}" for e in feed.entries)
    assert feed.entries, item["file"]
    assert re.search("[가-힣]", text), item["file"]
    assert not MOJIBAKE.search(text), (item["file"], MOJIBAKE.search(text))
