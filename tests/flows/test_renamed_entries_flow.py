"""The real `monitor` flow over a feed whose CMS gives an item without a link a new GUID
each time it writes the feed, or lists a breaking item first without its link and adds the
link later (date, title and summary unchanged): one story, one alert.

Keyed anew, such an item was stored and announced again (no other rule joins it: its text is
too short for the text rules, and one feed's items under one headline are its next issues).
A standing item repeated with a later date stays a new item.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest

from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus.records import ArticleView
from newsmon.devsite import serve
from newsmon.report import PassTotals
from tests.flows.test_monitor_flow import run_monitor
from tests.support.configs import write_config
from tests.support.dedup_set import render
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")

TOPICS = """\
version: 2
topics:
  ai-news:
    label: "AI news"
    min_score: 1
    terms:
      ko: ["과학기술정보통신부"]
"""
TITLE = '[속보] 과학기술정보통신부 "국가 AI 컴퓨팅 센터 사업자 다음 달 공모"'
LINE = "과학기술정보통신부는 17일 국가 AI 컴퓨팅 센터 사업자를 공모한다."
PAGE = [
    "(서울=연합뉴스) 김철수 기자 = 과학기술정보통신부는 17일 총 2조원 규모의 국가 AI 컴퓨팅 "
    "센터를 구축할 민간 사업자를 다음 달 공모한다고 밝혔다.",
    "과기정통부는 이날 정부서울청사에서 브리핑을 열고 민관 합작 특수목적법인 형태로 센터를 "
    "세우며, 2030년까지 첨단 GPU 1만5000장을 확보하겠다고 설명했다.",
]


def write_feed(
    root: Path, guid: str, published: datetime, summary: str, title: str = TITLE
) -> None:
    """One item, as such CMSs write it: without a link unless `guid` is one (`/news/…`), and
    then without a GUID."""
    named = (
        f"<link>{{{{BASE}}}}{guid}</link>"
        if guid.startswith("/")
        else f'<guid isPermaLink="false">{escape(guid)}</guid>'
    )
    item = (
        f"<item><title>{escape(title)}</title>{named}"
        f"<pubDate>{format_datetime(published)}</pubDate>"
        f"<description>{escape(summary)}</description></item>"
    )
    (root / "feeds").mkdir(parents=True, exist_ok=True)
    (root / "feeds/wire.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>wire</title><link>{{{{BASE}}}}/</link>{item}</channel></rss>",
        encoding="utf-8",
    )


def monitor(
    tmp_path: Path,
    items: list[tuple[str, datetime]],
    summary: str,
    title: str = TITLE,
    rules: str = TOPICS,
) -> list[PassTotals]:
    """One real pass per (GUID, date) the feed gives its one item: the passes' totals."""
    topics = tmp_path / "topics.yaml"
    topics.write_text(rules, encoding="utf-8")
    root = tmp_path / "site"
    totals = []
    with serve(root) as site:
        for guid, published in items:
            write_feed(root, guid, published, summary, title)
            config = write_config(
                tmp_path,
                feeds=[("wire", "/feeds/wire.xml")],
                base=site.base,
                topics=topics,
                channels={"ai-news": "#ai-news"},
            )
            totals.append(run_monitor(config))
    return totals


def stored(tmp_path: Path) -> int:
    return len(articles(tmp_path))


def articles(tmp_path: Path) -> list[ArticleView]:
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        return store.list_articles(limit=100)
    finally:
        store.close()


@pytest.mark.parametrize("summary", ["", LINE], ids=["headline-only", "one-line"])
def test_an_item_renamed_every_pass_is_announced_once(
    tmp_path: Path, slack: FakeSlack, summary: str
) -> None:
    """Before, each pass stored the item again and posted it again (3 alerts)."""
    published = (utcnow() - timedelta(hours=1)).replace(microsecond=0)
    totals = monitor(tmp_path, [(f"cms-{n}", published) for n in range(3)], summary)
    assert len(slack.top_level()) == 1
    assert [t.new_articles for t in totals] == [1, 0, 0]
    assert stored(tmp_path) == 1


def test_a_standing_item_repeated_a_day_later_is_a_new_item(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """The same words under a new GUID and a later date: the next issue, announced."""
    published = (utcnow() - timedelta(days=1, hours=1)).replace(microsecond=0)
    items = [("cms-1", published), ("cms-2", published + timedelta(days=1))]
    totals = monitor(tmp_path, items, LINE)
    assert len(slack.top_level()) == 2
    assert [t.new_articles for t in totals] == [1, 1]


@pytest.mark.parametrize("summary", ["", "국가 AI 컴퓨팅 센터 공모"], ids=["headline", "line"])
def test_an_item_listed_first_without_its_link_is_announced_once(
    tmp_path: Path, slack: FakeSlack, summary: str
) -> None:
    """A breaking item listed first without a link (its page not up yet), then with it:
    before, posted twice (its page's text under the feed's own headline joined nothing)."""
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    (root / "news/1.html").write_bytes(render("origin", "ko", TITLE, PAGE))
    published = (utcnow() - timedelta(hours=1)).replace(microsecond=0)
    totals = monitor(tmp_path, [("cms-1", published), ("/news/1.html", published)], summary)
    assert len(slack.top_level()) == 1
    assert [t.new_articles for t in totals] == [1, 0]


# a story only its page tells: a headline naming no topic, a page about an AI law
BARE = "[속보] 정부 발표"
GPU_RULES = TOPICS.replace('["과학기술정보통신부"]', '["GPU"]')


def linked_later(tmp_path: Path, title: str) -> None:
    """Its page up, the item listed first without its link, then with it."""
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    (root / "news/1.html").write_bytes(render("origin", "ko", title, PAGE))


def test_a_headline_whose_page_holds_the_topic_is_announced_once_it_is_linked(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """A headline matching no topic, its page does: once the feed links the page, it is read
    and the story announced, linking the page. Before, taken for the stored headline, its
    page was never read and the story never announced (no alert at all)."""
    linked_later(tmp_path, BARE)
    published = (utcnow() - timedelta(hours=1)).replace(microsecond=0)
    items = [("cms-1", published), ("/news/1.html", published), ("/news/1.html", published)]
    totals = monitor(tmp_path, items, "", BARE, GPU_RULES)
    posts = slack.top_level()
    assert len(posts) == 1, posts
    assert "/news/1.html" in str(posts[0])
    assert [t.new_articles for t in totals] == [1, 0, 0]
    [article] = articles(tmp_path)
    assert article.url.endswith("/news/1.html")
    assert "GPU" in (article.text or "")
    assert article.topics == ["ai-news"]


def test_an_announced_headline_takes_its_link_and_page_without_a_second_post(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """A headline announced already: once linked, the story's link is its page (before, the
    feed's home page for good) and its text the page's, and it is not posted again."""
    linked_later(tmp_path, TITLE)
    published = (utcnow() - timedelta(hours=1)).replace(microsecond=0)
    items = [("cms-1", published), ("/news/1.html", published), ("/news/1.html", published)]
    totals = monitor(tmp_path, items, "")
    assert len(slack.top_level()) == 1
    assert [t.new_articles for t in totals] == [1, 0, 0]
    [article] = articles(tmp_path)
    assert article.url.endswith("/news/1.html")
    assert "GPU" in (article.text or "")
