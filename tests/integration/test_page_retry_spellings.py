"""Pages due again whose links spell one site's host otherwise (full width, which browsers and
IDNA read as ASCII): the site still down is probed once a pass, not once per spelling."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, update

from newsmon.clock import utcnow
from newsmon.corpus.schema import ArticleRow
from newsmon.devsite import serve
from tests.integration.test_keyed_feed_upgrade import _page
from tests.support.configs import make_config
from tests.support.passes import feed_pass


def _rss(links: list[str]) -> str:
    items = "".join(
        f"<item><title>Story {n}</title><link>{link}</link>"
        f"<description>Story {n}, its teaser.</description></item>"
        for n, link in enumerate(links)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>{items}</channel></rss>'
    )


def test_a_site_still_down_is_probed_once_under_every_spelling_of_its_host(
    tmp_path: Path, db_url: str
) -> None:
    """Pages were grouped by their host as written: `１２７．０．０．１` and `127.0.0.1` were two
    sites, so the site that was down cost a pass one request (one timeout) per spelling."""
    for n in range(3):
        (tmp_path / f"p{n}.html").write_text(_page(n))
    engine = create_engine(db_url)
    try:
        with serve(tmp_path) as site:
            wide = f"http://１２７．０．０．１:{site.port}"
            links = [f"{site.base}/p0.html", f"{wide}/p1.html", f"{wide.upper()}/p2.html"]
            (tmp_path / "feed.xml").write_text(_rss(links), encoding="utf-8")
            config = make_config(
                tmp_path,
                feeds=[("wire", "/feed.xml")],
                base=site.base,
                database_url=db_url,
                fetch={"page_retries": 3, "retries": 0},  # no waits within a pass
            )
            for n in range(3):
                site.routes[f"/p{n}.html"] = {"status": 503}
            feed_pass(config)
            assert sorted(p for p in site.paths_requested() if p.startswith("/p")) == [
                "/p0.html",
                "/p1.html",
                "/p2.html",
            ]
            with engine.begin() as con:  # the pages are due again now
                due = con.execute(
                    update(ArticleRow)
                    .where(ArticleRow.page_retry_at.is_not(None))
                    .values(page_retry_at=utcnow() - timedelta(minutes=1))
                ).rowcount
            assert due == 3
            before = len(site.requests)
            [outcome] = feed_pass(config).values()
            pages = [p for p in site.paths_requested()[before:] if p.startswith("/p")]
    finally:
        engine.dispose()
    assert len(pages) == 1, pages  # the probe; the site's other pages wait on it
    assert (outcome.pages_retried, outcome.pages_postponed) == (1, 2)
