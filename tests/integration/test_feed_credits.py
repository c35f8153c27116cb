"""Korean credits in feed summaries, through the real parser and pipeline on a loopback site: a
summary stored as the body (its page refused) opens with the agency's dateline and ends with
the reporter's byline and the copyright notice, as 연합뉴스's and others' feeds write them.
Stored, they opened alert snippets and kept a teaser from reading as its page's opening."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.config import Config
from newsmon.devsite import SiteServer, serve
from newsmon.pipeline import Context
from tests.integration.test_fetching import rss, run_pass
from tests.support.configs import make_config

STORY = (
    "과학기술정보통신부는 1일 인공지능 기본법 시행령 제정안을 입법예고하고 고영향 인공지능 "
    "사업자의 안전성 확보 의무와 규제 기준을 공개했다."
)
PICTURED = (
    "방송통신위원회는 2일 생성형 인공지능 이용자 보호 가이드라인을 의결하고 딥페이크 표시 "
    "의무를 담은 법 개정을 국회에 요청했다."
)
# the page is refused (not on a public network): the summary is the stored body
ITEMS = [
    (
        "AI 기본법 시행령 입법예고",
        f"(서울=연합뉴스) 홍길동 기자 = {STORY}<br/>홍길동 기자 hong@yna.co.kr<br/>"
        "ⓒ 연합뉴스, 무단 전재-재배포, AI 학습 및 활용 금지",
    ),
    ("생성형 AI 가이드라인", f"[사진 제공=방송통신위원회] {PICTURED}"),
    (
        "AI Basic Act decree",
        "SEOUL, Dec. 1 (Reuters) - The science ministry published the AI Basic Act decree "
        "for high-impact AI providers.<br/>© 2025 Reuters. All rights reserved.",
    ),
]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteServer]:
    root = tmp_path / "site"
    root.mkdir()
    (root / "_routes.json").write_text(json.dumps({}))
    items = "".join(
        f"<item><title>{title}</title><link>http://127.0.0.1:9/{i}.html</link>"
        f"<description><![CDATA[{summary}]]></description>"
        "<pubDate>Mon, 01 Dec 2025 09:00:00 +0900</pubDate></item>"
        for i, (title, summary) in enumerate(ITEMS)
    )
    (root / "feed.xml").write_text(rss(items), encoding="utf-8")
    with serve(root) as server:
        yield server


def _config(tmp_path: Path, site: SiteServer) -> Config:
    return make_config(
        tmp_path,
        feeds=[("yna", "/feed.xml")],
        base=site.base,
        fetch={"allow_private_networks": False},
        channels={"policy": "#policy"},
    )


def test_a_summary_stored_as_the_body_has_no_dateline_byline_or_notice(
    tmp_path: Path, site: SiteServer
) -> None:
    config = _config(tmp_path, site)
    assert run_pass(config)["yna"].new_articles == len(ITEMS)
    ctx = Context.open(config)
    try:
        stored = {a.title: a for a in ctx.store.list_articles(limit=10)}
        snippets = {
            job.title: next(m.snippet for m in job.matches if m.snippet)
            for job in ctx.store.pending_alerts(10)
        }
    finally:
        ctx.close()
    dated = stored["AI 기본법 시행령 입법예고"]
    assert dated.text_source == "feed-summary"
    assert dated.text == STORY
    assert "연합뉴스" not in snippets["AI 기본법 시행령 입법예고"]
    assert snippets["AI 기본법 시행령 입법예고"].startswith("과학기술정보통신부는")
    # a caption glued to the story's paragraph goes; the story's sentence stays
    assert stored["생성형 AI 가이드라인"].text == PICTURED
    # English summaries as they were
    english = stored["AI Basic Act decree"].text
    assert english.startswith("SEOUL, Dec. 1 (Reuters) - The science ministry")
    assert english.endswith("\n© 2025 Reuters. All rights reserved.")
