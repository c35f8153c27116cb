"""A hostile web server on loopback next to an ordinary feed: every trick is refused, capped or
recorded, the ordinary feed is stored and alerted, and the Slack token reaches no one.

Loopback stands in for the internet: 127.0.0.2 (the ordinary site) and 127.0.0.3 (the hostile
one) are listed in `fetch.allowed_networks`, so the address policy treats them as public;
127.0.0.1 and `localhost` remain private space, where a canary server counts every request
that should never have been made.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import json
import re
import resource
import shutil
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.config import FetchConfig
from newsmon.corpus import Store
from newsmon.corpus.schema import ArticleRow
from newsmon.devsite import SiteServer
from newsmon.fetch import FailureKind, Fetcher, FetchResult
from tests.conftest import DEMO_SITE
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack

MB = 1024 * 1024
TOKEN = "xoxb-hostile-test-MARKER-7f3a9c"
PUBLIC_NETS = ["127.0.0.2/32", "127.0.0.3/32"]


@functools.cache
def gzip_of_zeros(size: int, times: int = 1) -> bytes:
    """gzip (applied `times` times) of `size` zero bytes, built without holding them."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * MB
    out = [squeeze.compress(block) for _ in range(size // MB)]
    data = b"".join(out) + squeeze.flush()
    for _ in range(times - 1):
        data = gzip.compress(data, 9)
    return data


def rss(items: list[tuple[str, str]], extra: str = "") -> str:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>{t}</description></item>"
        for t, link in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>H</title>{extra}{body}</channel></rss>'


@pytest.fixture
def canary(tmp_path: Path) -> Iterator[SiteServer]:
    """Private space: any request here is a policy failure."""
    root = tmp_path / "canary"
    root.mkdir()
    (root / "feed.xml").write_text(rss([("internal", "http://127.0.0.1/x")]))
    (root / "secret.html").write_text("<html><body>internal only</body></html>")
    server = SiteServer(root.resolve(), host="127.0.0.1").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ordinary() -> Iterator[SiteServer]:
    server = SiteServer(DEMO_SITE.resolve(), host="127.0.0.2").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def hostile(tmp_path: Path, canary: SiteServer) -> Iterator[SiteServer]:
    root = tmp_path / "hostile"
    root.mkdir()
    (root / "stacked.gz").write_bytes(gzip_of_zeros(400 * MB, times=2))
    (root / "bomb.gz").write_bytes(gzip_of_zeros(400 * MB))
    (root / "page.gz").write_bytes(
        gzip.compress(b"<html><body><p>" + b"ok " * 100 + b"</p></html>")
    )
    private = canary.base
    (root / "ttl.xml").write_text(
        rss(
            [
                ("bomb page", "{{BASE}}/bomb-page.html"),
                ("stacked page", "{{BASE}}/stacked-page.html"),
                ("brotli page", "{{BASE}}/brotli-page.html"),
                ("into loopback", f"{private}/secret.html"),
                ("via localhost", private.replace("127.0.0.1", "localhost") + "/secret.html"),
                ("via redirect", "{{BASE}}/jump"),
                ("metadata", "http://169.254.169.254/latest/meta-data/"),
                ("carrier nat", "http://100.64.0.1/x"),
                ("a token reference", "{{BASE}}/echo?k=${SLACK_BOT_TOKEN}&d=${SLACK_BOT_TOKEN:-x}"),
            ],
            "<ttl>²</ttl>",
        )
    )
    (root / "cached.xml").write_text(rss([("cached", "{{BASE}}/echo?cached")]))
    big = "x" * 100_000
    (root / "entities.xml").write_text(
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY big "{big}">]>'
        + rss([("&big;" * 300, "{{BASE}}/echo?entities")])[len('<?xml version="1.0"?>') :]
    )
    (root / "many.xml").write_text(
        rss([(f"entry {i}", f"{{{{BASE}}}}/echo?many={i}") for i in range(3000)])
    )
    # Bytes that made feedparser raise (the feed failed every pass): a reference to a
    # surrogate, a control character in an entry's HTML, a stray end tag in the channel.
    (root / "crashers.xml").write_text(
        rss(
            [
                ("crash one &#xD800;", "{{BASE}}/echo?crash=1"),
                ("crash two <![CDATA[<p>a\x01b</p>]]>", "{{BASE}}/echo?crash=2"),
            ],
            "<image><width>88</height></image>",
        )
    )
    # An unclosed comment swallows every entry after it, and feedparser says nothing is there.
    (root / "swallowed.xml").write_text(
        rss(
            [
                ("swallowed one", "{{BASE}}/echo?swallowed=1"),
                ("swallowed two", "{{BASE}}/echo?s=2"),
            ],
            "<!-- sidebar, never closed",
        ).replace("</channel>", "<item><title>lost</title><width>1</height></item></channel>")
    )
    # A JSON Feed broken after its second item: json.loads gave nothing at all.
    items = [
        {"id": f"j{i}", "url": f"{{{{BASE}}}}/echo?json={i}", "title": f"json {i}"} for i in (1, 2)
    ]
    whole = json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items}
    )
    (root / "brokenjson.json").write_text(whole.replace("]}", ', {"id": "j3", "title": oops}]}'))
    (root / "items5.json").write_text(
        json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": 5})
    )
    (root / "deep.json").write_text(
        '{"version": "https://jsonfeed.org/version/1", "items": '
        + "[" * 100_000
        + "]" * 100_000
        + "}"
    )
    html = "text/html; charset=utf-8"
    routes = {
        "/stacked.xml": {
            "file": "stacked.gz",
            "content_type": "application/rss+xml",
            "headers": {"Content-Encoding": "gzip, gzip"},
        },
        "/bomb.xml": {
            "file": "bomb.gz",
            "content_type": "application/rss+xml",
            "headers": {"Content-Encoding": "gzip"},
        },
        "/brotli.xml": {
            "body": "not really brotli",
            "content_type": "application/rss+xml",
            "headers": {"Content-Encoding": "br"},
        },
        "/to-private.xml": {
            "status": 302,
            "headers": {"Location": f"{private}/feed.xml"},
            "body": "",
        },
        "/to-metadata.xml": {
            "status": 301,
            "headers": {"Location": "http://169.254.169.254/latest/"},
            "body": "",
        },
        "/busy.xml": {"status": 503, "headers": {"Retry-After": "²"}, "body": "later"},
        "/cached.xml": {"file": "cached.xml", "headers": {"Cache-Control": "max-age=" + "9" * 40}},
        "/bomb-page.html": {
            "file": "bomb.gz",
            "content_type": html,
            "headers": {"Content-Encoding": "gzip"},
        },
        "/stacked-page.html": {
            "file": "stacked.gz",
            "content_type": html,
            "headers": {"Content-Encoding": "gzip, gzip"},
        },
        "/brotli-page.html": {
            "file": "page.gz",
            "content_type": html,
            "headers": {"Content-Encoding": "br"},
        },
        "/jump": {"status": 302, "headers": {"Location": f"{private}/secret.html"}, "body": ""},
        "/echo": {
            "body": "<html><body><p>An ordinary page about nothing.</p></body></html>",
            "content_type": html,
        },
    }
    (root / "_routes.json").write_text(json.dumps(routes))
    server = SiteServer(root.resolve(), host="127.0.0.3").start()
    try:
        yield server
    finally:
        server.stop()


HOSTILE_FEEDS = {
    "stacked": "/stacked.xml",
    "bomb": "/bomb.xml",
    "brotli": "/brotli.xml",
    "to-private": "/to-private.xml",
    "to-metadata": "/to-metadata.xml",
    "busy": "/busy.xml",
    "cached": "/cached.xml",
    "ttl": "/ttl.xml",
    "entities": "/entities.xml",
    "many": "/many.xml",
    "crashers": "/crashers.xml",
    "swallowed": "/swallowed.xml",
    "brokenjson": "/brokenjson.json",
    "items5": "/items5.json",
    "deep": "/deep.json",
}
FEED_ERRORS = {
    "stacked": "stacked content encodings refused (gzip, gzip)",
    "brotli": "content encoding 'br' refused (not asked for)",
    "to-private": "refused: 127.0.0.1 is a loopback address (127.0.0.1)",
    "to-metadata": "refused: 169.254.169.254 is a link-local address (169.254.169.254)",
    "busy": "HTTP 503 Service Unavailable",
    "deep": "not a feed: JSON nested too deeply",
}
PAGE_NOTES = {
    "bomb page": f"page cut at {5 * MB} bytes",
    "stacked page": "page fetch failed: stacked content encodings refused (gzip, gzip)",
    "brotli page": "page fetch failed: content encoding 'br' refused (not asked for)",
    "into loopback": "refused: 127.0.0.1 is a loopback address (127.0.0.1)",
    "via localhost": "refused: localhost is a loopback address (127.0.0.1)",
    "via redirect": "refused: 127.0.0.1 is a loopback address (127.0.0.1)",
    "metadata": "refused: 169.254.169.254 is a link-local address (169.254.169.254)",
    "carrier nat": "refused: 100.64.0.1 is a non-global address (100.64.0.1)",
}


def notes(db: Path) -> dict[str, str | None]:
    store = Store.open(f"sqlite:///{db}")
    try:
        with store.session() as s:
            return {r.title: r.extraction_note for r in s.scalars(select(ArticleRow))}
    finally:
        store.close()


@pytest.mark.usefixtures("prefect_harness")
def test_a_json_feed_cut_at_the_size_cap_keeps_its_first_items(
    tmp_path: Path, hostile: SiteServer
) -> None:
    """json.loads gave nothing for a JSON Feed over `fetch.max_feed_bytes`. The items before
    the cut are stored; the cut is the cap's doing, said as such, not an entry failure.
    (Before the pass below: Prefect's console handler, made by the first flow run in the
    process, must not be bound to that test's capfd stream, closed after it.)"""
    from flows.monitor import monitor

    items = [
        {"id": f"c{i}", "url": f"https://news.example/c{i}", "title": f"capped {i}"}
        for i in range(40)
    ]
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "Big", "items": items}
    data = json.dumps(doc)
    hostile.routes["/big.json"] = {"body": data, "content_type": "application/feed+json"}
    config = write_config(
        tmp_path,
        feeds=[("big", hostile.url("/big.json"))],
        fetch={
            "allow_private_networks": False,
            "allowed_networks": PUBLIC_NETS,
            "max_feed_bytes": data.index('"capped 10"'),
        },
    )
    totals = asyncio.run(monitor(config_path=str(config)))
    assert (totals.feeds_ok, totals.feeds_failed, totals.entries) == (1, 0, 10)
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        [health] = store.feed_health()
    finally:
        store.close()
    assert health.entry_failure_passes == 0 and health.last_error is None
    assert sorted(notes(tmp_path / "corpus.db")) == sorted(f"capped {i}" for i in range(10))


@pytest.mark.usefixtures("prefect_harness")
def test_a_pass_next_to_a_hostile_server(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    ordinary: SiteServer,
    hostile: SiteServer,
    canary: SiteServer,
) -> None:
    from flows.monitor import monitor

    slack = FakeSlack(token=TOKEN).start()
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("NEWSMON_SLACK_API_URL", slack.api_url)
    feeds = [("ai-daily-ko", ordinary.url("/feeds/ko-ai.xml"), "ko")]
    feeds += [(name, hostile.url(path)) for name, path in HOSTILE_FEEDS.items()]
    config = write_config(
        tmp_path,
        feeds=feeds,
        default_channel="#ai-news",
        fetch={
            "allow_private_networks": False,
            "allowed_networks": PUBLIC_NETS,
            "max_entries_per_feed": 10,
        },
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    try:
        totals = asyncio.run(monitor(config_path=str(config)))
    finally:
        slack.stop()
    elapsed = time.monotonic() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024

    assert elapsed < 120
    assert grown_mb < 300, f"peak memory grew by {grown_mb:.0f} MB"
    # the ordinary feed: stored and alerted
    assert totals.sender == "slack" and totals.alerts_sent >= 1
    posted = " ".join(str(p) for p in slack.posts)
    assert ordinary.base in posted and hostile.base not in posted
    # private space was never reached, not even by redirects or `localhost`
    assert canary.requests == []
    # every hostile feed is recorded with its reason
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        health = {h.name: h for h in store.feed_health()}
    finally:
        store.close()
    assert health["ai-daily-ko"].last_error is None
    for name, error in FEED_ERRORS.items():
        assert health[name].last_error == error, name
    assert "to-metadata" in health and health["to-metadata"].url == hostile.url("/to-metadata.xml")
    assert health["bomb"].last_error.startswith("not a feed")  # 10 MiB of zeros, cut
    for name in ("cached", "ttl", "entities", "many", "crashers", "items5"):
        assert health[name].last_error is None, (name, health[name].last_error)
    # an entry no reading could parse is a story lost: an entry failure health counts
    swallowed = health["swallowed"]
    assert swallowed.failure_kind is None and swallowed.entry_failure_passes == 1
    assert swallowed.last_error == "1 of the feed's entries could not be read, even one by one"
    assert health["brokenjson"].failure_kind is None
    assert health["brokenjson"].entry_failure_passes == 1
    assert "capped at 24 h" in (health["cached"].schedule_note or "")
    assert "backing off" in (health["busy"].schedule_note or "")
    assert health["many"].entries_seen == 10
    # every hostile entry is stored with the reason its page was not used
    stored = notes(tmp_path / "corpus.db")
    for title, note in PAGE_NOTES.items():
        assert note in (stored[title] or ""), (title, stored[title])
    assert not any("x" * 1000 in (t or "") for t in stored)  # the entity was never expanded
    assert sum(t.startswith("entry ") for t in stored) == 10  # 3,000 entries, capped
    assert "crash one \ufffd" in stored and "crash two ab" in stored  # read entry by entry
    assert "swallowed one" in stored and "swallowed two" in stored  # found missing, read so
    assert "json 1" in stored and "json 2" in stored  # the items before the damage
    # the token reached neither the hostile server nor any output
    sent = json.dumps(hostile.requests) + json.dumps(ordinary.requests)
    assert TOKEN not in sent
    assert any(
        "${SLACK_BOT_TOKEN}" in p or "%7BSLACK_BOT_TOKEN%7D" in p for p in hostile.paths_requested()
    )
    out, err = capfd.readouterr()
    assert TOKEN not in out + err + caplog.text
    assert all(a == f"Bearer {TOKEN}" for a in slack.auth_headers)  # only Slack saw it


def test_feeds_add_of_a_page_carrying_a_reference_sends_nothing_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hostile: SiteServer
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    root = hostile.root
    (root / "home.html").write_text(
        '<html><head><link rel="alternate" type="application/rss+xml" '
        'href="/news.xml?k=${SLACK_BOT_TOKEN:-x}&amp;v=${HOME}"></head><body>hi</body></html>'
    )
    (root / "news.xml").write_text(rss([("one", "{{BASE}}/echo?one")]))
    config = write_config(
        tmp_path, fetch={"allow_private_networks": False, "allowed_networks": PUBLIC_NETS}
    )
    runner = CliRunner()
    added = runner.invoke(
        app, ["feeds", "add", hostile.url("/home.html"), "--config", str(config), "--name", "h"]
    )
    assert added.exit_code == 0, added.output
    text = config.read_text()
    assert "$${SLACK_BOT_TOKEN:-x}" in text and TOKEN not in text + added.output

    from newsmon.config import load_config
    from newsmon.pipeline import Context, process_feeds

    loaded = load_config(config)
    assert loaded.feeds[0].url == hostile.url("/news.xml?k=${SLACK_BOT_TOKEN:-x}&v=${HOME}")
    ctx = Context.open(loaded)

    async def one_pass() -> None:
        async with ctx.fetching() as fetcher:
            await process_feeds(ctx, fetcher, loaded.feeds)

    try:
        asyncio.run(one_pass())
    finally:
        ctx.close()
    feed_requests = [p for p in hostile.paths_requested() if p.startswith("/news.xml")]
    assert len(feed_requests) >= 2  # discovery, then the pass
    assert TOKEN not in json.dumps(hostile.requests)
    assert all("SLACK_BOT_TOKEN" in p for p in feed_requests)


# --- the fetcher on its own ------------------------------------------------------------------


def fetch(config: FetchConfig, url: str, resolver=None, **kwargs) -> FetchResult:
    async def go() -> FetchResult:
        fetcher = Fetcher(config, resolver=resolver) if resolver else Fetcher(config)
        try:
            return await fetcher.get(url, max_bytes=kwargs.pop("max_bytes", MB), **kwargs)
        finally:
            await fetcher.aclose()

    return asyncio.run(go())


STRICT = FetchConfig(retries=0, allowed_networks=PUBLIC_NETS)


def test_encodings_are_capped_or_refused(hostile: SiteServer) -> None:
    stacked = fetch(STRICT, hostile.url("/stacked-page.html"))
    assert stacked.failure is FailureKind.BAD_ENCODING and stacked.content == b""
    assert not stacked.transient
    bomb = fetch(STRICT, hostile.url("/bomb-page.html"), max_bytes=2 * MB)
    assert bomb.ok and bomb.truncated and len(bomb.content) == 2 * MB
    assert hostile.requests[-1][1]["accept-encoding"] == "gzip, deflate"


def test_a_configured_feed_may_not_redirect_into_private_space(
    hostile: SiteServer, canary: SiteServer
) -> None:
    private = fetch(STRICT, hostile.url("/to-private.xml"), trusted=True)
    assert private.failure is FailureKind.REFUSED and private.moved_to is None
    metadata = fetch(STRICT, hostile.url("/to-metadata.xml"), trusted=True)
    assert metadata.failure is FailureKind.REFUSED and metadata.moved_to is None
    assert canary.requests == []
    # the host the user wrote may be private, and redirects on it are followed
    canary.routes["/old.xml"] = {"status": 301, "headers": {"Location": "/feed.xml"}, "body": ""}
    own = fetch(STRICT, canary.url("/old.xml"), trusted=True)
    assert own.ok and own.moved_to == canary.url("/feed.xml")
    # unless allowed, as an intranet would
    relaxed = FetchConfig(retries=0, allow_private_networks=True)
    assert fetch(relaxed, hostile.url("/to-private.xml"), trusted=True).ok


def test_resolution_failure_fails_closed_and_the_checked_address_is_used(
    ordinary: SiteServer, canary: SiteServer
) -> None:
    def nowhere(host: str) -> list[str]:
        raise OSError("Name or service not known")

    failed = fetch(STRICT, f"http://news.test:{ordinary.port}/feeds/ko-ai.xml", nowhere)
    assert failed.failure is FailureKind.DNS and ordinary.requests == []

    answers = iter([["127.0.0.2"], ["127.0.0.1"], ["127.0.0.1"]])  # a rebinding name server
    calls: list[str] = []

    def rebinding(host: str) -> list[str]:
        calls.append(host)
        return next(answers)

    got = fetch(STRICT, f"http://rebind.test:{ordinary.port}/feeds/ko-ai.xml", rebinding)
    assert got.ok and calls == ["rebind.test"]  # resolved once: checked, then connected
    assert ordinary.requests[-1][1]["host"] == f"rebind.test:{ordinary.port}"
    assert canary.requests == []


def test_tracebacks_print_no_local_variables(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from newsmon.cli import app\n"
        "@app.command('boom')\n"
        "def boom() -> None:\n"
        f"    token = '{TOKEN}'\n"
        "    raise RuntimeError('boom')\n"
        "sys.argv = ['newsmon', 'boom']\n"
        "app()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "TERM": "dumb", "COLUMNS": "120"},
    )
    assert done.returncode == 1 and "RuntimeError" in done.stderr
    assert TOKEN not in done.stdout + done.stderr


@pytest.mark.usefixtures("prefect_harness")
def test_a_story_dated_at_the_end_of_time_is_stored_and_alerted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dates a datetime holds in the writer's zone but not in UTC (year 9999 at -10:00) or not
    in the zone alerts are shown in (year 9999, 23:00 UTC is year 10000 in Seoul): the story
    is stored and alerted with its date unknown, and the stories after it are delivered too."""
    from flows.monitor import monitor

    site = tmp_path / "site"
    shutil.copytree(DEMO_SITE, site)
    wire = site / "feeds" / "en-wire.xml"
    text = wire.read_text(encoding="utf-8")
    dates = ["Fri, 31 Dec 9999 23:00:00 -1000", "9999-12-31T23:00:00Z"]
    for date in dates:  # the first two items' dates, in both notations feeds use
        text = re.sub(r"<pubDate>[^<]*</pubDate>", f"<pubDate>{date}</pubDate>", text, count=1)
    text = text.replace("<pubDate>9999-12", "<dc:date>9999-12").replace(
        "23:00:00Z</pubDate>", "23:00:00Z</dc:date>"
    )
    wire.write_text(text, encoding="utf-8")
    server = SiteServer(site.resolve(), host="127.0.0.1").start()
    slack = FakeSlack(token=TOKEN).start()
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("NEWSMON_SLACK_API_URL", slack.api_url)
    config = write_config(
        tmp_path, feeds=[("wire", server.url("/feeds/en-wire.xml"))], default_channel="#ai-news"
    )
    try:
        totals = asyncio.run(monitor(config_path=str(config)))
    finally:
        slack.stop()
        server.stop()
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        health = {h.name: h for h in store.feed_health()}
        with store.session() as s:
            rows = s.execute(select(ArticleRow.url, ArticleRow.published_at)).all()
    finally:
        store.close()
    assert health["wire"].last_error is None and health["wire"].entry_failure_passes == 0
    stored = {url.split("?")[0]: when for url, when in rows}
    for path in ("/en/deepseek-open-source-week.html", "/wire/deepseek-open-source-week.html"):
        assert server.url(path) in stored, path
    assert all(when is None or when.year < 9999 for when in stored.values())
    # the two are one story (the second a duplicate): it is alerted, and so are the others
    assert totals.alerts_sent >= 2 and totals.alerts_failed == 0
    assert "DeepSeek" in " ".join(str(p) for p in slack.posts)


@pytest.mark.usefixtures("prefect_harness")
def test_charsets_no_page_is_in_and_wide_claims_cost_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Labels a publisher may send that Python's codecs take differently from browsers: a feed
    labelled "undefined" (a codec that raises on every byte: the feed failed every pass), a
    UTF-8 page whose `<meta>` says UTF-16 (which decodes any even run of bytes: the article was
    read as CJK noise and lost), a UTF-16 page with its BOM served as UTF-8 (stored as noise),
    and a page labelled "unicode-escape" (its backslashes were expanded). Each is read as what
    its bytes are."""
    from flows.monitor import monitor

    root = tmp_path / "site"
    root.mkdir()
    sentence = "규제 당국은 오늘 오픈소스 AI 모델에 관한 새 규칙을 발표했다. "
    article = f"<html><head><title>T</title></head><body><article><p>{sentence * 8}</p>"
    tail = "</article></body></html>"
    pages = {
        "meta16": article.replace("<title>", '<meta charset="utf-16"><title>') + tail,
        "bom16": article + tail,
        "escape": article + "<p>Paths like C:\\u202eexe and \\x00 stay as written.</p>" + tail,
    }
    (root / "meta16.html").write_bytes(pages["meta16"].encode() + b" " * (len(pages["meta16"]) % 2))
    (root / "bom16.html").write_bytes(pages["bom16"].encode("utf-16"))
    (root / "escape.html").write_text(pages["escape"])
    items = [(name, f"{{{{BASE}}}}/{name}.html") for name in pages]
    (root / "feed.xml").write_text(rss(items))
    routes = {
        "/feed.xml": {"file": "feed.xml", "content_type": "application/rss+xml; charset=undefined"},
        "/meta16.html": {"file": "meta16.html", "content_type": "text/html"},
        "/bom16.html": {"file": "bom16.html", "content_type": "text/html; charset=utf-8"},
        "/escape.html": {
            "file": "escape.html",
            "content_type": "text/html; charset=unicode-escape",
        },
    }
    (root / "_routes.json").write_text(json.dumps(routes))
    server = SiteServer(root.resolve(), host="127.0.0.1").start()
    slack = FakeSlack(token=TOKEN).start()
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("NEWSMON_SLACK_API_URL", slack.api_url)
    config = write_config(tmp_path, feeds=[("labels", server.url("/feed.xml"), "ko")])
    try:
        asyncio.run(monitor(config_path=str(config)))
    finally:
        slack.stop()
        server.stop()
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        health = {h.name: h for h in store.feed_health()}
        with store.session() as s:
            rows = {r.title: r for r in s.scalars(select(ArticleRow))}
    finally:
        store.close()
    assert health["labels"].last_error is None
    assert set(rows) == set(pages)
    for name, row in rows.items():
        assert row.text_source == "page", (name, row.text_source, row.extraction_note)
        assert sentence.strip() in row.text, name
    assert "C:\\u202eexe and \\x00 stay as written" in rows["escape"].text
