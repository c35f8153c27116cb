"""A corpus stored before Korean credits were stripped (2026-12), read by a pass now.

The previous release stored a teaser as the feed wrote it: the agency's dateline, the
reporter's byline and the copyright notice around the story. A pass now reads the same feed
and pages with credits stripped; what it compares with those stored rows must be compared
like with like, or an upgraded corpus's stories read as other text than they are.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252)
import pytest
from sqlalchemy import Connection, create_engine, delete, insert, select, update

from newsmon.clock import utcnow
from newsmon.corpus.articles import stored_keys
from newsmon.corpus.schema import AlertRow, ArticleBandRow, ArticleRow
from newsmon.devsite import serve
from tests.support.configs import make_config
from tests.support.passes import feed_pass

STORY = (
    "과학기술정보통신부는 1일 인공지능 기본법 시행령 제정안을 입법예고하고 고영향 인공지능 "
    "사업자의 안전성 확보 의무와 규제 기준을 공개했다."
)
# the page's article: the story and a sentence the teaser left out (its topic)
ARTICLE = f"{STORY} 정부는 공공 인공지능 모델을 오픈소스로 공개하기로 했다."
# the teaser as the feed writes it, and as the previous release stored it
CREDITED = (
    f"(서울=연합뉴스) 홍길동 기자 = {STORY}\n홍길동 기자 hong@yna.co.kr\n"
    "ⓒ 연합뉴스, 무단 전재-재배포, AI 학습 및 활용 금지"
)
# the teaser of a feed its publisher encoded twice, stored before such text was repaired
MOJIBAKE = STORY.encode("utf-8").decode("sloppy-windows-1252")


def _feed(base: str) -> str:
    summary = CREDITED.replace("\n", "<br/>")
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<language>ko-KR</language><item><title>AI 기본법 시행령 입법예고</title>"
        f"<link>{base}/brief.html</link><description><![CDATA[{summary}]]></description>"
        "</item></channel></rss>"
    )


def _brief_page() -> str:
    """A brief: too short for the page's text to count, its article in JSON-LD."""
    data = {"@type": "NewsArticle", "headline": "AI 기본법 시행령 입법예고", "articleBody": ARTICLE}
    return (
        '<html lang="ko"><head><script type="application/ld+json">'
        f"{json.dumps(data, ensure_ascii=False)}</script></head>"
        "<body><p>속보</p></body></html>"
    )


def _stored_before(con: Connection, text: str) -> int:
    """Make the one article waiting for its page hold `text`, indexed under it, as the
    previous release stored it; its retry due now. How many were waiting."""
    waiting = con.execute(
        select(ArticleRow.id, ArticleRow.title).where(ArticleRow.page_retry_at.is_not(None))
    ).all()
    for row in waiting:
        con.execute(
            update(ArticleRow)
            .where(ArticleRow.id == row.id)
            .values(text=text, page_retry_at=utcnow() - timedelta(minutes=1))
        )
        con.execute(delete(ArticleBandRow).where(ArticleBandRow.article_id == row.id))
        keys = dict.fromkeys(stored_keys(row.title, text, None, None))
        if keys:
            con.execute(
                insert(ArticleBandRow), [{"band_key": k, "article_id": row.id} for k in keys]
            )
    return len(waiting)


@pytest.mark.parametrize("stored", [CREDITED, MOJIBAKE], ids=["credits", "mojibake"])
def test_a_teaser_stored_before_is_completed_by_its_page(
    tmp_path: Path, db_url: str, stored: str
) -> None:
    """Before: the page's article (shorter than the stored teaser with its dateline, byline
    and notice, or encoded twice; longer than the story read now) did not count as longer
    than the teaser: the page was "read without article text", the teaser stayed the body
    for good and the topic only the page holds was never announced."""
    assert len(ARTICLE) < len(stored)
    topics = tmp_path / "topics.yaml"
    topics.write_text(
        "version: 1\ntopics:\n  oss:\n    min_score: 1\n    terms: {ko: [오픈소스]}\n"
    )
    (tmp_path / "brief.html").write_text(_brief_page(), encoding="utf-8")
    engine = create_engine(db_url)
    try:
        with serve(tmp_path) as site:
            (tmp_path / "feed.xml").write_text(_feed(site.base), encoding="utf-8")
            config = make_config(
                tmp_path,
                feeds=[("yna", "/feed.xml")],
                base=site.base,
                database_url=db_url,
                topics=topics,
                default_channel="#news",
            )
            site.routes["/brief.html"] = {"status": 503}
            feed_pass(config)  # stored from its teaser, its page to be tried again
            del site.routes["/brief.html"]
            with engine.begin() as con:
                assert _stored_before(con, stored) == 1
            feed_pass(config)
            assert site.paths_requested().count("/brief.html") == 2
        with engine.connect() as con:
            row = con.execute(
                select(ArticleRow.id, ArticleRow.text, ArticleRow.page_retry_at)
            ).one()
            alerts = con.execute(select(AlertRow.channel).where(AlertRow.article_id == row.id))
            channels = alerts.scalars().all()
    finally:
        engine.dispose()
    assert (row.text, row.page_retry_at) == (ARTICLE, None)
    assert channels == ["#news"]
