"""Stories dated in ways that are not what they seem, through the real `monitor` flow with
`alerts.max_age_hours` as shipped: a feed entry dated by a bare Unix time, a page stating the
Unix epoch for an entry the feed left undated. Each was read as a date centuries or decades old,
and the new story's alert was skipped as too old."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from newsmon.alerts import when
from newsmon.corpus import Store
from newsmon.corpus.records import ArticleView
from newsmon.devsite import serve
from tests.flows.test_monitor_flow import run_monitor
from tests.flows.test_page_retry_flow import OPEN_WEIGHT, write_one_term_config
from tests.support.dedup_set import render
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")

SEOUL = ZoneInfo("Asia/Seoul")
EPOCH_META = b'<meta property="article:published_time" content="1970-01-01T00:00:00Z"></head>'


def undated(page: bytes) -> bytes:
    """`page` without the copyright year of its footer, the one date it shows besides its
    metadata."""
    return page.replace("© 2025".encode(), b"")


def _one_story(
    tmp_path: Path, dated: str, page: Callable[[bytes], bytes], *, known: bool = False
) -> ArticleView:
    """Run one pass over a feed of one story (its date element `dated`, its page `page` of the
    rendered story) and give the stored article; `known`: the feed read once before, empty
    (an undated story on a feed's first read is its back catalogue, held back)."""
    root = tmp_path / "site"
    (root / "desk").mkdir(parents=True)
    (root / "feeds").mkdir()
    story = render("origin", "en", "Lab ships its new model", OPEN_WEIGHT)
    (root / "desk/story.html").write_bytes(page(story))
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>desk</title>'
    item = (
        "<item><title>Lab ships its new model</title>"
        "<link>{{BASE}}/desk/story.html</link><description>A lab shipped a model.</description>"
        f"{dated}</item>"
    )
    feed = root / "feeds/desk.xml"
    feed.write_text(f"{head}<link>{{{{BASE}}}}/</link>{'' if known else item}</channel></rss>")

    def one_worker(data: dict[str, Any]) -> None:
        data["workers"] = 1  # the feed and page are read in a worker process, as in production

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
        if known:
            feed.write_text(f"{head}<link>{{{{BASE}}}}/</link>{item}</channel></rss>")
            run_monitor(config, force=True)
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        [article] = store.list_articles(limit=5)
    finally:
        store.close()
    return article


@pytest.mark.parametrize("scale", [1, 1000], ids=["seconds", "milliseconds"])
def test_a_story_dated_by_a_unix_time_is_alerted_with_its_own_time(
    tmp_path: Path, slack: FakeSlack, scale: int
) -> None:
    """feedparser dated "<pubDate>1764500000</pubDate>" 1 November 1764: the story, an hour
    old, was skipped as "older than 72 h when first seen"."""
    out = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    stamp = int(out.timestamp()) * scale
    article = _one_story(tmp_path, f"<pubDate>{stamp}</pubDate>", lambda page: page)
    assert article.published_at == out
    [post] = slack.top_level()
    assert when(out, SEOUL) in str(post)


def test_an_undated_story_whose_page_states_the_epoch_is_alerted(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """A page whose CMS has no date writes time 0 as `article:published_time`. It dated the
    entry the feed left undated 1 January 1970: the new story was skipped as too old. Undated,
    it is as new as the pass that first saw it."""
    before = datetime.now(UTC)
    article = _one_story(
        tmp_path, "", lambda page: undated(page).replace(b"</head>", EPOCH_META), known=True
    )
    assert article.published_at is not None and article.published_at >= before
    [post] = slack.top_level()
    assert "Lab ships its new model" in str(post)


def test_an_undated_story_whose_page_shows_only_a_copyright_year_is_alerted(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """A page that states no date but a copyright line ("© 2025 Desk") was dated by
    trafilatura's guess, 1 January of that year: the new story was months old to
    `alerts.max_age_hours` and its alert skipped."""
    before = datetime.now(UTC)
    article = _one_story(tmp_path, "", lambda page: page, known=True)
    assert article.published_at is not None and article.published_at >= before
    [post] = slack.top_level()
    assert "Lab ships its new model" in str(post)


@pytest.mark.parametrize("hours", [1, 96], ids=["new", "four-days-old"])
def test_a_story_dated_yyyymmddhh_keeps_its_date(
    tmp_path: Path, slack: FakeSlack, hours: int
) -> None:
    """A "<pubDate>2026113015</pubDate>" (some Korean CMSs, dates taken from URLs) was read as a
    Unix time of 2034: the new story's alert showed a date eight years ahead, and a four-day-old
    one, never too old for `alerts.max_age_hours` in the future, was announced as news."""
    out = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours)
    article = _one_story(tmp_path, f"<pubDate>{out:%Y%m%d%H}</pubDate>", lambda page: page)
    assert article.published_at == out
    if hours > 72:
        assert slack.top_level() == []
    else:
        [post] = slack.top_level()
        assert when(out, SEOUL) in str(post)
