"""`backfill --urls --dry-run` tells what the real run will do with each page (SQLite and
PostgreSQL): an operator approves the real run, with `--alerts`, from it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from newsmon.devsite import SiteServer
from newsmon.pipeline import Context, PageOutcome, as_listed, backfill_pages, each_page_once
from tests.conftest import DEMO_SITE
from tests.support.delivery import config_path, context
from tests.support.fake_slack import FakeSlack

STORY = "/en/ftc-ai-inquiry.html"


def _given(ctx: Context, urls: list[str], *, dry_run: bool) -> list[PageOutcome]:
    async def go() -> list[PageOutcome]:
        async with ctx.fetching() as fetcher:
            return await backfill_pages(ctx, fetcher, urls, announce=True, dry_run=dry_run)

    return asyncio.run(go())


def test_a_dry_run_says_which_given_pages_are_copies_of_a_stored_story(
    db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    """A syndicated copy of a story stored already (another address, the same text): the
    real run stores it as a `duplicate` and announces nothing, but the dry run said `would
    store` with its topics, as for a new story the real run would announce."""
    site = SiteServer(DEMO_SITE.resolve(), routes={"/syndicated.html": {"file": STORY[1:]}})
    site.start()
    ctx = context(config_path(tmp_path, db_url, default_channel="#ai-news"), fake)
    try:
        [first] = _given(ctx, [site.url(STORY)], dry_run=False)
        assert first.fate == "new" and first.topics
        copy = site.url("/syndicated.html")
        [preview] = _given(ctx, [copy], dry_run=True)
        [real] = _given(ctx, [copy], dry_run=False)
    finally:
        ctx.close()
        site.stop()
    assert real.fate == "duplicate" and real.alerts_queued == 0, real
    assert preview.fate == "would duplicate", preview


def _as_the_flow_runs(ctx: Context, urls: list[str], *, dry_run: bool) -> list[str]:
    """Each given URL's fate as `backfill-urls` reports it: a page listed twice is tried once."""
    unique, where = each_page_once(urls)
    return [p.fate for p in as_listed(urls, where, _given(ctx, unique, dry_run=dry_run))]


def test_a_dry_run_reads_a_page_listed_with_and_without_its_key_as_one_page(
    db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    """One page listed twice, once with its key (`?apikey=`), is stored once, under its
    address without the key: the real run says `stored already` for the second, but the dry
    run said `would store` twice, as for two stories the real run would announce."""
    site = SiteServer(DEMO_SITE.resolve())
    site.start()
    ctx = context(config_path(tmp_path, db_url, default_channel="#ai-news"), fake)
    urls = [site.url(STORY) + "?apikey=s3cret", site.url(STORY)]
    try:
        preview = _as_the_flow_runs(ctx, urls, dry_run=True)
        real = _as_the_flow_runs(ctx, urls, dry_run=False)
    finally:
        ctx.close()
        site.stop()
    assert real == ["new", "stored already"], real
    assert preview == ["would store", "stored already"], preview


def test_a_dry_run_says_which_page_of_one_list_copies_another(
    db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    """Two addresses of one story (a syndicated copy) in one list, neither stored yet: the
    real run stores one `new` and the other as its `duplicate` (announced once), but the
    dry run said `would store` for both, as for two stories to announce."""
    site = SiteServer(DEMO_SITE.resolve(), routes={"/syndicated.html": {"file": STORY[1:]}})
    site.start()
    ctx = context(config_path(tmp_path, db_url, default_channel="#ai-news"), fake)
    urls = [site.url(STORY), site.url("/syndicated.html")]
    try:
        preview = sorted(p.fate for p in _given(ctx, urls, dry_run=True))
        real = sorted(p.fate for p in _given(ctx, urls, dry_run=False))
    finally:
        ctx.close()
        site.stop()
    assert real == ["duplicate", "new"], real
    assert preview == ["would duplicate", "would store"], preview
