"""A story its feed gives no date, whose page failed when it was first seen (stored from its
teaser, dated "first seen"), read on a later pass: the page's date is the story's, and its
age is judged by it, as a first read of the page would have judged it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select, update

from newsmon.clock import utcnow
from newsmon.corpus.schema import AlertRow, ArticleRow
from newsmon.devsite import serve
from tests.integration.test_keyed_feed_upgrade import _page
from tests.support.configs import make_config
from tests.support.passes import feed_pass


def _rss(base: str, undated: bool, teaser: str) -> str:
    dated = (
        f"<item><title>Earlier story</title><link>{base}/p0.html</link>"
        "<pubDate>Mon, 30 Nov 2026 08:00:00 GMT</pubDate>"
        "<description>Nothing of note.</description></item>"
    )
    later = (
        f"<item><title>Later story</title><link>{base}/p1.html</link>"
        f"<description>{teaser}</description></item>"
        if undated
        else ""
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<language>ko-KR</language>{later}{dated}</channel></rss>"
    )


def _dated_page(when: datetime) -> str:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return _page(1).replace(
        "<html>",
        f'<html><head><meta property="article:published_time" content="{stamp}"></head>',
    )


def _value(field: object) -> str:
    return str(getattr(field, "value", field))


def _story(
    tmp_path: Path,
    db_url: str,
    teaser: str,
    page_date: datetime | None,
    *,
    first_read: bool = False,
) -> tuple[datetime | None, list[tuple[str, str]]]:
    """Three passes: the feed alone; the undated story added, its page down (503); its page
    read at last, stating `page_date` (None: no date). With `first_read`, the story is in the
    feed's first read. The story's stored date and its alerts (status, reason)."""
    topics = tmp_path / "topics.yaml"
    topics.write_text("version: 1\ntopics:\n  policy:\n    min_score: 1\n    terms: {en: [FTC]}\n")
    (tmp_path / "p0.html").write_text(_page(0).replace("FTC", "board"))
    page = _page(1) if page_date is None else _dated_page(page_date)
    (tmp_path / "p1.html").write_text(page)

    engine = create_engine(db_url)
    try:
        with serve(tmp_path) as site:
            config = make_config(
                tmp_path,
                feeds=[("wire", "/feed.xml")],
                base=site.base,
                database_url=db_url,
                topics=topics,
                default_channel="#news",
                alerts={"max_age_hours": 72},
            )
            if not first_read:
                (tmp_path / "feed.xml").write_text(_rss(site.base, False, teaser))
                feed_pass(config)
            (tmp_path / "feed.xml").write_text(_rss(site.base, True, teaser))
            site.routes["/p1.html"] = {"status": 503}
            feed_pass(config)
            del site.routes["/p1.html"]
            with engine.begin() as con:  # its retry is due now
                waiting = con.execute(
                    update(ArticleRow)
                    .where(ArticleRow.page_retry_at.is_not(None))
                    .values(page_retry_at=utcnow() - timedelta(minutes=1))
                ).rowcount
            assert waiting == 1
            feed_pass(config)
            asked = site.paths_requested()
        assert asked.count("/p1.html") == 2, asked
        assert asked.count("/feed.xml") == (2 if first_read else 3), asked
        with engine.connect() as con:
            article = con.execute(
                select(ArticleRow.id, ArticleRow.published_at, ArticleRow.page_retry_at).where(
                    ArticleRow.title == "Later story"
                )
            ).one()
            assert article.page_retry_at is None  # read at last
            alerts = con.execute(
                select(AlertRow.status, AlertRow.hold_reason).where(
                    AlertRow.article_id == article.id
                )
            ).all()
    finally:
        engine.dispose()
    published = article.published_at
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=utcnow().tzinfo)
    return published, [(_value(a.status), _value(a.hold_reason)) for a in alerts]


def test_a_page_read_at_last_that_dates_its_undated_story_old_holds_its_alert_back(
    tmp_path: Path, db_url: str
) -> None:
    """Before: the retry judged the story's age by its "first seen" date and queued a PENDING
    alert for a story 78 h old (over `max_age_hours`: 72), its stored date "first seen"."""
    old = utcnow().replace(microsecond=0) - timedelta(hours=78)
    published, alerts = _story(tmp_path, db_url, "An inquiry was opened.", old)
    assert (published, alerts) == (old, [("skipped", "too_old")])
    assert published == old


def test_a_page_read_at_last_that_dates_its_undated_story_recent_announces_it_once(
    tmp_path: Path, db_url: str
) -> None:
    recent = utcnow().replace(microsecond=0) - timedelta(hours=2)
    published, alerts = _story(tmp_path, db_url, "An inquiry was opened.", recent)
    assert alerts == [("pending", "None")]
    assert published == recent


def test_a_story_announced_from_its_teaser_is_not_announced_again_nor_retracted(
    tmp_path: Path, db_url: str
) -> None:
    """Its teaser matched and was queued; its page, read later, dates it old: the alert
    queued stays as it was, and no second one is queued."""
    old = utcnow().replace(microsecond=0) - timedelta(hours=78)
    published, alerts = _story(tmp_path, db_url, "The FTC opened an inquiry.", old)
    assert alerts == [("pending", "None")]
    assert published == old


def test_a_page_read_at_last_that_dates_a_first_read_s_undated_story_recent_announces_it(
    tmp_path: Path, db_url: str
) -> None:
    """On the feed's first read an undated story is back catalogue unless its page dates it:
    a page read later that dates it recent announces it, as a first read of it would have."""
    recent = utcnow().replace(microsecond=0) - timedelta(hours=2)
    published, alerts = _story(tmp_path, db_url, "An inquiry.", recent, first_read=True)
    assert (published, alerts) == (recent, [("pending", "None")])


def test_a_page_read_at_last_that_does_not_date_a_first_read_s_undated_story_holds_it_back(
    tmp_path: Path, db_url: str
) -> None:
    """Before: a new feed's undated story, its page down on the first read, was announced when
    its page (no date either) was read later, though a first read of that page holds back a
    story of unknown age (the back catalogue)."""
    _, alerts = _story(tmp_path, db_url, "An inquiry.", None, first_read=True)
    assert alerts == [("skipped", "too_old")]


def test_a_first_read_s_matching_teaser_held_back_is_announced_once_when_its_page_dates_it_recent(
    tmp_path: Path, db_url: str
) -> None:
    """Before: its teaser matched on the feed's first read and was held back (of unknown age);
    its page, read later, dated it 2 h old, yet the story was never announced: the held-back
    alert counted as one in its channel, and none was queued."""
    recent = utcnow().replace(microsecond=0) - timedelta(hours=2)
    teaser = "The FTC opened an inquiry."
    published, alerts = _story(tmp_path, db_url, teaser, recent, first_read=True)
    assert (published, alerts) == (recent, [("pending", "None")])


def test_a_first_read_s_matching_teaser_held_back_stays_held_when_its_page_dates_it_old(
    tmp_path: Path, db_url: str
) -> None:
    old = utcnow().replace(microsecond=0) - timedelta(hours=78)
    teaser = "The FTC opened an inquiry."
    published, alerts = _story(tmp_path, db_url, teaser, old, first_read=True)
    assert (published, alerts) == (old, [("skipped", "too_old")])
