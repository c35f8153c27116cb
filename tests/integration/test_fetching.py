"""Feeds that misbehave, through the real pipeline (no Prefect): each is recorded, none stops a pass."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.clock import utcnow
from newsmon.config import Config, FeedConfig
from newsmon.devsite import SiteServer, serve
from newsmon.pipeline import Context, FeedOutcome, process_feeds
from tests.support.configs import make_config

BODY = (
    "<p>"
    + "오픈소스 모델의 가중치가 깃허브에 공개됐다. 연구자들은 학습 코드도 함께 내려받을 수 있다. "
    * 6
    + "</p>"
)


def rss(items: str, extra: str = "") -> str:
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{extra}{items}</channel></rss>'


def item(
    link: str, title: str = "딥시크 오픈소스 공개", date: str = "Mon, 24 Feb 2025 09:00:00 +0900"
) -> str:
    pub = f"<pubDate>{date}</pubDate>" if date else ""
    return f"<item><title>{title}</title><link>{link}</link><description>요약: 가중치를 오픈소스로 공개</description>{pub}</item>"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteServer]:
    root = tmp_path / "site"
    root.mkdir()
    (root / "page.html").write_text(
        f"<html><body><article>{BODY}</article></body></html>", encoding="utf-8"
    )
    (root / "paper.pdf").write_bytes(b"%PDF-1.4 not really")
    (root / "wrong-meta.html").write_bytes(
        f'<html><head><meta charset="utf-8"></head><body><article>{BODY}</article></body></html>'.encode(
            "cp949"
        )
    )
    (root / "feed.xml").write_text(rss(item("/page.html")), encoding="utf-8")
    (root / "ttl.xml").write_text(rss(item("/page.html"), "<ttl>90</ttl>"), encoding="utf-8")
    (root / "pdf.xml").write_text(rss(item("/paper.pdf", "논문 PDF")), encoding="utf-8")
    (root / "nodate.xml").write_text(
        rss(item("page.html?x=1", "날짜 없는 글", date="")), encoding="utf-8"
    )
    (root / "meta.xml").write_text(rss(item("/wrong-meta.html", "잘못된 meta")), encoding="utf-8")
    (root / "loopback.xml").write_text(
        rss(item("http://127.0.0.1:9/private.html", "내부망 링크")), encoding="utf-8"
    )
    routes = {
        "/busy.xml": {"status": 429, "headers": {"Retry-After": "120"}, "body": "slow down"},
        "/huge-retry.xml": {"status": 503, "headers": {"Retry-After": "999999"}, "body": "later"},
        "/gone.xml": {"status": 410, "body": "gone"},
        "/old.xml": {"status": 301, "headers": {"Location": "/feed.xml"}, "body": ""},
        "/cached.xml": {"file": "feed.xml", "headers": {"Cache-Control": "public, max-age=1800"}},
    }
    (root / "_routes.json").write_text(json.dumps(routes))
    with serve(root) as server:
        yield server


def site_config(tmp_path: Path, site: SiteServer, feeds: dict[str, str], **fetch: Any) -> Config:
    """Feeds on the test site; article links on loopback are refused unless `fetch` allows."""
    return make_config(
        tmp_path,
        feeds=list(feeds.items()),
        base=site.base,
        fetch={"allow_private_networks": False, **fetch},
    )


def run_pass(config: Config, force: bool = False) -> dict[str, FeedOutcome]:
    ctx = Context.open(config)

    async def go() -> list[FeedOutcome]:
        async with ctx.fetching() as fetcher:
            return await process_feeds(ctx, fetcher, config.feeds, force=force)

    try:
        return {o.feed: o for o in asyncio.run(go())}
    finally:
        ctx.close()


def health(config: Config) -> dict:
    ctx = Context.open(config)
    try:
        return {h.name: h for h in ctx.store.feed_health()}
    finally:
        ctx.close()


def articles(config: Config) -> dict:
    ctx = Context.open(config)
    try:
        return {a.title: a for a in ctx.store.list_articles(limit=100)}
    finally:
        ctx.close()


def test_conditional_get_round_trip(tmp_path: Path, site: SiteServer) -> None:
    config = site_config(tmp_path, site, {"f": "/feed.xml"}, allow_private_networks=True)
    first = run_pass(config)["f"]
    assert first.entries == 1 and first.new_articles == 1
    second = run_pass(config)["f"]
    assert second.not_modified and second.entries == 0 and second.bytes_received == 0
    assert site.requests[-1][1]["if-none-match"]


def test_publisher_hints_set_the_next_poll(tmp_path: Path, site: SiteServer) -> None:
    config = site_config(
        tmp_path,
        site,
        {
            "ttl": "/ttl.xml",
            "cached": "/cached.xml",
            "busy": "/busy.xml",
            "huge-retry": "/huge-retry.xml",
        },
        allow_private_networks=True,
    )
    before = utcnow()
    run_pass(config)
    h = health(config)
    assert h["ttl"].next_check_at - before >= timedelta(minutes=89)
    assert "ttl 90 min" in h["ttl"].schedule_note
    assert timedelta(minutes=29) <= h["cached"].next_check_at - before <= timedelta(minutes=31)
    assert timedelta(seconds=110) <= h["busy"].next_check_at - before <= timedelta(seconds=130)
    assert h["busy"].last_error == "HTTP 429 Too Many Requests" and h["busy"].failure_kind == "soft"
    assert h["huge-retry"].next_check_at - before <= timedelta(hours=24, minutes=1)  # capped
    requests = len(site.requests)
    again = run_pass(config)
    assert all(o.not_due for o in again.values()) and len(site.requests) == requests
    forced = run_pass(config, force=True)
    assert not any(o.not_due for o in forced.values())


def test_failures_back_off_and_recovery_resets(tmp_path: Path, site: SiteServer) -> None:
    config = site_config(tmp_path, site, {"gone": "/gone.xml"})
    run_pass(config)
    first = health(config)["gone"]
    assert first.failure_kind == "hard" and first.consecutive_failures == 1
    run_pass(config, force=True)
    second = health(config)["gone"]
    assert second.consecutive_failures == 2
    assert (
        second.next_check_at - second.last_checked_at > first.next_check_at - first.last_checked_at
    )
    site.routes["/gone.xml"] = {"file": "feed.xml"}  # the feed comes back
    run_pass(config, force=True)
    back = health(config)["gone"]
    assert back.consecutive_failures == 0 and back.failure_kind is None and back.last_success_at


def test_permanent_redirect_updates_the_stored_feed_url(tmp_path: Path, site: SiteServer) -> None:
    config = site_config(tmp_path, site, {"old": "/old.xml"}, allow_private_networks=True)
    outcome = run_pass(config)["old"]
    assert outcome.ok and "moved permanently" in (outcome.warning or "")
    assert health(config)["old"].url == site.url("/feed.xml")
    run_pass(config, force=True)
    assert site.paths_requested().count("/old.xml") == 1  # the new address is used from now on


def test_a_feed_whose_new_address_is_gone_is_read_at_the_configured_one_again(
    tmp_path: Path, site: SiteServer
) -> None:
    """A move learned from a 301 was used for good: when the publisher undid it (the new
    address answered 404, the configured one the feed again), the feed failed every pass,
    backing off to a day, until someone edited the configuration. The configured address is
    tried when the moved one fails for good, and is used from then on."""
    site.routes["/undone.xml"] = {"status": 301, "headers": {"Location": "/moved.xml"}, "body": ""}
    site.routes["/moved.xml"] = {"file": "feed.xml"}
    config = site_config(tmp_path, site, {"undone": "/undone.xml"}, allow_private_networks=True)
    assert run_pass(config)["undone"].ok
    assert health(config)["undone"].url == site.url("/moved.xml")
    site.routes["/moved.xml"] = {"status": 404, "body": "no such feed"}
    site.routes["/undone.xml"] = {"file": "feed.xml"}
    back = run_pass(config, force=True)["undone"]
    assert back.ok, back.error
    assert "failed (HTTP 404 Not Found); read at the configured address again" in (
        back.warning or ""
    )
    state = health(config)["undone"]
    assert state.url == site.url("/undone.xml") and state.consecutive_failures == 0
    requests = site.paths_requested()
    run_pass(config, force=True)
    assert site.paths_requested()[len(requests) :].count("/moved.xml") == 0


def test_a_move_to_an_address_too_long_to_store_is_followed_not_stored(
    tmp_path: Path, site: SiteServer
) -> None:
    """The stored address holds 2,000 characters: a cut one would be fetched from then on."""
    far = "/feed.xml?" + "x" * 2100
    site.routes["/far.xml"] = {"status": 301, "headers": {"Location": far}, "body": ""}
    config = site_config(tmp_path, site, {"far": "/far.xml"}, allow_private_networks=True)
    first = run_pass(config)["far"]
    second = run_pass(config, force=True)["far"]
    assert first.ok and second.ok and "moved permanently" in (first.warning or "")
    assert health(config)["far"].url == site.url("/far.xml")
    assert site.paths_requested().count("/far.xml") == 2


SECRET = "k3y-hunter2"


def corpus_dump(config: Config) -> str:
    import sqlite3

    path = config.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return "\n".join(db.iterdump())


@pytest.mark.parametrize("path", ["/feed.xml", "/old.xml"])
def test_a_feed_url_s_credentials_are_sent_never_stored(
    tmp_path: Path, site: SiteServer, path: str
) -> None:
    """A feed read with a key (`user:password@`, `?apikey=`, often `${VAR}` in the config) is
    fetched with it every pass, from the configured URL, while the corpus keeps the URL with
    the key hidden. A permanent move is followed each pass, not fetched from: the stored
    address could not carry the key the next pass needs (it is recorded, key hidden, to be
    listed as a move)."""
    base = site.base.replace("http://", f"http://reader:{SECRET}@")
    config = make_config(
        tmp_path,
        feeds=[("keyed", f"{base}{path}?apikey={SECRET}&lang=ko")],
        fetch={"allow_private_networks": True},
    )
    first = run_pass(config)["keyed"]
    second = run_pass(config, force=True)["keyed"]
    assert first.ok and first.new_articles == 1 and second.ok, (first, second)
    asked = [(p, h) for p, h in site.requests if p.startswith(path)]
    assert len(asked) == 2 and all(f"apikey={SECRET}" in p for p, _ in asked)
    assert all(h.get("authorization", "").startswith("Basic ") for _, h in asked)
    assert "/page.html" in site.paths_requested()  # its relative link, read without the key
    assert SECRET not in corpus_dump(config)
    stored = health(config)["keyed"]
    hidden = site.base.replace("http://", "http://reader:***@")
    assert stored.config_url == f"{hidden}{path}?apikey=***&lang=ko"
    assert stored.url == (stored.config_url if path == "/feed.xml" else f"{hidden}/feed.xml")


def notes_by_title(config: Config) -> dict[str | None, str | None]:
    from sqlalchemy import select

    from newsmon.corpus.schema import ArticleRow

    ctx = Context.open(config)
    try:
        with ctx.store.session() as s:
            return dict(
                s.execute(select(ArticleRow.title, ArticleRow.extraction_note)).tuples().all()
            )
    finally:
        ctx.close()


def test_pdf_links_keep_the_entry_with_its_summary(tmp_path: Path, site: SiteServer) -> None:
    config = site_config(tmp_path, site, {"pdf": "/pdf.xml"}, allow_private_networks=True)
    assert run_pass(config)["pdf"].new_articles == 1
    assert articles(config)["논문 PDF"].text_source == "feed-summary"
    assert notes_by_title(config)["논문 PDF"] == "not an HTML page (application/pdf)"


def test_loopback_article_links_are_refused_by_default(tmp_path: Path, site: SiteServer) -> None:
    config = site_config(tmp_path, site, {"loop": "/loopback.xml"})  # feeds are trusted, links not
    outcome = run_pass(config)["loop"]
    assert outcome.ok and outcome.new_articles == 1 and outcome.pages_failed == 0
    assert articles(config)["내부망 링크"].text_source == "feed-summary"
    assert (
        notes_by_title(config)["내부망 링크"]
        == "refused: 127.0.0.1 is a loopback address (127.0.0.1)"
    )


def test_broken_entries_and_wrong_meta_charset(tmp_path: Path, site: SiteServer) -> None:
    config = site_config(
        tmp_path, site, {"nodate": "/nodate.xml", "meta": "/meta.xml"}, allow_private_networks=True
    )
    before = utcnow()
    run_pass(config)
    stored = articles(config)
    undated = stored["날짜 없는 글"]
    assert undated.url == site.url("/page.html?x=1")  # relative link resolved
    assert undated.published_at is not None and undated.published_at >= before - timedelta(
        seconds=1
    )
    wrong = stored["잘못된 meta"]
    assert "가중치가 깃허브에 공개됐다" in wrong.text  # not mojibake, despite <meta charset=utf-8>
    assert "\ufffd" not in wrong.text


def test_a_feed_url_change_in_config_starts_afresh(tmp_path: Path, site: SiteServer) -> None:
    config = site_config(tmp_path, site, {"f": "/gone.xml"})
    run_pass(config)
    assert health(config)["f"].consecutive_failures == 1
    fixed = site_config(tmp_path, site, {"f": "/feed.xml"}, allow_private_networks=True)
    run_pass(fixed)
    h = health(fixed)["f"]
    assert h.url == site.url("/feed.xml") and h.consecutive_failures == 0


def test_feed_config_names_stay_unique() -> None:
    with pytest.raises(ValueError):
        Config(
            feeds=[FeedConfig(name="a", url="https://x/1"), FeedConfig(name="a", url="https://x/2")]
        )


def test_entries_without_links_are_stored_from_their_text(tmp_path: Path, site: SiteServer) -> None:
    root = Path(site.root)
    (root / "nolink.xml").write_text(
        rss(
            "<item><title>링크 없는 오픈소스 소식</title><description>가중치를 오픈소스로 공개했다.</description></item>",
            "<link>https://home.example/</link>",
        ),
        encoding="utf-8",
    )
    config = site_config(tmp_path, site, {"nolink": "/nolink.xml"})
    assert run_pass(config)["nolink"].new_articles == 1
    assert run_pass(config, force=True)["nolink"].new_articles == 0  # same identity next time
    stored = articles(config)["링크 없는 오픈소스 소식"]
    assert stored.url == "https://home.example/" and stored.text_source == "feed-summary"
    assert stored.topics == ["open-source"]


def test_a_keyed_feed_s_move_is_listed_by_newsmon_feeds_without_its_key(
    tmp_path: Path, site: SiteServer
) -> None:
    """A keyed feed's permanent move was only in each pass's warning: `newsmon feeds` (and the
    JSON of `feeds`/`health`) showed it as not moved. Now it is listed as an unkeyed feed's is,
    the key hidden also where the new address writes it in its path, and gone once undone."""
    site.routes["/keyed.xml"] = {
        "status": 301,
        "headers": {"Location": f"/v2/{SECRET}/feed.xml?apikey={SECRET}"},
        "body": "",
    }
    (site.root / "v2" / SECRET).mkdir(parents=True)
    (site.root / "v2" / SECRET / "feed.xml").write_text(rss(item("/page.html")), encoding="utf-8")
    config = make_config(
        tmp_path,
        feeds=[("keyed", f"{site.base}/keyed.xml?apikey={SECRET}")],
        fetch={"allow_private_networks": True},
    )
    first = run_pass(config)["keyed"]
    assert first.ok and "moved permanently to" in (first.warning or "")
    assert SECRET not in (first.warning or "")  # the warning showed a key in the new path
    path = str(tmp_path / "newsmon.yaml")
    shown = CliRunner().invoke(app, ["feeds", "--config", path])
    assert shown.exit_code == 0, shown.output
    assert f"moved permanently to {site.base}/v2/***/feed.xml?apikey=***: update" in shown.output
    listed = CliRunner().invoke(app, ["feeds", "--json", "--config", path])
    assert json.loads(listed.output)["feeds"][0]["url"] == f"{site.base}/v2/***/feed.xml?apikey=***"
    assert SECRET not in shown.output + listed.output + corpus_dump(config)
    site.routes.pop("/keyed.xml")  # the publisher undid the move
    (site.root / "keyed.xml").write_text(rss(item("/page.html")), encoding="utf-8")
    assert run_pass(config, force=True)["keyed"].ok
    shown = CliRunner().invoke(app, ["feeds", "--config", path])
    assert "moved permanently" not in shown.output, shown.output


def test_a_publisher_s_wait_over_the_cap_is_listed_as_capped_with_when_it_is_due(
    tmp_path: Path, site: SiteServer
) -> None:
    """A 503 asking to come back in the year 8900 was listed by `newsmon feeds` as "Retry-After
    220109702400 s", though the feed is checked again within `poll.max_interval_hours`: the
    operator read it as given up on. The note now says the request was capped, and to what."""
    site.routes["/far.xml"] = {
        "status": 503,
        "headers": {"Retry-After": "Fri, 31 Dec 8999 23:59:59 GMT"},
        "body": "later",
    }
    config = site_config(tmp_path, site, {"far": "/far.xml"}, allow_private_networks=True)
    before = utcnow()
    run_pass(config)
    far = health(config)["far"]
    assert far.next_check_at - before <= timedelta(hours=24, minutes=1)
    assert far.schedule_note is not None and "capped at 24 h" in far.schedule_note
    shown = CliRunner().invoke(app, ["feeds", "--config", str(tmp_path / "newsmon.yaml")])
    [line] = [x for x in shown.output.splitlines() if "next check:" in x]
    assert "capped at 24 h" in line and "220109702400" not in line, line
