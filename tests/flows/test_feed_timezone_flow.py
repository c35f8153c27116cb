"""A feed that writes its dates without a zone ("2025-02-20 10:00:00" in pubDate, meaning
Seoul), or leaves its entry undated while the page states such a time: with the feed's
`timezone`, the real `monitor` flow (feeds parsed and pages read in worker processes) stores and
shows the story's own time; without it the date reads nine hours ahead, which is not believed
(`dates.believable`): the story is dated when first seen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from newsmon.alerts import when
from newsmon.corpus import Store
from newsmon.devsite import serve
from tests.flows.test_monitor_flow import run_monitor
from tests.flows.test_page_retry_flow import OPEN_WEIGHT, write_one_term_config
from tests.support.dedup_set import render
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")

SEOUL = ZoneInfo("Asia/Seoul")


def _feed(written: str | None) -> bytes:
    dated = f"<pubDate>{written}</pubDate>" if written else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>desk</title>'
        "<link>{{BASE}}/</link><item><title>Lab ships its new model</title>"
        "<link>{{BASE}}/desk/story.html</link><description>A lab shipped a model.</description>"
        f"{dated}</item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("dated_by", "zone"), [("feed", "Asia/Seoul"), ("feed", None), ("page", "Asia/Seoul")]
)
def test_a_feed_without_zones_in_its_dates_is_read_in_its_timezone(
    tmp_path: Path, slack: FakeSlack, zone: str | None, dated_by: str
) -> None:
    out = datetime.now(UTC).replace(microsecond=0, second=0) - timedelta(hours=1)
    written = out.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M:%S")  # Seoul's wall clock, no zone
    root = tmp_path / "site"
    (root / "desk").mkdir(parents=True)
    (root / "feeds").mkdir()
    page = render("origin", "en", "Lab ships its new model", OPEN_WEIGHT)
    if dated_by == "page":  # the entry is undated; the page states the time, without a zone
        stated = written.replace(" ", "T")
        meta = f'<meta property="article:published_time" content="{stated}">'
        page = page.replace(b"</head>", meta.encode() + b"</head>")
    (root / "desk/story.html").write_bytes(page)
    (root / "feeds/desk.xml").write_bytes(_feed(written if dated_by == "feed" else None))

    def zoned(data: dict[str, Any]) -> None:
        if zone:
            data["feeds"][0]["timezone"] = zone
        data["workers"] = 1  # the feed is parsed in a worker process, as in production

    with serve(root) as site:
        config = write_one_term_config(
            tmp_path, site.base, [("desk", "/feeds/desk.xml")], None, zoned
        )
        run_monitor(config)

    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        [article] = store.list_articles(limit=5)
    finally:
        store.close()
    [post] = slack.top_level()
    stored = article.published_at
    if zone:
        assert stored == out
        assert when(out, SEOUL) in str(post)  # the alert says the time the newsroom wrote
    else:  # read as UTC, nine hours ahead of now: not believed, dated when first seen
        assert out + timedelta(hours=1) <= stored <= datetime.now(UTC)
