"""Pages given by URL (`newsmon backfill --urls`), which no feed's configuration or declaration
speaks for, read into a real store (SQLite and PostgreSQL): a page that declares Korean states
its zone-less dates in Seoul's clock (`newsmon.feedzone.page_zone`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from newsmon.corpus.schema import ArticleRow
from newsmon.devsite import serve
from newsmon.pipeline import Context, PageOutcome, backfill_pages
from tests.conftest import DEMO_SITE
from tests.support.delivery import config_path, context

# demo pages in <html lang="ko"> (EUC-KR), the date each states with its zone, and that moment
PAGES = {
    "ai-basic-act.html": ("2025-02-06T07:00:00+09:00", datetime(2025, 2, 5, 22, 0, tzinfo=UTC)),
    "galaxy-launch.html": ("2025-01-23T06:00:00+09:00", datetime(2025, 1, 22, 21, 0, tzinfo=UTC)),
}


def _given(ctx: Context, urls: list[str]) -> list[PageOutcome]:
    async def go() -> list[PageOutcome]:
        async with ctx.fetching() as fetcher:
            return await backfill_pages(ctx, fetcher, urls)

    return asyncio.run(go())


def _published(ctx: Context) -> dict[str, datetime | None]:
    with ctx.store.session() as s:
        rows = s.execute(select(ArticleRow.url, ArticleRow.published_at)).all()
    return {
        url.rsplit("/", 1)[-1]: (p if p is None or p.tzinfo else p.replace(tzinfo=UTC))
        for url, p in rows
    }


def test_a_given_korean_page_states_its_bare_dates_in_seouls_clock(
    tmp_path: Path, db_url: str
) -> None:
    """`backfill --urls` of a page in `<html lang="ko">` whose dates carry no zone (its meta
    "2025-02-06T07:00:00", its byline "2025.02.06 07:00": Seoul's clock): read as UTC, the
    story was stored nine hours late. The same page declaring English is still read as UTC."""
    site = tmp_path / "site"
    site.mkdir()
    for page, (stated, _) in PAGES.items():
        html = (DEMO_SITE / "ko" / page).read_bytes().replace(stated.encode(), stated[:19].encode())
        assert b'<html lang="ko">' in html and stated.encode() not in html
        (site / page).write_bytes(html)
    english = (site / "galaxy-launch.html").read_bytes()  # a Korean page declaring English
    (site / "galaxy-launch.html").write_bytes(english.replace(b'lang="ko"', b'lang="en"', 1))
    ctx = context(config_path(tmp_path, db_url), None)
    try:
        with serve(site) as server:
            outcomes = _given(ctx, [server.url(f"/{page}") for page in PAGES])
        published = _published(ctx)
    finally:
        ctx.close()
    assert [o.fate for o in outcomes] == ["new", "new"], outcomes
    seoul, english = (moment for _, moment in PAGES.values())
    assert published == {
        "ai-basic-act.html": seoul,
        "galaxy-launch.html": english + timedelta(hours=9),  # it says English: UTC, as before
    }
