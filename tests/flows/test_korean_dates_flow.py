"""A Korean feed that dates its entries as Korean sites write ("2026년 11월 30일 오후 3:04"): the
real `monitor` flow stores the story's own time and alerts it with that time. feedparser's
fallback dated such an entry 1 November of its year: a story of late November or December was
a month old to `alerts.max_age_hours` and never alerted, an earlier one showed a future date."""

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


def _korean(moment: datetime) -> str:
    """`moment` as a Korean site writes it: Seoul's clock, 12-hour, 년/월/일 and 오전/오후."""
    local = moment.astimezone(SEOUL)
    meridiem = "오후" if local.hour >= 12 else "오전"
    hour = local.hour % 12 or 12
    return f"{local.year}년 {local.month}월 {local.day}일 {meridiem} {hour}:{local.minute:02d}"


def test_a_story_dated_in_korean_is_alerted_with_its_own_time(
    tmp_path: Path, slack: FakeSlack
) -> None:
    out = datetime.now(UTC).replace(microsecond=0, second=0) - timedelta(hours=1)
    root = tmp_path / "site"
    (root / "desk").mkdir(parents=True)
    (root / "feeds").mkdir()
    (root / "desk/story.html").write_bytes(
        render("origin", "en", "Lab ships its new model", OPEN_WEIGHT)
    )
    (root / "feeds/desk.xml").write_bytes(
        (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>desk</title>'
            "<link>{{BASE}}/</link><item><title>Lab ships its new model</title>"
            "<link>{{BASE}}/desk/story.html</link><description>A lab shipped a model.</description>"
            f"<pubDate>{_korean(out)}</pubDate></item></channel></rss>"
        ).encode()
    )

    def one_worker(data: dict[str, Any]) -> None:
        data["workers"] = 1  # the feed is parsed in a worker process, as in production

    with serve(root) as site:
        config = write_one_term_config(
            tmp_path,
            site.base,
            [("desk", "/feeds/desk.xml")],
            None,
            one_worker,
            alerts={"max_age_hours": 72},  # as shipped: an old story is not alerted
        )
        run_monitor(config)

    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        [article] = store.list_articles(limit=5)
    finally:
        store.close()
    assert article.published_at == out
    [post] = slack.top_level()
    assert when(out, SEOUL) in str(post)
