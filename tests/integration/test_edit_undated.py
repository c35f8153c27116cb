"""An edit of a story nothing dates (its feed writes no date, nor did its page): its age is the
one it was stored with, not the edit's time. A story of the feed's back catalogue (of unknown
age, held back on the feed's first read) stays held back when an edit gives it a topic, unless
the edited page states a recent date: then it is announced, once."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select

from newsmon.clock import utcnow
from newsmon.corpus.schema import AlertRow, ArticleRow
from newsmon.devsite import serve
from tests.integration.test_keyed_feed_upgrade import _page
from tests.integration.test_retry_page_dates import _dated_page, _value
from tests.support.configs import make_config
from tests.support.passes import feed_pass


def _rss(base: str, teaser: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>Old story</title><link>{base}/p1.html</link>"
        f"<description>{teaser}</description></item>"
        f"<item><title>Earlier story</title><link>{base}/p0.html</link>"
        "<pubDate>Mon, 30 Nov 2026 08:00:00 GMT</pubDate>"
        "<description>Nothing of note.</description></item></channel></rss>"
    )


def _edited(tmp_path: Path, db_url: str, first: str, edit: str) -> list[tuple[str, str]]:
    """Two passes: the feed's first read, the undated story's page `first`; then its entry
    edited, its page `edit`. The story's alerts (status, reason)."""
    topics = tmp_path / "topics.yaml"
    topics.write_text("version: 1\ntopics:\n  policy:\n    min_score: 1\n    terms: {en: [FTC]}\n")
    (tmp_path / "p0.html").write_text(_page(0).replace("FTC", "board"))

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
            (tmp_path / "feed.xml").write_text(_rss(site.base, "A board met."))
            (tmp_path / "p1.html").write_text(first)
            feed_pass(config)
            (tmp_path / "feed.xml").write_text(_rss(site.base, "A board met; updated."))
            (tmp_path / "p1.html").write_text(edit)
            feed_pass(config)
            asked = site.paths_requested()
        assert asked.count("/p1.html") == 2, asked  # read, then read again for its edit
        with engine.connect() as con:
            story = select(ArticleRow.id).where(ArticleRow.title == "Old story")
            alerts = con.execute(
                select(AlertRow.status, AlertRow.hold_reason).where(
                    AlertRow.article_id.in_(story.scalar_subquery())
                )
            ).all()
    finally:
        engine.dispose()
    return [(_value(a.status), _value(a.hold_reason)) for a in alerts]


def _silent() -> str:
    return _page(1).replace("FTC", "board")


def _recent() -> datetime:
    return utcnow().replace(microsecond=0) - timedelta(hours=2)


def test_an_edit_giving_a_back_catalogue_story_its_first_topic_holds_it_back(
    tmp_path: Path, db_url: str
) -> None:
    """Before: the edit aged the story by the time of the edit (its page dates nothing) and
    announced a story of the feed's back catalogue as new (`pending`)."""
    assert _edited(tmp_path, db_url, _silent(), _page(1)) == [("skipped", "too_old")]


def test_an_edit_dating_a_back_catalogue_story_recent_announces_its_first_topic(
    tmp_path: Path, db_url: str
) -> None:
    assert _edited(tmp_path, db_url, _silent(), _dated_page(_recent())) == [("pending", "None")]


def test_an_edit_dating_a_held_back_catalogue_story_recent_announces_it_once(
    tmp_path: Path, db_url: str
) -> None:
    """Before: its page matched on the feed's first read and was held back (of unknown age);
    the edited page dated it 2 h old, yet the story was never announced: the held-back alert
    counted as one in its channel."""
    edit = _dated_page(_recent()).replace("</article>", "<p>Updated.</p></article>")
    assert _edited(tmp_path, db_url, _page(1), edit) == [("pending", "None")]


def test_an_edit_not_dating_a_held_back_catalogue_story_keeps_it_held(
    tmp_path: Path, db_url: str
) -> None:
    edit = _page(1).replace("</article>", "<p>Updated.</p></article>")
    assert _edited(tmp_path, db_url, _page(1), edit) == [("skipped", "too_old")]
