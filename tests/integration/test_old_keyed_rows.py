"""A corpus written before a keyed feed's credentials were taken out of its entries holds
stories whose link, GUID and key carry the reader's `?apikey=`: `newsmon articles`, alerts and
thread replies showed it. A pass of that feed rewrites them without it, once (a re-run finds
nothing), and the stories stay known: none is stored or announced again."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select, update

from newsmon.corpus.schema import ArticleRow
from newsmon.devsite import serve
from newsmon.pipeline import Context, FeedOutcome, process_feed
from newsmon.urls import canonical_url
from tests.support.configs import make_config
from tests.support.postgres import PG_URL, throwaway_schema

KEY = "k-hunter2secret"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'corpus.db'}"
        return
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(PG_URL, prefix="oldkeys") as url:
        yield url


def _texts_holding(ctx: Context, secret: str) -> list[tuple[str, str]]:
    found = []
    meta = MetaData()
    meta.reflect(ctx.store.engine)
    with ctx.store.engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                found += [(table.name, v) for v in row if isinstance(v, str) and secret in v]
    return found


def test_stories_stored_with_their_feed_s_key_lose_it_and_stay_known(
    tmp_path: Path, database_url: str
) -> None:
    (tmp_path / "_routes.json").write_text(json.dumps({}))
    with serve(tmp_path) as site:
        items = "".join(
            f"<item><title>FTC notice {n}</title><link>{site.base}/story-{n}?apikey={KEY}</link>"
            f"<guid>{site.base}/story-{n}?apikey={KEY}</guid>"
            f"<description>The FTC opened inquiry {n} into model weights.</description></item>"
            for n in range(3)
        )
        (tmp_path / "private.xml").write_text(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}'
            "</channel></rss>"
        )
        for n in range(3):
            (tmp_path / f"story-{n}").write_text(f"<html><body><p>Story {n}.</p></body></html>")
        config = make_config(
            tmp_path,
            feeds=[("private", f"/private.xml?apikey={KEY}")],
            base=site.base,
            database_url=database_url,
        )
        ctx = Context.open(config)
        try:

            async def go() -> FeedOutcome:
                async with ctx.fetching() as fetcher:
                    return await process_feed(ctx, fetcher, config.feeds[0], force=True)

            assert asyncio.run(go()).new_articles == 3
            # as an earlier newsmon stored them: the key in the link, the GUID and the key
            with ctx.store.session() as s:
                for row in s.scalars(select(ArticleRow)).all():
                    keyed = f"{row.url}?apikey={KEY}"
                    s.execute(
                        update(ArticleRow)
                        .where(ArticleRow.id == row.id)
                        .values(url=keyed, guid=keyed, canonical_url=canonical_url(keyed))
                    )
            assert len(_texts_holding(ctx, KEY)) == 9
            again = asyncio.run(go())
            assert again.ok and again.new_articles == 0, again
            assert _texts_holding(ctx, KEY) == []
            shown = [a.url for a in ctx.store.list_articles(limit=10)]
            assert sorted(shown) == [f"{site.base}/story-{n}" for n in range(3)]
            third = asyncio.run(go())  # nothing left to rewrite, nothing new
            assert third.ok and third.new_articles == 0, third
        finally:
            ctx.close()
