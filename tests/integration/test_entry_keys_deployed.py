"""A link-less entry its publisher encodes twice, stored by the release deployed before this
one (tests/support/old_release.py: a5335bd, which repaired the text before keying it), read by
a pass now (which keys the text as read, 2026-12 `f2d79ee`): the stored story is found under
the key that release gave it, not stored and announced again. SQLite and PostgreSQL.

Before: the pass keyed the entry from the text as read only, another key than the deployed
release's; the story was stored again and announced a second time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, func, insert, select, update

from newsmon.corpus import Store
from newsmon.corpus.articles import stored_keys
from newsmon.corpus.schema import AlertRow, ArticleBandRow, ArticleRow
from newsmon.devsite import serve
from newsmon.feeds import FeedEntry
from newsmon.pipeline.entry_keys import identify, known_articles, wanted
from tests.integration.test_entry_keys_upgrade import _feed
from tests.integration.test_fetching import run_pass
from tests.support.configs import make_config
from tests.support.delivery import new_article
from tests.support.old_release import SECONDS, deployed_source

# Tests of migrating, of old releases' corpora or of a corpus's first open: no copy of one at head.
pytestmark = pytest.mark.fresh_corpus

# The deployed release's reading of the feed: each entry's identity, fingerprint and text.
_OLD_READ = """
import json, sys
from pathlib import Path
from newsmon.dedup import entry_fingerprint, entry_identity
from newsmon.feeds import parse_feed
entries = parse_feed(Path(sys.argv[1]).read_bytes(), "http://127.0.0.1/feed.xml").entries
print(json.dumps([
    [entry_identity(e.link, "notices", e.guid, "\\n".join(e.key_text())),
     entry_fingerprint(*e.key_text()), e.title, e.summary]
    for e in entries
]))
"""


def _deployed_reading(src: Path, feed: Path) -> list[list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSMON_", "SLACK_"))}
    env["PYTHONPATH"] = str(src)
    done = subprocess.run(
        [sys.executable, "-c", _OLD_READ, str(feed)],
        capture_output=True,
        text=True,
        timeout=SECONDS,
        env=env,
        cwd=src,
        check=True,
    )
    rows: list[list[str]] = json.loads(done.stdout)
    return rows


def test_a_linkless_entry_the_deployed_release_stored_is_not_announced_again(
    tmp_path: Path, db_url: str
) -> None:
    topics = tmp_path / "topics.yaml"
    topics.write_text("version: 1\ntopics:\n  oss:\n    min_score: 1\n    terms: {en: [OpenAI]}\n")
    feed = tmp_path / "feed.xml"
    feed.write_text(_feed(), encoding="utf-8")
    [(key, fingerprint, title, text)] = _deployed_reading(deployed_source(tmp_path / "old"), feed)
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
            with engine.begin() as con:  # as the deployed release stored and announced it
                article_id = con.execute(select(ArticleRow.id)).scalar_one()
                assert con.execute(select(ArticleRow.canonical_url)).scalar_one() != key
                con.execute(
                    update(ArticleRow)
                    .where(ArticleRow.id == article_id)
                    .values(
                        canonical_url=key,
                        url=key,
                        title=title,
                        text=text,
                        entry_fingerprint=fingerprint,
                    )
                )
                con.execute(delete(ArticleBandRow).where(ArticleBandRow.article_id == article_id))
                keys = dict.fromkeys(stored_keys(title, text, None, None))
                rows = [{"band_key": k, "article_id": article_id} for k in keys]
                if rows:
                    con.execute(insert(ArticleBandRow), rows)
            feed.write_text(_feed(later=True), encoding="utf-8")
            again = run_pass(config, force=True)["notices"]
        with engine.connect() as con:
            articles = con.execute(select(func.count()).select_from(ArticleRow)).scalar_one()
            alerts = con.execute(select(func.count()).select_from(AlertRow)).scalar_one()
    finally:
        engine.dispose()
    assert (again.entries, again.new_articles, articles, alerts) == (2, 1, 2, 1)


def _deployed_key(src: Path, link: str) -> str:
    """The canonical URL the deployed release gives `link`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSMON_", "SLACK_"))}
    env["PYTHONPATH"] = str(src)
    code = "import sys; from newsmon.urls import canonical_url; print(canonical_url(sys.argv[1]))"
    done = subprocess.run(
        [sys.executable, "-c", code, link],
        capture_output=True,
        text=True,
        timeout=SECONDS,
        env=env,
        cwd=src,
        check=True,
    )
    return done.stdout.strip()


def test_a_story_the_deployed_release_keyed_with_a_dotted_host_is_still_found(
    tmp_path: Path, db_url: str
) -> None:
    """Before: the deployed release keyed `www.yna.co.kr。/view/AKR1` as `https://yna.co.kr./…`;
    this one keys it as the plain host, and without the former key the story was new again."""
    link = "https://www.yna.co.kr。/view/AKR20261201000100017"
    other = "https://www.yna.co.kr。/view/AKR20261201000200017"  # another story: new
    deployed = _deployed_key(deployed_source(tmp_path / "old"), link)
    assert deployed == "https://yna.co.kr./view/AKR20261201000100017"
    store = Store.open(db_url)
    try:
        stored = store.add_article(new_article(deployed, "a story", url=link))
        entries = [FeedEntry(None, x, f"story {x}", "text", None, None) for x in (link, other)]
        identified = identify(entries, "yna")
        assert set(identified.entries) == {
            "https://yna.co.kr/view/AKR20261201000100017",
            "https://yna.co.kr/view/AKR20261201000200017",
        }
        known = known_articles(store.known_articles(wanted(identified)), identified)
        assert {identified.entries[k].link: v.id for k, v in known.items()} == {link: stored.id}
    finally:
        store.close()
