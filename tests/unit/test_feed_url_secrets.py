"""A feed's URL may carry credentials (`https://reader:password@…`, `?apikey=…`, often from
`${VAR}` in the configuration): the feed is fetched with them, but no message, listing or
recorded error shows them. Everything here is in-process (httpx's MockTransport, SQLite)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from typer.testing import CliRunner

from newsmon.cli import EXIT_CONFIG, app
from newsmon.config import FetchConfig
from newsmon.corpus import Store
from newsmon.fetch import FailureKind, Fetcher
from newsmon.urls import hide_secrets, shown_url, without_credentials, without_keys_of
from tests.support.configs import write_config

SECRET = "hunter2secret"
FEED_URL = f"https://reader:{SECRET}@news.example/feed?apikey={SECRET}&lang=en"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (FEED_URL, "https://reader:***@news.example/feed?apikey=***&lang=en"),
        (
            f"https://news.example/rss?access_token={SECRET}",
            "https://news.example/rss?access_token=***",
        ),
        (
            f"https://news.example/rss?X-Api-Key={SECRET}#top",
            "https://news.example/rss?X-Api-Key=***#top",
        ),
        (f"https://{SECRET}@news.example/rss", "https://***@news.example/rss"),
        (f"https://u:{SECRET}@[::1/rss", "https://***@[::1/rss"),  # urllib cannot read it
        ("https://news.example/rss?page=2", "https://news.example/rss?page=2"),
        (
            f"https://s3.example/f.xml?X-Amz-Credential={SECRET}&X-Amz-Signature={SECRET}",
            "https://s3.example/f.xml?X-Amz-Credential=***&X-Amz-Signature=***",
        ),
        (
            f"https://forum.example/rss?user=ann&pwd={SECRET}&torrent_pass={SECRET}&pass={SECRET}",
            "https://forum.example/rss?user=ann&pwd=***&torrent_pass=***&pass=***",
        ),
        (
            "https://news.example/rss?bypass=1&compass=n",
            "https://news.example/rss?bypass=1&compass=n",
        ),
        ("not a url", "not a url"),
    ],
)
def test_shown_urls_hide_credentials(url: str, shown: str) -> None:
    assert shown_url(url) == shown


def test_a_redirect_loop_is_reported_without_the_feed_s_credentials() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        nxt = "/feed-b" if request.url.path == "/feed" else "/feed"
        return httpx.Response(302, headers={"location": nxt})

    async def fetch() -> tuple[FailureKind | None, str | None]:
        fetcher = Fetcher(FetchConfig(retries=0), transport=httpx.MockTransport(answer))
        try:
            result = await fetcher.get(FEED_URL, max_bytes=1000, trusted=True)
        finally:
            await fetcher.aclose()
        return result.failure, result.error

    failure, error = asyncio.run(fetch())
    assert failure is FailureKind.REDIRECT_LOOP
    assert error is not None and "news.example/feed" in error and SECRET not in error


def test_newsmon_feeds_shows_no_credentials(tmp_path: Path) -> None:
    path = write_config(tmp_path, feeds=[("news", FEED_URL)])
    Store.open(f"sqlite:///{tmp_path / 'corpus.db'}").close()  # reading makes none
    runner = CliRunner()
    text = runner.invoke(app, ["feeds", "--config", str(path)])
    listing = runner.invoke(app, ["feeds", "--json", "--config", str(path)])
    assert text.exit_code == 0 and listing.exit_code == 0
    assert "news.example/feed" in text.output and SECRET not in text.output
    assert SECRET not in listing.output
    assert json.loads(listing.output)["feeds"][0]["configured_url"] == shown_url(FEED_URL)


def test_a_feed_url_that_is_not_http_is_refused_without_its_credentials(tmp_path: Path) -> None:
    path = write_config(tmp_path, feeds=[("news", f"ftp://reader:{SECRET}@news.example/feed")])
    result = CliRunner().invoke(app, ["feeds", "--config", str(path)])
    assert result.exit_code == EXIT_CONFIG
    assert "feeds.0.url" in result.output and SECRET not in result.output


@pytest.mark.parametrize(
    ("url", "base"),
    [
        (FEED_URL, "https://news.example/feed?apikey=***&lang=en"),
        (f"https://{SECRET}@news.example/rss#top", "https://news.example/rss#top"),
        ("https://news.example/rss?page=2", "https://news.example/rss?page=2"),
        ("not a url", "not a url"),
    ],
)
def test_a_keyed_feed_s_links_resolve_against_its_url_without_the_key(url: str, base: str) -> None:
    assert without_credentials(url) == base
    assert SECRET not in urljoin(without_credentials(url), "page.html")


def test_an_error_text_loses_every_secret_it_quotes() -> None:
    """What `error_line` (runs table, feed errors, the CLI's crash line) and ops notices show
    of an exception's text: the rest stays readable."""
    text = (
        f"lost postgresql+psycopg://newsmon:{SECRET}@db:5432/newsmon while posting with "
        f"xoxb-1234-{SECRET} to https://hooks.slack.com/services/T0/B0/{SECRET} "
        f"after {FEED_URL} said 503"
    )
    assert hide_secrets(text) == (
        "lost (database URL) while posting with (Slack token) to (Slack webhook URL) after "
        "https://reader:***@news.example/feed?apikey=***&lang=en said 503"
    )
    assert hide_secrets("HTTP 503 from https://news.example/feed") == (
        "HTTP 503 from https://news.example/feed"
    )


@pytest.mark.parametrize(
    ("link", "kept"),
    [
        (f"https://news.example/a?apikey={SECRET}&id=1", "https://news.example/a?id=1"),
        (f"https://news.example/a?k={SECRET}#top", "https://news.example/a#top"),  # any name
        (f"https://reader:{SECRET}@news.example/a", "https://news.example/a"),
        ("https://news.example/a?apikey=other&id=1", "https://news.example/a?apikey=other&id=1"),
        ("https://news.example/a?page=1", "https://news.example/a?page=1"),
        ("tag:news.example,2024:a", "tag:news.example,2024:a"),
    ],
)
def test_a_keyed_feed_s_key_leaves_its_entries_links(link: str, kept: str) -> None:
    """A private feed writing the reader's key into each item's link: the link, stored and
    posted, keeps everything but the feed's own credentials."""
    assert without_keys_of(link, FEED_URL) == kept
    assert without_keys_of("https://news.example/a?page=1", "https://f.example/?apikey=1") == (
        "https://news.example/a?page=1"  # a short key is looked for under credential names only
    )


@pytest.mark.parametrize(
    ("url", "shown", "kept"),
    [
        (
            f"https://news.example/a.jsp;jsessionid={SECRET}?id=7",
            "https://news.example/a.jsp;jsessionid=***?id=7",
            "https://news.example/a.jsp?id=7",
        ),
        (
            f"https://news.example/app;JSESSIONID={SECRET}/a.jsp",
            "https://news.example/app;JSESSIONID=***/a.jsp",
            "https://news.example/app/a.jsp",
        ),
        (
            f"https://news.example/a.php?id=7&PHPSESSID={SECRET}",
            "https://news.example/a.php?id=7&PHPSESSID=***",
            "https://news.example/a.php?id=7",
        ),
        (
            f"https://news.example/a.jsp?jsessionid={SECRET}",
            "https://news.example/a.jsp?jsessionid=***",
            "https://news.example/a.jsp",
        ),
    ],
)
def test_a_session_id_in_an_address_is_a_secret(url: str, shown: str, kept: str) -> None:
    """A page address copied from a logged-in browser carries the session (a servlet's
    `;jsessionid=`, PHP's `PHPSESSID`): whoever reads it in a channel or a log takes over the
    session. It is shown hidden and left out of what is stored, as an `?apikey=` is."""
    assert shown_url(url) == shown
    assert hide_secrets(f"failed: {url} (HTTP 500)") == f"failed: {shown} (HTTP 500)"
    assert without_keys_of(url, url) == kept


@pytest.mark.parametrize(
    "host",
    ["hooks.slack.com", "HOOKS.slack.com", "hooks.slack.com.", "ｈｏｏｋｓ.ｓｌａｃｋ.ｃｏｍ"],
)
def test_a_slack_webhook_url_is_hidden_under_any_spelling_of_its_host(host: str) -> None:
    """The webhook's path is its secret: written with a trailing dot or in full width (both
    reach Slack), the URL was not recognised and shown whole in logs, runs and Slack."""
    said = hide_secrets(f"POST https://{host}/services/T0/B0/{SECRET} failed: timeout")
    assert said == "POST (Slack webhook URL) failed: timeout"
