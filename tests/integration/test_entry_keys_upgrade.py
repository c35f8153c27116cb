"""Entries of a feed its publisher encodes twice, stored before such text was repaired (2026-12),
read by a pass now: their keys and fingerprints were computed from the text as read then, and
must still name the stored stories (a story seen as new is announced again)."""

from __future__ import annotations

from pathlib import Path

import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252)
from sqlalchemy import create_engine, delete, func, insert, select, update

from newsmon.corpus.articles import stored_keys
from newsmon.corpus.schema import AlertRow, ArticleBandRow, ArticleRow
from newsmon.dedup import entry_fingerprint, entry_identity
from newsmon.devsite import serve
from tests.integration.test_fetching import run_pass
from tests.support.configs import make_config

TITLE = "OpenAI, 한국어 오픈소스 모델 공개"
SUMMARY = "OpenAI가 한국어에 맞춘 오픈소스 언어 모델을 공개하고 가중치를 내려받을 수 있게 했다."


def _twice(text: str) -> str:
    """`text` encoded twice by its publisher (UTF-8 read as windows-1252)."""
    return text.encode("utf-8").decode("sloppy-windows-1252")


def _feed(later: bool = False) -> str:
    """An item without link or GUID (a notices feed): its text is its identity; `later`, a
    newer notice above it (the feed changed: it is read again)."""
    newer = "<item><title>정기 점검 안내</title><description>서비스 점검.</description></item>"
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"{_twice(newer) if later else ''}"
        f"<item><title>{_twice(TITLE)}</title><description>{_twice(SUMMARY)}</description>"
        "<pubDate>Mon, 30 Nov 2026 09:00:00 GMT</pubDate></item></channel></rss>"
    )


def test_a_linkless_entry_stored_before_repair_is_not_announced_again(
    tmp_path: Path, db_url: str
) -> None:
    """Before: the item's identity (its text) was computed from the repaired text, another key
    than the one stored: the story was stored again and announced a second time."""
    topics = tmp_path / "topics.yaml"
    topics.write_text("version: 1\ntopics:\n  oss:\n    min_score: 1\n    terms: {en: [OpenAI]}\n")
    (tmp_path / "feed.xml").write_text(_feed(), encoding="utf-8")
    engine = create_engine(db_url)
    try:
        with serve(tmp_path) as site:
            config = make_config(
                tmp_path,
                feeds=[("notices", "/feed.xml")],
                base=site.base,
                database_url=db_url,
                topics=topics,
                default_channel="#news",
            )
            assert run_pass(config, force=True)["notices"].new_articles == 1
            title, text = _twice(TITLE), _twice(SUMMARY)
            key = entry_identity(None, "notices", None, f"{title}\n{text}")
            with engine.begin() as con:  # as the previous release stored and announced it
                article_id = con.execute(select(ArticleRow.id)).scalar_one()
                con.execute(
                    update(ArticleRow)
                    .where(ArticleRow.id == article_id)
                    .values(
                        canonical_url=key,
                        url=key,
                        title=title,
                        text=text,
                        entry_fingerprint=entry_fingerprint(title, text),
                    )
                )
                con.execute(delete(ArticleBandRow).where(ArticleBandRow.article_id == article_id))
                keys = dict.fromkeys(stored_keys(title, text, None, None))
                rows = [{"band_key": k, "article_id": article_id} for k in keys]
                if rows:
                    con.execute(insert(ArticleBandRow), rows)
            (tmp_path / "feed.xml").write_text(_feed(later=True), encoding="utf-8")
            again = run_pass(config, force=True)["notices"]
        with engine.connect() as con:
            articles = con.execute(select(func.count()).select_from(ArticleRow)).scalar_one()
            alerts = con.execute(select(func.count()).select_from(AlertRow)).scalar_one()
    finally:
        engine.dispose()
    assert (again.entries, again.new_articles, articles, alerts) == (2, 1, 2, 1)
