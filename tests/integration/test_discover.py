"""`newsmon feeds add` against a local site: discover a feed from a page or URL, validate it,
append it to the config; a feed over its parsing budget is neither taken nor added. The
configuration edit alone: tests/unit/test_yamledit.py."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.config import load_config
from newsmon.corpus.store import Store
from newsmon.devsite import serve
from tests.conftest import DEMO_SITE
from tests.support.configs import config_text

runner = CliRunner()


@pytest.fixture
def site(tmp_path: Path):
    root = tmp_path / "site"
    (root / "feeds").mkdir(parents=True)
    (root / "feeds" / "en-ai.atom").write_bytes((DEMO_SITE / "feeds" / "en-ai.atom").read_bytes())
    (root / "feeds" / "ko-ai.xml").write_bytes((DEMO_SITE / "feeds" / "ko-ai.xml").read_bytes())
    (root / "index.html").write_text(
        '<html><head><link rel="stylesheet" href="/s.css">'
        '<link rel="alternate" type="application/rss+xml" title="Broken" href="/nope.xml">'
        '<link rel="alternate" type="application/atom+xml" title="Frontier" href="/feeds/en-ai.atom">'
        "</head><body>Home</body></html>"
    )
    (root / "plain.html").write_text("<html><body>No feeds here</body></html>")
    # ~3.5 s of feedparser's handling of unknown elements on 2 cores, seven times the budget
    (root / "slow.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title>'
        + "<x>y</x>" * 200_000
        + "<item><title>s</title><link>/s</link></item></channel></rss>"
    )
    (root / "slow-first.html").write_text(
        '<html><head><link rel="alternate" type="application/rss+xml" href="/slow.xml">'
        '<link rel="alternate" type="application/atom+xml" href="/feeds/en-ai.atom">'
        "</head><body>Home</body></html>"
    )
    (root / "_routes.json").write_text(json.dumps({"/nope.xml": {"status": 404, "body": "no"}}))
    with serve(root) as server:
        yield server


def config_file(tmp_path: Path, **fetch: object) -> Path:
    """An operator's file, with comments that `feeds add` must keep."""
    text = config_text(
        tmp_path,
        feeds=[("existing", "https://existing.example/rss")],
        default_channel="#news",
        # a URL the operator names is trusted anyway
        fetch={"allow_private_networks": False, "feed_parse_timeout_seconds": 0.5, **fetch},
    )
    marked = text.replace("  - name: existing\n", "  - name: existing   # keep this comment\n")
    assert marked != text
    path = tmp_path / "newsmon.yaml"
    path.write_text("# my monitor\n" + marked, encoding="utf-8")
    return path


def test_add_from_a_home_page_finds_the_advertised_feed(tmp_path: Path, site) -> None:
    path = config_file(tmp_path)
    result = runner.invoke(app, ["feeds", "add", site.url("/index.html"), "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "added 127-0-0-1-en" in result.output and "4 entries" in result.output
    config = load_config(path)
    assert [f.name for f in config.feeds] == ["existing", "127-0-0-1-en"]
    assert config.feeds[1].url == site.url("/feeds/en-ai.atom") and config.feeds[1].language == "en"
    text = path.read_text(encoding="utf-8")
    assert "# keep this comment" in text and text.startswith("# my monitor")
    assert "note:" not in result.output  # the feed is on the host given


def test_add_a_feed_url_directly_with_a_name(tmp_path: Path, site) -> None:
    path = config_file(tmp_path)
    result = runner.invoke(
        app,
        ["feeds", "add", site.url("/feeds/ko-ai.xml"), "--name", "ai-daily", "--config", str(path)],
    )
    assert result.exit_code == 0, result.output
    feed = load_config(path).feeds[-1]
    assert (feed.name, feed.language) == ("ai-daily", "ko")
    again = runner.invoke(
        app, ["feeds", "add", site.url("/feeds/ko-ai.xml"), "--config", str(path)]
    )
    assert again.exit_code == 1 and "already configured" in again.output


def test_a_page_without_feeds_is_refused_and_config_untouched(tmp_path: Path, site) -> None:
    path = config_file(tmp_path)
    before = path.read_text(encoding="utf-8")
    result = runner.invoke(app, ["feeds", "add", site.url("/plain.html"), "--config", str(path)])
    assert result.exit_code == 1 and "links to no feed" in result.output
    missing = runner.invoke(app, ["feeds", "add", site.url("/nope.xml"), "--config", str(path)])
    assert missing.exit_code == 1 and "HTTP 404" in missing.output
    assert path.read_text(encoding="utf-8") == before


def test_a_feed_over_its_parse_budget_is_not_added(tmp_path: Path, site) -> None:
    path = config_file(tmp_path)
    before = path.read_text(encoding="utf-8")
    slow = runner.invoke(app, ["feeds", "add", site.url("/slow.xml"), "--config", str(path)])
    assert slow.exit_code == 1, slow.output
    assert "could not be read (feed parsing exceeded 0.5 s)" in slow.output
    assert path.read_text(encoding="utf-8") == before
    # a page advertising it first, then a feed that reads: the second is added
    page = runner.invoke(app, ["feeds", "add", site.url("/slow-first.html"), "--config", str(path)])
    assert page.exit_code == 0, page.output
    assert [f.url for f in load_config(path).feeds][1:] == [site.url("/feeds/en-ai.atom")]


# --- a hostile site ----------------------------------------------------------------------------


def atom_titled(title: str) -> bytes:
    """The demo's English feed under another <title> (XML text, references allowed)."""
    feed = (DEMO_SITE / "feeds" / "en-ai.atom").read_text(encoding="utf-8")
    return feed.replace(
        "<title>Frontier Wire — Technology &amp; Policy</title>", f"<title>{title}</title>", 1
    ).encode("utf-8")


def test_a_hostile_feed_title_is_a_one_line_plain_comment(tmp_path: Path, site) -> None:
    """Controls YAML refuses (DEL, C1), bidi overrides, line separators and 100 KB in a feed's
    title: the feed is added, the title's comment is plain printable text on one line."""
    title = "AI&#127; news &#x202e;evil&#x2028;x&#x9b;y\n&#x0;# key: &amp;a *a !!python/x " + (
        "&#x200b;" * 100 + "é" * 100_000
    )
    (site.root / "titled.atom").write_bytes(atom_titled(title))
    path = config_file(tmp_path)
    result = runner.invoke(
        app, ["feeds", "add", site.url("/titled.atom"), "--name", "t", "--config", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert [f.name for f in load_config(path).feeds] == ["existing", "t"]
    line = next(x for x in path.read_text(encoding="utf-8").splitlines() if "name: t " in x)
    comment = line.split("#", 1)[1]
    assert comment.startswith(" AI news evil x") and len(comment) <= 71, comment
    assert comment.isprintable(), ascii(comment)


def test_a_redirect_to_an_address_with_controls_is_stored_as_plain_ascii(
    tmp_path: Path, site
) -> None:
    """A Location header may carry any latin-1 byte: a NEL (a line break to YAML 1.1), a C1
    control (CSI to a terminal). The feed is stored and shown in the ASCII form it was
    requested in."""
    target = "/feeds/en-ai.atom?a=\x85\x9b[2J"
    site.routes["/moved.atom"] = {"status": 301, "body": "", "headers": {"Location": target}}
    path = config_file(tmp_path)
    result = runner.invoke(
        app, ["feeds", "add", site.url("/moved.atom"), "--name", "m", "--config", str(path)]
    )
    assert result.exit_code == 0, result.output
    url = site.url("/feeds/en-ai.atom?a=%C2%85%C2%9B[2J")
    assert load_config(path).feeds[-1].url == url
    assert result.output.isascii() and url in result.output


def test_credentials_in_the_url_are_not_shown(tmp_path: Path, site) -> None:
    path = config_file(tmp_path)
    secret = site.url("/feeds/en-ai.atom").replace("http://", "http://reader:pa55word@")
    secret += "?apikey=K3Y-123"
    added = runner.invoke(app, ["feeds", "add", secret, "--name", "s", "--config", str(path)])
    assert added.exit_code == 0, added.output
    assert load_config(path).feeds[-1].url == secret  # kept where the operator put it
    again = runner.invoke(app, ["feeds", "add", secret, "--config", str(path)])
    assert again.exit_code == 1 and "already configured" in again.output
    missing = runner.invoke(
        app, ["feeds", "add", site.url("/nope.xml?token=T0K-456"), "--config", str(path)]
    )
    assert missing.exit_code == 1 and "HTTP 404" in missing.output
    (site.root / "keyed.html").write_text(
        '<link rel="alternate" type="application/rss+xml" href="/nope.xml?api_key=L1NK-789">'
    )
    linked = runner.invoke(app, ["feeds", "add", site.url("/keyed.html"), "--config", str(path)])
    assert linked.exit_code == 1 and "tried" in linked.output
    shown = added.output + again.output + missing.output + linked.output
    for word in ("pa55word", "K3Y-123", "T0K-456", "L1NK-789"):
        assert word not in shown, shown


def test_a_page_listing_endless_candidates_costs_a_few_requests(tmp_path: Path, site) -> None:
    esc = "&#x1b;[2J"
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="/nope.xml?n={i}{esc * (i % 2)}">'
        for i in range(500)
    )
    (site.root / "many.html").write_text(f"<html><head>{links}</head><body>x</body></html>")
    path = config_file(tmp_path)
    result = runner.invoke(app, ["feeds", "add", site.url("/many.html"), "--config", str(path)])
    assert result.exit_code == 1
    assert len([p for p in site.paths_requested() if p.startswith("/nope.xml")]) <= 10
    assert len(result.output) < 2000 and "\x1b" not in result.output, result.output


def test_a_page_of_many_thousand_feed_links_is_answered_in_seconds(tmp_path: Path, site) -> None:
    """Each link a page advertised was compared with every one kept before it, and every one
    was resolved, though 8 are tried: 40,000 links (2.6 MB) cost ~20 s, a 10 MiB page minutes
    of CPU before the one-line refusal."""
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="/nope.xml?n={i}">'
        for i in range(40_000)
    )
    (site.root / "huge.html").write_text(f"<html><head>{links}</head><body>x</body></html>")
    path = config_file(tmp_path)
    started = time.monotonic()
    result = runner.invoke(app, ["feeds", "add", site.url("/huge.html"), "--config", str(path)])
    elapsed = time.monotonic() - started
    assert result.exit_code == 1 and "more it links to, not tried" in result.output, result.output
    assert len([p for p in site.paths_requested() if p.startswith("/nope.xml")]) <= 10
    assert elapsed < 6, elapsed


def test_a_temporary_redirect_is_not_what_is_stored(tmp_path: Path, site) -> None:
    """A feed behind a 302 (a signed CDN address, a redirector) is configured at its own
    address, as a pass would keep fetching it; a permanent move is followed."""
    site.routes.update(
        {
            "/latest.atom": {
                "status": 302,
                "body": "",
                "headers": {"Location": "/feeds/en-ai.atom?sig=1"},
            },
            "/old.atom": {"status": 308, "body": "", "headers": {"Location": "/feeds/ko-ai.xml"}},
        }
    )
    (site.root / "cdn.html").write_text(
        '<link rel="alternate" type="application/atom+xml" href="/latest.atom">'
    )
    path = config_file(tmp_path)
    for url, name in ((site.url("/cdn.html"), "a"), (site.url("/old.atom"), "b")):
        result = runner.invoke(app, ["feeds", "add", url, "--name", name, "--config", str(path)])
        assert result.exit_code == 0, result.output
    urls = [f.url for f in load_config(path).feeds]
    assert urls[1:] == [site.url("/latest.atom"), site.url("/feeds/ko-ai.xml")]


def test_a_feed_configured_under_another_form_of_its_url_is_not_added_again(
    tmp_path: Path, site
) -> None:
    """Tracking parameters, an upper-case host, a page linking the feed with its own tracking
    parameters, a redirector in front of it: each was added as a second feed (with --name, or
    its slug was free), which every pass polled and health counted twice."""
    feed = site.url("/feeds/en-ai.atom").replace("127.0.0.1", "localhost")
    site.routes["/go.atom"] = {"status": 302, "body": "", "headers": {"Location": feed}}
    (site.root / "home.html").write_text(
        '<link rel="alternate" type="application/atom+xml" '
        'href="/feeds/en-ai.atom?utm_source=homepage&amp;utm_medium=link">'
    )
    path = tmp_path / "newsmon.yaml"
    path.write_text(config_text(tmp_path, feeds=[("existing", feed)]), encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    forms = [
        feed + "?utm_source=newsletter&utm_campaign=x",
        feed.replace("localhost", "LocalHost"),
        site.url("/home.html").replace("127.0.0.1", "localhost"),
        site.url("/go.atom"),
    ]
    for i, form in enumerate(forms):
        result = runner.invoke(
            app, ["feeds", "add", form, "--name", f"again-{i}", "--config", str(path)]
        )
        assert result.exit_code == 1, (form, result.output)
        assert "already configured as existing" in result.output, result.output
    assert path.read_text(encoding="utf-8") == before


@pytest.mark.parametrize(
    ("option", "value"), [("--name", "My Feed"), ("--language", "fr"), ("--name", "x" * 81)]
)
def test_a_bad_name_or_language_is_refused_before_any_request(
    tmp_path: Path, site, option: str, value: str
) -> None:
    path = config_file(tmp_path)
    result = runner.invoke(
        app, ["feeds", "add", site.url("/index.html"), option, value, "--config", str(path)]
    )
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and option in result.output, result.output
    assert site.paths_requested() == []


def test_a_feed_on_a_host_the_page_chose_is_added_with_a_note(tmp_path: Path) -> None:
    """A configured feed's host is trusted like one the operator typed (no address check):
    when the page chose another host, `feeds add` says so instead of adding it silently."""
    from newsmon.devsite import SiteServer

    other_root = tmp_path / "other"
    other_root.mkdir()
    (other_root / "feed.atom").write_bytes((DEMO_SITE / "feeds" / "en-ai.atom").read_bytes())
    page_root = tmp_path / "page"
    page_root.mkdir()
    other = SiteServer(other_root.resolve(), host="127.0.0.2").start()
    try:
        (page_root / "index.html").write_text(
            '<html><head><link rel="alternate" type="application/atom+xml" '
            f'href="{other.url("/feed.atom")}"></head><body>Home</body></html>'
        )
        path = tmp_path / "newsmon.yaml"
        path.write_text(
            config_text(
                tmp_path,
                feeds=[],
                fetch={"allow_private_networks": False, "allowed_networks": ["127.0.0.2/32"]},
            ),
            encoding="utf-8",
        )
        with serve(page_root) as page:
            added = runner.invoke(
                app, ["feeds", "add", page.url("/index.html"), "--config", str(path)]
            )
    finally:
        other.stop()
    assert added.exit_code == 0, added.output
    assert "note: the feed is on 127.0.0.2, a host the page at 127.0.0.1 chose" in added.output
    assert load_config(path).feeds[-1].url == other.url("/feed.atom")


# --- what people paste, sites that do not advertise their feed, a second feed of a host -------


def test_a_pasted_address_with_spaces_or_a_feed_scheme_is_read_as_the_http_one(
    tmp_path: Path, site
) -> None:
    """Spaces around a pasted address and the `feed:` forms browsers show were refused as an
    "unsupported URL scheme"; they wrap an http(s) address, which is what is added."""
    feed = site.url("/feeds/en-ai.atom")
    forms = [
        f"  {feed}\n",
        "feed://" + feed.removeprefix("http://"),
        f"feed:{feed}",
        f"FEED:{feed}",
        f"feed://{feed}",
    ]
    for i, form in enumerate(forms):
        path = config_file(tmp_path)
        result = runner.invoke(
            app, ["feeds", "add", form, "--name", f"f{i}", "--config", str(path)]
        )
        assert result.exit_code == 0, (form, result.output)
        assert load_config(path).feeds[-1].url == feed, form


@pytest.mark.parametrize("form", ["feed:file:///etc/passwd", "feed:feed://127.0.0.1/x", "feed:"])
def test_a_feed_scheme_wraps_only_http_addresses(tmp_path: Path, site, form: str) -> None:
    path = config_file(tmp_path)
    before = path.read_text(encoding="utf-8")
    result = runner.invoke(app, ["feeds", "add", form, "--config", str(path)])
    assert result.exit_code == 2 and "http:// or https://" in result.output, result.output
    assert path.read_text(encoding="utf-8") == before and site.paths_requested() == []


def test_a_feed_the_page_does_not_advertise_is_found_at_a_common_address(
    tmp_path: Path, site
) -> None:
    """WordPress's /feed/, /rss.xml, a Korean CMS's /rss/allArticle.xml ...: a site with a feed
    it does not link to was "links to no feed". A few common addresses on the same host are
    tried, in order, up to the first that is a feed, and the output says which."""
    (site.root / "rss").mkdir()
    feed = (DEMO_SITE / "feeds" / "ko-ai.xml").read_bytes()
    (site.root / "rss" / "allArticle.xml").write_bytes(feed)
    (site.root / "atom.xml").write_text("<html><body>a soft 404</body></html>")
    site.routes["/"] = {"file": "plain.html"}
    path = config_file(tmp_path)
    result = runner.invoke(app, ["feeds", "add", site.url("/"), "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert load_config(path).feeds[-1].url == site.url("/rss/allArticle.xml")
    assert "not linked from the page" in result.output and "/rss/allArticle.xml" in result.output
    asked = site.paths_requested()
    assert asked[0] == "/" and asked[-1] == "/rss/allArticle.xml" and len(asked) <= 10, asked


def test_common_addresses_are_few_and_on_the_host_given(tmp_path: Path, site) -> None:
    path = config_file(tmp_path)
    before = path.read_text(encoding="utf-8")
    result = runner.invoke(app, ["feeds", "add", site.url("/plain.html"), "--config", str(path)])
    assert result.exit_code == 1 and "links to no feed" in result.output, result.output
    asked = site.paths_requested()
    assert asked[0] == "/plain.html" and 1 < len(asked) <= 9, asked
    # a host that fails otherwise than "not here" is asked no further
    site.routes["/rss"] = {"status": 503, "body": "busy"}
    site.requests.clear()
    busy = runner.invoke(app, ["feeds", "add", site.url("/plain.html"), "--config", str(path)])
    assert busy.exit_code == 1 and "HTTP 503" in busy.output, busy.output
    assert "/rss.xml" not in site.paths_requested()
    assert path.read_text(encoding="utf-8") == before


def test_a_second_feed_of_a_host_gets_a_name_of_its_own(tmp_path: Path, site) -> None:
    """Two feeds of one site (news, opinion) got the same generated name and the second was
    refused ("choose one with --name")."""
    (site.root / "feeds" / "en-ai-2.atom").write_bytes(atom_titled("Frontier Wire: Policy"))
    path = config_file(tmp_path)
    names = []
    for feed in ("/feeds/en-ai.atom", "/feeds/en-ai-2.atom"):
        result = runner.invoke(app, ["feeds", "add", site.url(feed), "--config", str(path)])
        assert result.exit_code == 0, result.output
        names.append(load_config(path).feeds[-1].name)
    assert names == ["127-0-0-1-en", "127-0-0-1-feeds-en-ai-2-en"], names
    assert [f.url for f in load_config(path).feeds][1:] == [
        site.url("/feeds/en-ai.atom"),
        site.url("/feeds/en-ai-2.atom"),
    ]


def test_a_configured_feed_that_moved_is_not_added_again(tmp_path: Path, site, db_url: str) -> None:
    """A configured feed whose address now answers 301/308 was added a second time: pasted as
    configured (the move's target was compared, not the address asked), or at its new address
    once a pass had recorded the move. Every pass then polled it twice and health counted it
    twice."""
    site.routes["/old.atom"] = {
        "status": 308,
        "body": "",
        "headers": {"Location": "/feeds/ko-ai.xml"},
    }
    path = tmp_path / "newsmon.yaml"
    path.write_text(
        config_text(tmp_path, feeds=[("existing", site.url("/old.atom"))], database_url=db_url),
        encoding="utf-8",
    )
    before = path.read_text(encoding="utf-8")
    asked = runner.invoke(
        app, ["feeds", "add", site.url("/old.atom"), "--name", "again", "--config", str(path)]
    )
    assert asked.exit_code == 1, asked.output
    assert "already configured as existing" in asked.output, asked.output
    # a pass followed the move and stored it: the new address is the configured feed too
    store = Store.open(load_config(path).database_url)
    try:
        state = store.sync_feed("existing", site.url("/old.atom"), None)
        store.record_feed_success(
            state.id,
            entries=4,
            etag=None,
            last_modified=None,
            moved_to=site.url("/feeds/ko-ai.xml"),
        )
    finally:
        store.close()
    new = runner.invoke(
        app,
        ["feeds", "add", site.url("/feeds/ko-ai.xml"), "--name", "again", "--config", str(path)],
    )
    assert new.exit_code == 1, new.output
    assert "already configured as existing" in new.output, new.output
    assert path.read_text(encoding="utf-8") == before


def test_adding_a_feed_creates_no_corpus(tmp_path: Path, site) -> None:
    """Looking for configured feeds' recorded moves reads the corpus only where one exists."""
    path = config_file(tmp_path)
    result = runner.invoke(
        app, ["feeds", "add", site.url("/feeds/ko-ai.xml"), "--config", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "corpus.db").exists()


def test_a_page_with_a_feed_per_language_gives_the_one_of_the_language_asked(
    tmp_path: Path, site
) -> None:
    """A site's page linking its Korean feed first and its English one second: `--language en`
    configured the Korean feed as English (its stories then read with the wrong language's
    rules). The feed of the language asked is taken; without `--language`, the first."""
    (site.root / "bilingual.html").write_text(
        '<link rel="alternate" type="application/rss+xml" hreflang="ko" href="/feeds/ko-ai.xml">'
        '<link rel="alternate" type="application/atom+xml" hreflang="en" href="/feeds/en-ai.atom">'
    )
    path = config_file(tmp_path)
    english = runner.invoke(
        app,
        ["feeds", "add", site.url("/bilingual.html"), "--language", "en", "--config", str(path)],
    )
    assert english.exit_code == 0, english.output
    assert load_config(path).feeds[-1].url == site.url("/feeds/en-ai.atom"), english.output
    first = runner.invoke(app, ["feeds", "add", site.url("/bilingual.html"), "--config", str(path)])
    assert first.exit_code == 0, first.output
    added = load_config(path).feeds[-1]
    assert (added.url, added.language) == (site.url("/feeds/ko-ai.xml"), "ko")


def test_a_japanese_feed_is_not_taken_for_the_english_one(tmp_path: Path, site) -> None:
    """A site linking its Japanese feed before its English one: the Japanese titles, full of
    Latin product names (OpenAI, Llama, GPT), read as English, so `--language en` configured
    the Japanese feed as English, and without `--language` it was written `language: en`."""
    items = "".join(
        f"<item><title>{title}</title><link>/ja/{i}</link><description>{title}</description></item>"
        for i, title in enumerate(
            [
                "OpenAI、オープンウェイトモデル「gpt-oss」を公開 Apache 2.0ライセンスで",
                "Meta、Llama 4 ScoutとMaverickをHugging Faceで配布開始",
                "Google DeepMind、Gemma 3の安全性評価を発表",
            ]
        )
    )
    (site.root / "ja.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>AI ニュース'
        f"</title><link>/</link>{items}</channel></rss>",
        encoding="utf-8",
    )
    (site.root / "jp-first.html").write_text(
        '<link rel="alternate" type="application/rss+xml" href="/ja.xml">'
        '<link rel="alternate" type="application/atom+xml" href="/feeds/en-ai.atom">'
    )
    path = config_file(tmp_path)
    english = runner.invoke(
        app,
        ["feeds", "add", site.url("/jp-first.html"), "--language", "en", "--config", str(path)],
    )
    assert english.exit_code == 0, english.output
    assert load_config(path).feeds[-1].url == site.url("/feeds/en-ai.atom"), english.output
    first = runner.invoke(app, ["feeds", "add", site.url("/ja.xml"), "--config", str(path)])
    assert first.exit_code == 0, first.output
    added = load_config(path).feeds[-1]
    assert (added.url, added.language) == (site.url("/ja.xml"), None), first.output


def test_a_feed_kept_in_the_pages_section_is_found_there(tmp_path: Path, site) -> None:
    """A blog at /blog/ with its feed at /blog/feed/ (WordPress in a folder, a static site's
    section feed): a post's address was answered "links to no feed", only the host's root
    addresses tried. The page's sections are tried before the root, in a bounded number of
    requests, and never the post's own folder (WordPress's comment feed of the post)."""
    (site.root / "blog" / "feed").mkdir(parents=True)
    (site.root / "blog" / "feed" / "index.xml").write_bytes(
        (DEMO_SITE / "feeds" / "ko-ai.xml").read_bytes()
    )
    site.routes["/blog/feed/"] = {"file": "blog/feed/index.xml"}
    site.routes["/blog/2024/post-123/"] = {"file": "plain.html"}
    path = config_file(tmp_path)
    page = site.url("/blog/2024/post-123/")
    result = runner.invoke(app, ["feeds", "add", page, "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert load_config(path).feeds[-1].url == site.url("/blog/feed/")
    asked = site.paths_requested()
    assert asked[0] == "/blog/2024/post-123/" and asked[-1] == "/blog/feed/", asked
    assert not any(p.startswith("/blog/2024/post-123/") for p in asked[1:]), asked
    # a page in no section with no feed anywhere costs the page and a bounded number of probes
    site.routes["/a/b/c/d/e/page"] = {"file": "plain.html"}
    site.requests.clear()
    none = runner.invoke(app, ["feeds", "add", site.url("/a/b/c/d/e/page"), "--config", str(path)])
    assert none.exit_code == 1 and "links to no feed" in none.output, none.output
    assert len(site.paths_requested()) <= 21, site.paths_requested()


def test_an_amp_pages_own_folder_is_its_canonical_pages(tmp_path: Path, site) -> None:
    """A WordPress post read as AMP (/my-post/amp/, what a phone's search result opens) links
    no feed; its folder /my-post/ is the post itself, whose /my-post/feed/ is the post's comment
    feed. That feed was added, and the site's stories were never read. The page's canonical
    address (which AMP requires) is the page whose own folder is never probed."""
    (site.root / "main.atom").write_bytes(atom_titled("Frontier Wire"))
    (site.root / "comments.atom").write_bytes(atom_titled("Comments on: My post"))
    (site.root / "amp.html").write_text(
        '<html><head><link rel="canonical" href="/my-post/"></head><body>A post</body></html>'
    )
    site.routes["/my-post/amp/"] = {"file": "amp.html"}
    site.routes["/my-post/feed/"] = {"file": "comments.atom"}
    site.routes["/feed/"] = {"file": "main.atom"}
    path = config_file(tmp_path)
    result = runner.invoke(app, ["feeds", "add", site.url("/my-post/amp/"), "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert load_config(path).feeds[-1].url == site.url("/feed/"), result.output
    assert "/my-post/feed/" not in site.paths_requested(), site.paths_requested()


def test_a_date_archive_is_not_taken_for_the_sites_section(tmp_path: Path, site) -> None:
    """WordPress's commonest permalinks put a post under its date (/2024/05/my-post/), and
    /2024/feed/ is that year's archive feed: probed first and added, the feed showed 2024's
    posts only, and from the next year on no story came. A folder of digits is a date, not a
    section; the site's feed at its root is found."""
    (site.root / "main.atom").write_bytes(atom_titled("Frontier Wire"))
    (site.root / "year.atom").write_bytes(atom_titled("Frontier Wire: 2024"))
    site.routes["/2024/05/my-post/"] = {"file": "plain.html"}
    site.routes["/2024/feed/"] = {"file": "year.atom"}
    site.routes["/2024/05/feed/"] = {"file": "year.atom"}
    site.routes["/feed/"] = {"file": "main.atom"}
    path = config_file(tmp_path)
    page = site.url("/2024/05/my-post/")
    result = runner.invoke(app, ["feeds", "add", page, "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert load_config(path).feeds[-1].url == site.url("/feed/"), result.output
    assert not any(p.startswith("/2024/") for p in site.paths_requested()[1:])


@pytest.mark.parametrize(
    "failing",
    [{"status": 503, "body": "busy"}, {"delay": 0.8, "body": "slow"}],
    ids=["5xx", "slow"],
)
def test_a_failing_section_does_not_hide_the_sites_root_feed(
    tmp_path: Path, site, failing: dict[str, object]
) -> None:
    """A blog section that answers 503 (a broken plugin in /blog/) or too slowly ended the whole
    search, and the site's own /feed/ at its root was never asked: "links to no feed". A
    section's failure says little about the root of a host that has just served the page: the
    rest of that section is skipped, the root is still tried."""
    (site.root / "main.atom").write_bytes(atom_titled("Frontier Wire"))
    site.routes["/blog/2024/post-123/"] = {"file": "plain.html"}
    site.routes["/blog/feed/"] = failing
    site.routes["/feed/"] = {"file": "main.atom"}
    path = config_file(tmp_path, read_timeout=0.3)
    page = site.url("/blog/2024/post-123/")
    result = runner.invoke(app, ["feeds", "add", page, "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert load_config(path).feeds[-1].url == site.url("/feed/"), result.output
    asked = site.paths_requested()
    assert asked == ["/blog/2024/post-123/", "/blog/feed/", "/feed/"], asked


def test_a_sections_own_address_finds_the_sections_feed(tmp_path: Path, site) -> None:
    """The address of a section itself (`https://host/blog/`, the blog's front page) had only
    the host's root addresses tried: a blog whose feed is /blog/feed/ was "links to no feed".
    The page's own folder is tried too, after the root (a post's own folder is its comments)."""
    (site.root / "blog.atom").write_bytes(atom_titled("Frontier Blog"))
    site.routes["/blog/"] = {"file": "plain.html"}
    site.routes["/blog/feed/"] = {"file": "blog.atom"}
    path = config_file(tmp_path)
    result = runner.invoke(app, ["feeds", "add", site.url("/blog/"), "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert load_config(path).feeds[-1].url == site.url("/blog/feed/"), result.output
    assert len(site.paths_requested()) <= 21, site.paths_requested()


@pytest.mark.parametrize(
    "odd",
    [
        "//a//b/c",
        "/a%2Fb%2Fc/d/page",
        "/" + "/".join(f"d{i}" for i in range(300)) + "/page",
        "/a;x=1/b;y=2/page;z",
        "/news/story?id=1&x=/evil#frag/x",
        "/" + "w" * 3000 + "/" + "v" * 3000 + "/page",
        "/%EB%89%B4%EC%8A%A4/%E2%80%AE%C2%85/page",
    ],
)
def test_probes_of_an_odd_address_stay_on_its_host_bounded(tmp_path: Path, site, odd: str) -> None:
    """Whatever the page's path, the probes are on the host given, at most 20 of them, and the
    one line saying what was tried is short enough to read (a path of two 3,000-character
    folders made it ~120,000 characters) and printable."""
    # as http.server reads it: `//a` is `/a`, not a host
    site.routes[unquote("/" + odd.split("?")[0].split("#")[0].lstrip("/"))] = {"file": "plain.html"}
    path = config_file(tmp_path)
    result = runner.invoke(app, ["feeds", "add", site.url(odd), "--config", str(path)])
    assert result.exit_code == 1 and "links to no feed" in result.output, result.output
    asked = site.paths_requested()
    assert 1 < len(asked) <= 21, asked
    hosts = {h.get("host") or h.get("Host") for _, h in site.requests}
    assert hosts == {site.base.split("//")[1]}, hosts
    line = result.output.strip()
    assert "\n" not in line and len(line) <= 1500 and line.isprintable(), line


def test_a_section_redirecting_off_the_host_is_refused_as_a_linked_feed_is(
    tmp_path: Path, site
) -> None:
    """A section's feed address redirecting to another host the address policy refuses (a
    private one): nothing is fetched there, as for a feed the page links, and, as a linked
    feed refused, it costs that section only; the root's feed was never tried."""
    (site.root / "main.atom").write_bytes(atom_titled("Frontier Wire"))
    elsewhere = site.url("/main.atom").replace("127.0.0.1", "localhost")
    site.routes["/blog/2024/post-123/"] = {"file": "plain.html"}
    site.routes["/blog/feed/"] = {"status": 302, "body": "", "headers": {"Location": elsewhere}}
    site.routes["/feed/"] = {"file": "main.atom"}
    path = config_file(tmp_path)
    page = site.url("/blog/2024/post-123/")
    result = runner.invoke(app, ["feeds", "add", page, "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert load_config(path).feeds[-1].url == site.url("/feed/"), result.output
    assert all(h.get("host", "").startswith("127.0.0.1") for _, h in site.requests), site.requests
    assert site.paths_requested() == ["/blog/2024/post-123/", "/blog/feed/", "/feed/"]


def test_linked_feeds_on_a_host_that_timed_out_are_not_each_waited_for(
    tmp_path: Path, site
) -> None:
    """A page linking 8 feeds on a host that stalls cost 8 waits of `fetch.total_timeout`
    (~4 minutes of a silent `feeds add` by default) before its one-line refusal: a host that
    timed out answers the next address no better (as the common addresses' search holds)."""
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="/stall.xml?n={i}">'
        for i in range(8)
    )
    (site.root / "stalls.html").write_text(f"<html><head>{links}</head><body>x</body></html>")
    site.routes["/stall.xml"] = {"delay": 0.8, "body": "slow"}
    path = config_file(tmp_path, read_timeout=0.3)
    result = runner.invoke(app, ["feeds", "add", site.url("/stalls.html"), "--config", str(path)])
    assert result.exit_code == 1, result.output
    asked = [p for p in site.paths_requested() if p.startswith("/stall.xml")]
    assert asked == ["/stall.xml?n=0"], asked
    assert "stall.xml?n=0" in result.output and "not tried" in result.output, result.output
    assert len(result.output) < 1000, result.output


def test_a_host_that_timed_out_is_not_waited_for_again_under_another_spelling(
    tmp_path: Path, site
) -> None:
    """The hosts that timed out were kept as written: the same stalling host linked again in
    full width (`１２７．０．０．１`, which IDNA and browsers read as `127.0.0.1`) was waited for
    once more, each spelling a `fetch.total_timeout` of a silent `feeds add`."""
    wide = f"http://１２７．０．０．１:{site.port}"
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="{base}/stall.xml?n={i}">'
        for i, base in enumerate(["", wide, wide.upper(), ""])
    )
    page = f'<html><head><meta charset="utf-8">{links}</head><body>x</body></html>'
    (site.root / "stalls.html").write_text(page, encoding="utf-8")
    site.routes["/stall.xml"] = {"delay": 0.8, "body": "slow"}
    path = config_file(tmp_path, read_timeout=0.3)
    result = runner.invoke(app, ["feeds", "add", site.url("/stalls.html"), "--config", str(path)])
    assert result.exit_code == 1, result.output
    asked = [p for p in site.paths_requested() if p.startswith("/stall.xml")]
    assert asked == ["/stall.xml?n=0"], asked
    assert "not tried" in result.output, result.output


def test_the_host_the_user_typed_is_not_called_another_under_another_spelling(
    tmp_path: Path, site
) -> None:
    """Typed in full width (as pasted from a Korean or Japanese page), the user's own host
    spelled plainly by its page's feed link was "a host the page chose": a warning to check
    the publisher of a feed on the very host they named."""
    (site.root / "plain-link.html").write_text(
        '<html><head><link rel="alternate" type="application/atom+xml" '
        f'href="{site.url("/feeds/en-ai.atom")}"></head><body>Home</body></html>'
    )
    path = config_file(tmp_path)
    typed = f"http://１２７．０．０．１:{site.port}/plain-link.html"
    added = runner.invoke(app, ["feeds", "add", typed, "--config", str(path)])
    assert added.exit_code == 0, added.output
    assert "added" in added.output and "note:" not in added.output, added.output
