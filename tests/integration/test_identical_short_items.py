"""One-line items carried by two feeds under two URLs: a headline and a summary under the
short-item rule's 60 characters (a wire's "[속보]", an English one-line brief). Too short for
a hash, a signature, the short-item rule or a lead, each copy was a story of its own and was
announced at top level again. Identical ones (headline and line, normalised) are one story;
other lines under one headline, other headlines over one generic line ("Read more", the site's
name, nothing) and a daily item under a standing headline stay apart. Texts written for
newsmon (names and figures made up). Real Store on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus, DuplicateReason
from newsmon.dedup import MIN_SHORT_BODY_CHARS, headline_free_body, lead_keys, short_body
from newsmon.devsite import serve
from newsmon.pipeline import Context, FeedOutcome, process_feeds
from tests.integration.test_concurrent_dedup import counts, first_decides_then_waits, store
from tests.support.articles import new_article
from tests.support.configs import make_config

T0 = datetime(2025, 2, 17, 6, tzinfo=UTC)

KO_TITLE = '[속보] 과기정통부 "국가 AI 컴퓨팅 센터 사업자 2월 공모"'
KO_LINE = "과기정통부, 2조원 규모 AI 컴퓨팅 센터 사업자 공모"
EN_TITLE = "OpenAI makes o3-mini free for all ChatGPT users"
EN_LINE = "Available to free users starting today."

# (title, text) of each copy, as the pipeline stores them: the feed's summary alone (a teaser),
# the page's text with its headline line, a label on one feed's headline only
COPIES = {
    "ko-teasers": [(KO_TITLE, KO_LINE), (KO_TITLE, KO_LINE)],
    "ko-page-and-teaser": [(KO_TITLE, f"{KO_TITLE}\n{KO_LINE}"), (KO_TITLE, KO_LINE)],
    "ko-label-on-one": [(KO_TITLE, KO_LINE), (KO_TITLE.removeprefix("[속보] "), KO_LINE)],
    "en-teasers": [(EN_TITLE, EN_LINE), (EN_TITLE, EN_LINE)],
    "en-spelled-otherwise": [(EN_TITLE, EN_LINE), (f"BREAKING: {EN_TITLE.upper()}", EN_LINE)],
    "en-page-and-teaser": [(EN_TITLE, EN_LINE), (EN_TITLE, f"{EN_TITLE}\n\n{EN_LINE}\n")],
    "en-no-summary": [(EN_TITLE, ""), (EN_TITLE, EN_TITLE)],
}

# pairs that are not one story though some part of them is the same
APART = {
    # one desk, one event, one headline, two different lines
    "ko-two-lines-one-event": [
        (KO_TITLE, KO_LINE),
        (KO_TITLE, "과기정통부, AI 인재 양성 사업에 1조원 투입"),
    ],
    # generic lines under other headlines
    "read-more": [
        (EN_TITLE, "Read more"),
        ("Nvidia shares fall 17% after DeepSeek R1", "Read more"),
    ],
    "site-name": [
        (KO_TITLE, "연합뉴스"),
        ('[속보] 개인정보위 "오픈AI에 과징금 15억원 부과"', "연합뉴스"),
    ],
    "empty": [(EN_TITLE, ""), ("Meta releases Llama 4 Scout and Maverick weights", "")],
    # generic headline and generic line, both the same: nothing tells the story
    "breaking-news": [("Breaking news", "Read more"), ("Breaking news", "Read more")],
    "sokbo": [("[속보]", "속보"), ("속보", "속보")],
    "site-briefing": [
        ("[AI 브리핑] 오늘의 주요 소식", "연합뉴스"),
        ("[AI 브리핑] 오늘의 주요 소식", "연합뉴스"),
    ],
}


def _store(db_url: str, items: list[tuple[str, str]], hours: float = 1) -> list[int | None]:
    """Store the items `hours` apart, each from its own feed's URL; each one's cluster head."""
    store = Store.open(db_url)
    try:
        heads = []
        for n, (title, text) in enumerate(items):
            article = new_article(
                f"https://wire{n}.example/news/{n}",
                text,
                signed=True,
                title=title,
                published_at=T0 + timedelta(hours=hours * n),
            )
            stored = store.add_article(article)
            if stored.duplicate_of is not None:
                assert stored.duplicate_reason == DuplicateReason.SHORT
                assert stored.similarity == 1.0
            heads.append(stored.duplicate_of)
        return heads
    finally:
        store.close()


def test_the_lines_are_under_every_other_rule() -> None:
    """What makes the case: no hash, no signature, no short body, no lead."""
    for title, text in [c for pair in COPIES.values() for c in pair]:
        assert len(headline_free_body(title, text)) < MIN_SHORT_BODY_CHARS
        assert short_body(title, text) is None and not lead_keys(title, text)


@pytest.mark.parametrize("case", sorted(COPIES))
def test_identical_one_line_items_of_two_feeds_are_one_story(db_url: str, case: str) -> None:
    """The second copy joins the first one's story: before, both were stories of their own
    (two top-level alerts)."""
    heads = _store(db_url, COPIES[case])
    assert heads[0] is None and heads[1] is not None, heads


def test_a_third_copy_later_in_the_day_joins_the_story_too(db_url: str) -> None:
    """Copies keep their index rows: a third feed's copy nine hours after the second (past
    the window from the first) still finds the story."""
    heads = _store(db_url, [(EN_TITLE, EN_LINE)] * 3, hours=9)
    assert heads[0] is None and heads[1] == heads[2] is not None, heads


@pytest.mark.parametrize("case", sorted(APART))
def test_one_line_items_that_are_not_one_story_stay_apart(db_url: str, case: str) -> None:
    assert _store(db_url, APART[case]) == [None, None]


def test_a_daily_item_under_a_standing_headline_is_another_story(db_url: str) -> None:
    """The same headline and line a day later is the next issue of a standing item (a daily
    briefing whose summary never changes), not a copy: copies of a one-line item come out
    within hours."""
    daily = ("Your morning AI briefing from the newsroom", "Today's top stories in AI.")
    assert _store(db_url, [daily, daily], hours=24) == [None, None]


def _one_line_site(root: Path) -> None:
    """Two feeds ("wire", "portal") carrying the Korean and the English one-line item, each
    under its own URL; each page holds only the headline and the line (under 150 characters
    of text: the pipeline stores the feed's summary)."""
    for feed in ("wire", "portal"):
        items = ""
        for lang, (title, line) in {"ko": (KO_TITLE, KO_LINE), "en": (EN_TITLE, EN_LINE)}.items():
            path = f"{feed}/{lang}-brief.html"
            (root / feed).mkdir(parents=True, exist_ok=True)
            (root / path).write_text(
                f"<html><body><article><h1>{escape(title)}</h1><p>{escape(line)}</p>"
                "</article></body></html>",
                encoding="utf-8",
            )
            items += (
                f"<item><title>{escape(title)}</title><link>{{{{BASE}}}}/{path}</link>"
                f"<pubDate>{format_datetime(utcnow())}</pubDate>"
                f"<description>{escape(line)}</description></item>"
            )
        (root / f"{feed}.xml").write_text(
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{feed}</title>{items}</channel></rss>",
            encoding="utf-8",
        )


def test_a_pass_over_two_feeds_carrying_one_line_items_announces_each_once(
    tmp_path: Path, db_url: str
) -> None:
    """The real pipeline (feeds and pages on loopback, the real Store): two stories, two
    alerts; the second feed's copies are duplicates. Before, four top-level alerts."""
    _one_line_site(tmp_path)
    topics = tmp_path / "topics.yaml"
    topics.write_text(
        "version: 1\ntopics:\n  ai:\n    terms: {en: [ChatGPT], ko: [과기정통부]}\n",
        encoding="utf-8",
    )
    with serve(tmp_path) as site:
        config = make_config(
            tmp_path,
            feeds=[("wire", "/wire.xml"), ("portal", "/portal.xml")],
            base=site.base,
            database_url=db_url,
            topics=topics,
            default_channel="#news",
        )
        ctx = Context.open(config)
        try:

            async def go() -> list[FeedOutcome]:
                async with ctx.fetching() as fetcher:
                    out = []  # one feed after the other: the order is the test's
                    for feed in config.feeds:
                        out += await process_feeds(ctx, fetcher, [feed], force=True)
                    return out

            outcomes = asyncio.run(go())
        finally:
            ctx.close()
    assert all(o.ok for o in outcomes), outcomes
    store = Store.open(db_url)
    try:
        rows = store.list_articles(limit=10)
        assert len(rows) == 4
        heads = [a for a in rows if a.duplicate_of_id is None]
        assert sorted(a.title or "" for a in heads) == sorted([KO_TITLE, EN_TITLE])
        assert store.count_alerts(AlertStatus.PENDING) == 2
    finally:
        store.close()


def test_two_workers_storing_one_line_copies_at_once_make_one_story(
    monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    """Two workers (two engines) store the two feeds' copies at the same moment, the first
    stopped right after deciding its cluster: the one-line key is locked with the story's
    other keys, so the second decides after the first committed. One original, one alert."""
    a = new_article("https://wire.example/1", EN_LINE, signed=True, title=EN_TITLE)
    b = new_article("https://portal.example/2", EN_LINE, signed=True, title=EN_TITLE)
    Store.open(db_url).close()  # migrated before the workers start
    one, two = Store.open(db_url), Store.open(db_url)
    try:
        first, second = first_decides_then_waits(monkeypatch, store(one, a), store(two, b))
        assert sorted(r.duplicate_of is None for r in (first, second)) == [False, True]
        assert counts(one) == (1, 1)
    finally:
        one.close()
        two.close()
