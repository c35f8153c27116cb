"""Dates a feed writes that a pass must not believe as written, served on loopback and read by
real passes into a real store (SQLite and PostgreSQL): each decides whether a story is announced
or held back as older than `alerts.max_age_hours`."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from newsmon.clock import utcnow
from newsmon.config import load_config
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow, ArticleRow
from newsmon.devsite import serve
from newsmon.pipeline import Context, process_feeds
from tests.conftest import DEMO_SITE
from tests.support.configs import write_config

# demo pages about AI (each matches a topic) and the date each states
PAGES = {
    "ftc-ai-inquiry.html": "2025-01-17T22:30:00Z",
    "eu-ai-act-guidance.html": "2025-02-05T10:20:00Z",
    "deepseek-open-source-week.html": "2025-02-28T16:45:00Z",
    "us-aisi-layoffs.html": "2025-02-20T21:10:00Z",
}


@dataclass(frozen=True)
class Stored:
    published: datetime
    status: AlertStatus
    reason: str | None


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_site(site: Path, page_dates: dict[str, datetime | None]) -> None:
    """Demo pages, each stating the date given (None: as shipped, a 2025 date)."""
    site.mkdir(exist_ok=True)
    for page, date in page_dates.items():
        html = (DEMO_SITE / "en" / page).read_text(encoding="utf-8")
        if date is not None:
            html = html.replace(PAGES[page], _iso(date))
        (site / page).write_text(html, encoding="utf-8")


def write_feed(site: Path, items: list[tuple[str, str]]) -> None:
    """An RSS feed of (page, pubDate text) items."""
    body = "".join(
        f"<item><title>{page.removesuffix('.html').replace('-', ' ')}</title>"
        f"<link>{{{{BASE}}}}/{page}</link><pubDate>{date}</pubDate></item>"
        for page, date in items
    )
    (site / "index.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>A site</title>'
        + body
        + "</channel></rss>",
        encoding="utf-8",
    )


class Site:
    """A configured feed on a loopback server, read by real passes into a real store."""

    def __init__(self, tmp_path: Path, db_url: str, base: str, feed: dict[str, str]) -> None:
        path = write_config(
            tmp_path,
            feeds=[("a-site", "/index.xml", feed.get("language"))],
            base=base,
            database_url=db_url,
            default_channel="#news",
            alerts={"max_age_hours": 72},
        )
        with path.open("a", encoding="utf-8") as file:
            file.write("workers: 0\n")  # a few pages: the pass's own process
        text = path.read_text(encoding="utf-8")
        if "timezone" in feed:
            text = text.replace("  language:", f"  timezone: {feed['timezone']}\n    language:", 1)
            path.write_text(text, encoding="utf-8")
        self.config = load_config(path)
        self.ctx = Context.open(self.config)

    def one_pass(self) -> None:
        async def run() -> None:
            async with self.ctx.fetching() as fetcher:
                await process_feeds(self.ctx, fetcher, self.config.feeds, force=True)

        asyncio.run(run())

    def stored(self) -> dict[str, Stored]:
        with self.ctx.store.session() as s:
            rows = s.execute(
                select(
                    ArticleRow.url, ArticleRow.published_at, AlertRow.status, AlertRow.hold_reason
                ).join(AlertRow, AlertRow.article_id == ArticleRow.id)
            ).all()
        return {
            url.rsplit("/", 1)[-1]: Stored(
                published if published.tzinfo else published.replace(tzinfo=UTC),
                status,
                str(getattr(reason, "value", reason)) if reason is not None else None,
            )
            for url, published, status, reason in rows
        }


def test_placeholder_dates_are_no_dates_and_the_story_is_dated_by_its_page(
    tmp_path: Path, db_url: str
) -> None:
    """ "1900-01-01" (a CMS's empty date field), Excel's and OLE's day zero and SQL Server's
    earliest datetime were believed: the new story was a century old, held as too old, never
    announced."""
    site = tmp_path / "site"
    fresh = utcnow().replace(microsecond=0) - timedelta(hours=1)
    write_site(site, dict.fromkeys(PAGES, fresh))
    write_feed(
        site,
        [
            ("ftc-ai-inquiry.html", "Mon, 01 Jan 1900 00:00:00 GMT"),
            ("eu-ai-act-guidance.html", "1900-01-01T00:00:00+09:00"),
            ("deepseek-open-source-week.html", "1899-12-30T00:00:00Z"),
            ("us-aisi-layoffs.html", "1753-01-01 00:00:00"),
        ],
    )
    with serve(site) as server:
        feed = Site(tmp_path, db_url, server.base, {"language": "en"})
        try:
            feed.one_pass()
            stored = feed.stored()
        finally:
            feed.ctx.close()
    assert set(stored) == set(PAGES)
    for page, row in stored.items():
        assert (page, row.status, row.published) == (page, AlertStatus.PENDING, fresh)


_NEW_PAGE = (
    "<html><head><title>Labs publish a joint AI safety evaluation</title></head><body><article>"
    "<h1>Labs publish a joint AI safety evaluation</h1>"
    + "<p>Two frontier AI labs published a joint safety evaluation of their models today, "
    "testing alignment, jailbreak resistance and dangerous capability thresholds before "
    "release. The AI Safety Institute reviewed the red-teaming methods and the results.</p>"
    * 3
    + "</article></body></html>"
)


def _undated() -> str:
    """The us-aisi demo page, stating no date."""
    undated = (DEMO_SITE / "en" / "us-aisi-layoffs.html").read_text(encoding="utf-8")
    undated = re.sub(r"<meta[^>]*2025-02-20T21:10:00Z[^>]*>", "", undated)
    undated = re.sub(r"<time[^>]*>[^<]*</time>", "", undated)
    assert "2025-02-20" not in undated and "February 20" not in undated
    return undated


def _rfc(value: datetime) -> str:
    return format_datetime(value.astimezone(UTC), usegmt=True)


def test_a_feed_stamping_every_entry_when_read_does_not_announce_its_back_catalogue(
    tmp_path: Path, db_url: str
) -> None:
    """Many CMSs write each item's `pubDate` as the time the feed is rendered: on a new feed's
    first pass its whole back catalogue looked minutes old and was announced, a flood of old
    stories. Such a date is no date: the page's own date stands in (a fresh page is still
    announced), and on the feed's first pass an entry dated by nothing else is held back, as
    the back catalogue is; on a later pass an entry new to the feed is as new as first seen."""
    site = tmp_path / "site"
    now = utcnow().replace(microsecond=0)
    fresh = now - timedelta(hours=2)
    # two shipped pages (dated 2025), one dated two hours ago, one stating no date
    write_site(site, {"ftc-ai-inquiry.html": None, "eu-ai-act-guidance.html": None})
    write_site(site, {"deepseek-open-source-week.html": fresh})
    (site / "us-aisi-layoffs.html").write_text(_undated(), encoding="utf-8")
    stamp = _rfc(now - timedelta(seconds=20))  # the feed rendered (or cached) just now
    first = ["ftc-ai-inquiry.html", "eu-ai-act-guidance.html", "deepseek-open-source-week.html"]
    write_feed(site, [(page, stamp) for page in [*first, "us-aisi-layoffs.html"]])
    with serve(site) as server:
        feed = Site(tmp_path, db_url, server.base, {"language": "en"})
        try:
            feed.one_pass()
            held = feed.stored()
            # a later pass: a story new to the feed, its page undated, stamped as every entry
            (site / "new.html").write_text(_NEW_PAGE, encoding="utf-8")
            later = _rfc(utcnow())
            write_feed(site, [(p, later) for p in ["new.html", *first, "us-aisi-layoffs.html"]])
            feed.one_pass()
            after = feed.stored()
        finally:
            feed.ctx.close()
    shipped = datetime(2025, 1, 17, 22, 30, tzinfo=UTC)
    assert held["ftc-ai-inquiry.html"] == Stored(shipped, AlertStatus.SKIPPED, "too_old")
    assert held["eu-ai-act-guidance.html"].status is AlertStatus.SKIPPED
    assert held["deepseek-open-source-week.html"] == Stored(fresh, AlertStatus.PENDING, None)
    back = held["us-aisi-layoffs.html"]  # no date anywhere, on the feed's first pass
    assert (back.status, back.reason) == (AlertStatus.SKIPPED, "too_old")
    assert after["new.html"].status is AlertStatus.PENDING
    assert after["new.html"].published >= now


def test_a_feed_of_fresh_stories_minutes_apart_is_believed(tmp_path: Path, db_url: str) -> None:
    """Stories really published minutes apart keep their dates and are announced."""
    site = tmp_path / "site"
    now = utcnow().replace(microsecond=0)
    write_site(site, dict.fromkeys(PAGES, now - timedelta(days=5)))  # pages' dates lose
    dates = [now - timedelta(minutes=m) for m in (3, 9, 16, 30)]
    write_feed(site, [(p, _rfc(d)) for p, d in zip(PAGES, dates, strict=True)])
    with serve(site) as server:
        feed = Site(tmp_path, db_url, server.base, {"language": "en"})
        try:
            feed.one_pass()
            stored = feed.stored()
        finally:
            feed.ctx.close()
    assert {p: (s.published, s.status) for p, s in stored.items()} == {
        p: (d, AlertStatus.PENDING) for p, d in zip(PAGES, dates, strict=True)
    }


SEOUL = ZoneInfo("Asia/Seoul")


def _korean(value: datetime) -> str:
    """Seoul's wall clock as Korean sites write it: "2025년 3월 4일 오후 3시 5분"."""
    local = value.astimezone(SEOUL)
    half = "오후" if local.hour >= 12 else "오전"
    hour = local.hour % 12 or 12
    return f"{local.year}년 {local.month}월 {local.day}일 {half} {hour}시 {local.minute}분"


def test_a_korean_feeds_dates_without_a_zone_are_seouls(tmp_path: Path, db_url: str) -> None:
    """A Korean feed (`language: ko`, no `timezone`) writing "2025.03.04 15:05" or "2025년 3월
    4일 오후 3시 5분" means Seoul's clock. The first was read as UTC, nine hours late: a story
    78 hours old looked 69 and was announced past `alerts.max_age_hours`; the second was not read
    at all, and the story was as new as first seen. A fresh one is dated as written."""
    site = tmp_path / "site"
    now = utcnow().replace(second=0, microsecond=0)
    old, fresh = now - timedelta(hours=78), now - timedelta(hours=2)
    write_site(site, {"ftc-ai-inquiry.html": None})  # its page's 2025 date does not count
    (site / "us-aisi-layoffs.html").write_text(_undated(), encoding="utf-8")
    (site / "new.html").write_text(_NEW_PAGE, encoding="utf-8")
    write_feed(
        site,
        [
            ("ftc-ai-inquiry.html", fresh.astimezone(SEOUL).strftime("%Y.%m.%d %H:%M")),
            ("us-aisi-layoffs.html", old.astimezone(SEOUL).strftime("%Y.%m.%d %H:%M")),
            ("new.html", _korean(old)),
        ],
    )
    with serve(site) as server:
        feed = Site(tmp_path, db_url, server.base, {"language": "ko"})
        try:
            feed.one_pass()
            stored = feed.stored()
        finally:
            feed.ctx.close()
    assert stored["ftc-ai-inquiry.html"] == Stored(fresh, AlertStatus.PENDING, None)
    assert stored["us-aisi-layoffs.html"] == Stored(old, AlertStatus.SKIPPED, "too_old")
    assert stored["new.html"] == Stored(old, AlertStatus.SKIPPED, "too_old")


def _javascript(value: datetime, hours_east: int, name: str) -> str:
    """JavaScript's `Date.toString()`, as Node-built feeds write: "Tue Mar 04 2025 15:05:00
    GMT+0900 (Korean Standard Time)"."""
    local = value.astimezone(timezone(timedelta(hours=hours_east)))
    sign = "+" if hours_east >= 0 else "-"
    return local.strftime("%a %b %d %Y %H:%M:%S GMT") + f"{sign}{abs(hours_east):02d}00 ({name})"


def test_javascripts_date_text_keeps_its_offset(tmp_path: Path, db_url: str) -> None:
    """The zone's name in brackets after the offset hid the offset: the time was read as UTC,
    a Seoul story 78 hours old looked 69 and was announced past `alerts.max_age_hours`, a New
    York one was dated five hours early."""
    site = tmp_path / "site"
    now = utcnow().replace(microsecond=0)
    old, fresh = now - timedelta(hours=78), now - timedelta(hours=2)
    write_site(site, {"ftc-ai-inquiry.html": None})
    (site / "us-aisi-layoffs.html").write_text(_undated(), encoding="utf-8")
    write_feed(
        site,
        [
            ("ftc-ai-inquiry.html", _javascript(fresh, -5, "Eastern Standard Time")),
            ("us-aisi-layoffs.html", _javascript(old, 9, "Korean Standard Time")),
        ],
    )
    with serve(site) as server:
        feed = Site(tmp_path, db_url, server.base, {"language": "en"})
        try:
            feed.one_pass()
            stored = feed.stored()
        finally:
            feed.ctx.close()
    assert stored["ftc-ai-inquiry.html"] == Stored(fresh, AlertStatus.PENDING, None)
    assert stored["us-aisi-layoffs.html"] == Stored(old, AlertStatus.SKIPPED, "too_old")


def test_a_first_read_holds_back_entries_nothing_dates(tmp_path: Path, db_url: str) -> None:
    """A feed writing no dates at all (or none for some entries), not stamped: on its first pass
    an entry neither it nor its page dated was announced as new, though it is the back catalogue
    (a new feed's twenty old posts were twenty alerts). It is held back as of unknown age, as a
    stamped feed's are; a page's own fresh date still announces its story, and on a later pass
    an undated entry new to the feed is as new as first seen."""
    site = tmp_path / "site"
    now = utcnow().replace(microsecond=0)
    fresh = now - timedelta(hours=2)
    write_site(site, {"deepseek-open-source-week.html": fresh, "ftc-ai-inquiry.html": fresh})
    (site / "us-aisi-layoffs.html").write_text(_undated(), encoding="utf-8")
    write_feed(
        site,
        [
            ("ftc-ai-inquiry.html", _rfc(fresh)),  # dated by the feed
            ("deepseek-open-source-week.html", ""),  # dated by its page only
            ("us-aisi-layoffs.html", ""),  # dated by nothing
        ],
    )
    with serve(site) as server:
        feed = Site(tmp_path, db_url, server.base, {"language": "en"})
        try:
            feed.one_pass()
            first = feed.stored()
            (site / "new.html").write_text(_NEW_PAGE, encoding="utf-8")
            write_feed(site, [("new.html", ""), ("us-aisi-layoffs.html", "")])
            feed.one_pass()
            later = feed.stored()
        finally:
            feed.ctx.close()
    assert first["ftc-ai-inquiry.html"] == Stored(fresh, AlertStatus.PENDING, None)
    assert first["deepseek-open-source-week.html"] == Stored(fresh, AlertStatus.PENDING, None)
    back = first["us-aisi-layoffs.html"]
    assert (back.status, back.reason) == (AlertStatus.SKIPPED, "too_old")
    assert later["new.html"].status is AlertStatus.PENDING
    assert later["us-aisi-layoffs.html"].status is AlertStatus.SKIPPED
