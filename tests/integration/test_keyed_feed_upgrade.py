"""A private feed's stories stored before newsmon took the feed's key out of their links and
GUIDs (`urls.without_keys_of`): the corpus knows them under their keyed identity, and a pass
after the upgrade must still know them, not store and announce them again."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from newsmon.devsite import serve
from newsmon.pipeline import Context, FeedOutcome, entry_keys, process_feed
from tests.integration.test_fetch_boundary import story
from tests.support.configs import make_config

KEY = "k-hunter2secret"


def _page(seed: int) -> str:
    words = "".join(f"{word}{seed} " for word in story(seed=seed).split())  # no copies
    return f"<html><body><article><p>The FTC said.</p>{words}</article></body></html>"


def _feed(site_url: str, links: list[str]) -> str:
    items = ""
    for n, link in enumerate(links):
        url = site_url + link
        items += (
            f"<item><title>FTC story {n}</title><link>{url.replace('&', '&amp;')}</link>"
            f'<guid isPermaLink="false">{url.replace("&", "&amp;")}</guid>'
            f"<description>The FTC opened an inquiry, story {n}.</description></item>"
        )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    )


def _count(db_url: str, table: str, where: str = "") -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as con:
            query = f"SELECT count(*) FROM {table} {where}"
            return int(con.execute(text(query), {"key": f"%{KEY}%"}).scalar_one())
    finally:
        engine.dispose()


def test_stories_stored_with_the_key_before_the_upgrade_are_not_announced_again(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stored by a newsmon that kept the key (the same pass, keys left in), then a pass of this
    one, whose pages now answer a reader without the key with a teaser: each story is known."""
    (tmp_path / "_routes.json").write_text(json.dumps({}))
    topics = tmp_path / "topics.yaml"
    topics.write_text("version: 1\ntopics:\n  policy:\n    terms: {en: [FTC]}\n")
    links = [f"/p{n}.html?apikey={KEY}&id={n}" for n in range(3)]
    for n in range(3):
        (tmp_path / f"p{n}.html").write_text(_page(n))
    with serve(tmp_path) as site:
        (tmp_path / "private.xml").write_text(_feed(site.base, links[:2]))
        config = make_config(
            tmp_path,
            feeds=[("private", f"/private.xml?apikey={KEY}")],
            base=site.base,
            database_url=db_url,
            topics=topics,
            default_channel="#news",
        )

        def one_pass() -> FeedOutcome:
            ctx = Context.open(config)
            try:

                async def go() -> FeedOutcome:
                    async with ctx.fetching() as fetcher:
                        return await process_feed(ctx, fetcher, config.feeds[0], force=True)

                return asyncio.run(go())
            finally:
                ctx.close()

        with monkeypatch.context() as old:  # the newsmon before: entries kept the feed's key
            old.setattr(entry_keys, "_without_feed_key", lambda entry, _url: entry)
            before = one_pass()
        assert before.ok and before.new_articles == 2, before
        alerts = _count(db_url, "alerts")
        assert alerts == 2
        for n in range(2):  # a reader without the key now gets a teaser, another text
            (tmp_path / f"p{n}.html").write_text(
                f"<html><body><article><p>Subscribe to read story {n}.</p></article></body></html>"
            )
        (tmp_path / "private.xml").write_text(_feed(site.base, links))
        after = one_pass()  # the feed has a new story since
    assert after.ok and after.new_articles == 1 and after.already_seen == 2, after
    assert _count(db_url, "articles") == 3
    assert (_count(db_url, "alerts"), _count(db_url, "alert_replies")) == (alerts + 1, 0)
    assert _count(db_url, "article_sightings", "WHERE url LIKE :key") == 0  # nothing new keyed
    # rewritten without the key (`corpus.feed_keys`), and still known: none stored again
    assert _count(db_url, "articles", "WHERE url LIKE :key OR guid LIKE :key") == 0
