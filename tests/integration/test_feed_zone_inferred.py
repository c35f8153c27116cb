"""A Korean feed configured without `language` or `timezone`, read by real passes into a real
store (SQLite and PostgreSQL): its zone-less dates, and its pages', are Seoul's clock because the
feed declares Korean (`newsmon.feedzone`)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from newsmon.clock import utcnow
from newsmon.corpus.records import AlertStatus
from newsmon.devsite import serve
from tests.integration.test_feed_dates_trust import (
    _NEW_PAGE,
    SEOUL,
    Site,
    Stored,
    _undated,
    write_site,
)


def test_a_feed_declaring_korean_is_read_in_seouls_clock(tmp_path: Path, db_url: str) -> None:
    """`<language>ko-KR</language>`, no `language` configured: a story 78 hours old written as
    Seoul's "YYYY-MM-DD HH:MM:SS" was read as UTC, 69 hours old, and announced past
    `alerts.max_age_hours`; an undated entry whose page states Seoul's time 2 hours ago was
    seven hours ahead, not believed, and dated when first seen. Both are dated as written."""
    site = tmp_path / "site"
    now = utcnow().replace(second=0, microsecond=0)
    old, fresh = now - timedelta(hours=78), now - timedelta(hours=2)
    write_site(site, {"ftc-ai-inquiry.html": None})  # its page's 2025 date does not count
    stated = fresh.astimezone(SEOUL).strftime("%Y-%m-%dT%H:%M:%S")  # no zone
    meta = f'<meta property="article:published_time" content="{stated}">'
    (site / "new.html").write_text(_NEW_PAGE.replace("</head>", meta + "</head>"), "utf-8")
    (site / "us-aisi-layoffs.html").write_text(_undated(), encoding="utf-8")
    written = old.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M:%S")
    items = [("ftc-ai-inquiry.html", f"<pubDate>{written}</pubDate>"), ("new.html", "")]
    body = "".join(
        f"<item><title>{p}</title><link>{{{{BASE}}}}/{p}</link>{d}</item>" for p, d in items
    )
    (site / "index.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>A site</title>'
        f"<language>ko-KR</language>{body}</channel></rss>",
        encoding="utf-8",
    )
    with serve(site) as server:
        feed = Site(tmp_path, db_url, server.base, {})
        try:
            feed.one_pass()
            stored = feed.stored()
        finally:
            feed.ctx.close()
    assert stored["ftc-ai-inquiry.html"] == Stored(old, AlertStatus.SKIPPED, "too_old")
    assert stored["new.html"] == Stored(fresh, AlertStatus.PENDING, None)
