"""A linked entry its publisher encodes twice ("ì˜¤í”ˆì†ŒìŠ¤"), stored by the release deployed
before this one (tests/support/old_release.py: a5335bd, run for real: its pass, its delivery
to Slack), then read unchanged by a pass of this release. SQLite and PostgreSQL.

a5335bd repaired the text before fingerprinting it; this release fingerprints the text as read
(2026-12 `f2d79ee`). Before: the unchanged entry looked edited on the first pass after the
upgrade: its page was fetched again and the pass counted it `updated`. An entry really edited
is still an edit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252)
import pytest
from sqlalchemy import create_engine, func, select

from newsmon.config import load_config
from newsmon.corpus.schema import AlertRow, ArticleRow, MatchRow
from newsmon.devsite import serve
from newsmon.pipeline import Context, deliver
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack
from tests.support.old_release import SECONDS, deployed_source
from tests.support.passes import feed_pass

# Tests of migrating, of old releases' corpora or of a corpus's first open: no copy of one at head.
pytestmark = pytest.mark.fresh_corpus

TITLE = "오픈소스 AI 모델 공개"
SUMMARY = "한 연구소가 한국어 오픈소스 언어 모델을 공개하고 가중치를 내려받을 수 있게 했다."
EDITED = "한 연구소가 한국어 오픈소스 언어 모델과 학습 데이터를 함께 공개했다."
ARTICLE = (
    "한 연구소가 1일 한국어에 맞춘 오픈소스 언어 모델을 공개하고 누구나 가중치를 내려받아 "
    "고쳐 쓸 수 있게 했다. 연구소는 모델의 학습 방법과 평가 결과도 함께 공개했으며, 국내 "
    "기업과 대학이 이 모델을 바탕으로 서비스를 만들 수 있도록 지원하겠다고 밝혔다. "
) * 3
GROWN = ARTICLE + "정부는 이 모델을 두고 새 규제 기준을 검토하겠다고 밝혔다."

# The deployed release's pass over the configured feeds, then (argv[2] == "send") its delivery.
_OLD_PASS = """
import asyncio, json, sys
from newsmon.config import load_config
from newsmon.pipeline import Context, deliver, process_feeds
config = load_config(sys.argv[1])
ctx = Context.open(config)
async def go():
    async with ctx.fetching() as fetcher:
        return await process_feeds(ctx, fetcher, config.feeds, force=True)
try:
    outcome = asyncio.run(go())[0]
    sent = deliver(ctx).sent if sys.argv[2] == "send" else 0
finally:
    ctx.close()
print(json.dumps([outcome.new_articles, sent]))
"""


def _twice(text: str) -> str:
    """`text` encoded twice by its publisher (UTF-8 read as windows-1252)."""
    return text.encode("utf-8").decode("sloppy-windows-1252")


def _feed(base: str, summary: str = SUMMARY, later: bool = False) -> str:
    """The feed; `later`, with a newer notice above the entry (the feed changed: it is read
    again, as a feed's next read nearly always is)."""
    newer = "<item><title>정기 점검 안내</title><description>서비스 점검.</description></item>"
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<language>ko-KR</language>{_twice(newer) if later else ''}"
        f"<item><title>{_twice(TITLE)}</title>"
        f"<link>{base}/article.html</link><description>{_twice(summary)}</description>"
        "<pubDate>Mon, 30 Nov 2026 09:00:00 GMT</pubDate></item></channel></rss>"
    )


def _page(article: str = ARTICLE) -> str:
    return (
        f'<html lang="ko"><head><title>{TITLE}</title></head><body><article>'
        f"<h1>{TITLE}</h1><p>{article}</p></article></body></html>"
    )


def _old_pass(src: Path, config: Path, slack: FakeSlack, send: bool) -> list[int]:
    """New articles and alerts sent by the deployed release's pass (and delivery)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSMON_", "SLACK_"))}
    env |= {
        "PYTHONPATH": str(src),
        "SLACK_BOT_TOKEN": slack.token,
        "NEWSMON_SLACK_API_URL": slack.api_url,
    }
    done = subprocess.run(
        [sys.executable, "-c", _OLD_PASS, str(config), "send" if send else "keep"],
        capture_output=True,
        text=True,
        timeout=SECONDS,
        env=env,
        cwd=src,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    counts: list[int] = json.loads(done.stdout.strip().splitlines()[-1])
    return counts


@pytest.mark.parametrize(
    ("sent", "edit", "grown"),
    [(False, False, False), (True, False, True), (False, True, False), (True, True, True)],
    ids=["unchanged-waiting", "unchanged-sent-page-grown", "edited-waiting", "edited-sent-grown"],
)
def test_a_linked_entry_encoded_twice_stored_by_the_deployed_release(
    tmp_path: Path,
    db_url: str,
    slack: FakeSlack,
    sent: bool,
    edit: bool,
    grown: bool,
) -> None:
    """Unchanged: no page fetched again, no re-classification (a page `grown` a topic since
    gives none), no second post or thread reply, one alert. Edited (the summary changed): its
    page is read again and classified anew."""
    topics = tmp_path / "topics.yaml"
    topics.write_text(
        "version: 1\ntopics:\n  oss:\n    min_score: 1\n    terms: {ko: [오픈소스]}\n"
        "  policy:\n    min_score: 1\n    terms: {ko: [규제]}\n"
    )
    (tmp_path / "article.html").write_text(_page(), encoding="utf-8")
    engine = create_engine(db_url)
    try:
        with serve(tmp_path) as site:
            (tmp_path / "feed.xml").write_text(_feed(site.base), encoding="utf-8")
            path = write_config(
                tmp_path,
                feeds=[("lab", "/feed.xml")],
                base=site.base,
                database_url=db_url,
                topics=topics,
                default_channel="#news",
            )
            old = deployed_source(tmp_path / "old")
            assert _old_pass(old, path, slack, sent) == [1, int(sent)]
            posts = len(slack.posts)
            if grown:  # the page says more now; its feed entry may not
                (tmp_path / "article.html").write_text(_page(GROWN), encoding="utf-8")
            now = _feed(site.base, EDITED if edit else SUMMARY, later=True)
            (tmp_path / "feed.xml").write_text(now, encoding="utf-8")
            config = load_config(path)
            outcome = feed_pass(config)["lab"]
            ctx = Context.open(config)
            try:
                deliver(ctx)
            finally:
                ctx.close()
            fetched = site.paths_requested().count("/article.html")
        with engine.connect() as con:
            articles = con.execute(select(func.count()).select_from(ArticleRow)).scalar_one()
            alerts = con.execute(select(func.count()).select_from(AlertRow)).scalar_one()
            topics_now = con.execute(select(MatchRow.topic).order_by(MatchRow.topic)).scalars()
            matched = list(topics_now)
    finally:
        engine.dispose()
    assert (articles, alerts, outcome.new_articles) == (2, 1, 1)
    # an edit re-reads the page (the same article: nothing `updated`); no edit reads nothing
    if not edit:  # the alert waiting is sent once; one sent before is not posted again
        assert len(slack.posts) - posts == (0 if sent else 1), slack.posts[posts:]
    assert (fetched, outcome.updated) == ((2, int(grown)) if edit else (1, 0))
    assert matched == (["oss", "policy"] if edit and grown else ["oss"])


def _live_blog(base: str, later: bool = False) -> str:
    """Updates of one live page, each its own item without a GUID of its own: told apart by
    their text (`entry_keys`); `later`, a newer notice above them."""
    newer = "<item><title>정기 점검 안내</title><description>서비스 점검.</description></item>"
    updates = "".join(
        f"<item><title>{_twice(f'{TITLE} ({n})')}</title><link>{base}/live.html</link>"
        f"<description>{_twice(f'{n}번째 소식: 오픈소스 모델의 가중치를 공개했다.')}"
        "</description></item>"
        for n in (1, 2)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<language>ko-KR</language>{_twice(newer) if later else ''}{updates}</channel></rss>"
    )


def test_live_blog_items_encoded_twice_stored_by_the_deployed_release_are_not_new_again(
    tmp_path: Path, db_url: str, slack: FakeSlack
) -> None:
    """Before: each item's key (its page and its text's digest) was taken from the text as
    read, another than the repaired text's the deployed release keyed it by: every update was
    stored and announced a second time."""
    topics = tmp_path / "topics.yaml"
    topics.write_text(
        "version: 1\ntopics:\n  oss:\n    min_score: 1\n    terms: {ko: [오픈소스]}\n"
    )
    (tmp_path / "live.html").write_text(_page(), encoding="utf-8")
    engine = create_engine(db_url)
    try:
        with serve(tmp_path) as site:
            (tmp_path / "feed.xml").write_text(_live_blog(site.base), encoding="utf-8")
            path = write_config(
                tmp_path,
                feeds=[("live", "/feed.xml")],
                base=site.base,
                database_url=db_url,
                topics=topics,
                default_channel="#news",
            )
            assert _old_pass(deployed_source(tmp_path / "old"), path, slack, True) == [2, 2]
            (tmp_path / "feed.xml").write_text(_live_blog(site.base, True), encoding="utf-8")
            config = load_config(path)
            outcome = feed_pass(config)["live"]
            ctx = Context.open(config)
            try:
                deliver(ctx)
            finally:
                ctx.close()
        with engine.connect() as con:
            articles = con.execute(select(func.count()).select_from(ArticleRow)).scalar_one()
            alerts = con.execute(select(func.count()).select_from(AlertRow)).scalar_one()
    finally:
        engine.dispose()
    assert (outcome.entries, outcome.new_articles, articles, alerts) == (3, 1, 3, 2)
    assert len(slack.posts) == 2, [p.get("text") for p in slack.posts]
