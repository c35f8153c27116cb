"""Credentials after `#`: OAuth's implicit grant (`#access_token=…&token_type=bearer`,
`#id_token=…`) and hash routes (`#/callback?access_token=…`) are hidden as query ones are."""

from __future__ import annotations

import pytest

from newsmon.urls import (
    carries_hidden_credentials,
    hide_secrets,
    shown_url,
    without_credentials,
    without_keys_of,
)

TOKEN = "ya29-fragmentsecret"


@pytest.mark.parametrize(
    ("fragment", "shown"),
    [
        (
            f"#access_token={TOKEN}&token_type=bearer&expires_in=3600",
            "#access_token=***&token_type=bearer&expires_in=3600",
        ),
        (f"#id_token={TOKEN}", "#id_token=***"),
        (f"#/callback?state=1&access_token={TOKEN}", "#/callback?state=1&access_token=***"),
        ("#item-2", "#item-2"),
        ("#xtor=RSS-3", "#xtor=RSS-3"),
    ],
)
def test_a_credential_after_the_hash_is_hidden(fragment: str, shown: str) -> None:
    for base, query in (("https://news.example/rss", ""), ("https://news.example/rss", "?a=1")):
        url = f"{base}{query}{fragment}"
        assert shown_url(url) == f"{base}{query}{shown}"
        assert without_credentials(url) == f"{base}{query}{shown}"
        assert hide_secrets(f"GET {url} failed") == f"GET {base}{query}{shown} failed"
        assert carries_hidden_credentials(shown_url(url)) == (shown != fragment)


def test_a_feed_s_fragment_key_is_taken_out_of_its_entries_links() -> None:
    feed = f"https://news.example/rss#access_token={TOKEN}&token_type=bearer"
    assert without_keys_of(f"https://news.example/a?t={TOKEN}", feed) == "https://news.example/a"
    assert without_keys_of(f"https://news.example/a#id_token={TOKEN}&x=1", feed) == (
        "https://news.example/a#x=1"
    )
    assert without_keys_of(feed, feed) == "https://news.example/rss#token_type=bearer"
