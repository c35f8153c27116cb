"""`newsmon feeds add` against a local site: discover a feed from a page or URL, validate it,
append it to the config; a feed over its parsing budget is neither taken nor added. The
configuration edit alone: tests/unit/test_yamledit.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.config import load_config
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
    # ~3.5 s of feedparser's sanitizer on 2 cores, seven times the tests' budget
    (root / "slow.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title><item><title>s'
        f"</title><link>/s</link><description><![CDATA[{'<p>x' * 300_000}]]></description>"
        "</item></channel></rss>"
    )
    (root / "slow-first.html").write_text(
        '<html><head><link rel="alternate" type="application/rss+xml" href="/slow.xml">'
        '<link rel="alternate" type="application/atom+xml" href="/feeds/en-ai.atom">'
        "</head><body>Home</body></html>"
    )
    (root / "_routes.json").write_text(json.dumps({"/nope.xml": {"status": 404, "body": "no"}}))
    with serve(root) as server:
        yield server


def config_file(tmp_path: Path) -> Path:
    """An operator's file, with comments that `feeds add` must keep."""
    text = config_text(
        tmp_path,
        feeds=[("existing", "https://existing.example/rss")],
        default_channel="#news",
        # a URL the operator names is trusted anyway
        fetch={"allow_private_networks": False, "feed_parse_timeout_seconds": 0.5},
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
