"""A configuration shown whole (`repr`, `str`, a pydantic error: a traceback's locals, a debug
log line) shows no secret its URLs carry: a feed's `user:password@` and `?apikey=`, the
database's password, a Slack token pasted where a URL goes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from newsmon.config import Config, FeedConfig

SECRET = "hunter2secret"
TOKEN = "xoxb-1234-5678-abcdefSECRET"
FEED = f"https://reader:{SECRET}@news.example/feed?apikey={SECRET}&lang=en"
DATABASE = f"postgresql+psycopg://newsmon:{SECRET}@db.internal/newsmon"


def test_a_config_shown_whole_shows_no_secret() -> None:
    feed = FeedConfig(name="keyed", url=FEED)
    token_feed = FeedConfig(name="tokened", url=f"https://news.example/rss?token={TOKEN}")
    config = Config(database_url=DATABASE, feeds=[feed, token_feed])
    for shown in (repr(config), str(config), repr(feed), str(feed), repr(config.feeds)):
        assert SECRET not in shown and TOKEN not in shown, shown
        assert "news.example" in shown  # the rest stays, to tell the feeds apart
    assert "db.internal" in repr(config) and "keyed" in repr(config)


def test_a_validation_error_quotes_no_secret() -> None:
    """pydantic quotes a refused value (and a refused model's whole input) after its message:
    `input_value='ftp://reader:hunter2secret@…'`, every feed's URL for two feeds of one name."""
    feed = {"name": "dup", "url": f"https://r:{SECRET}@n.example/f"}
    with pytest.raises(ValidationError) as refused:
        Config.model_validate({"feeds": [feed, feed]})
    with pytest.raises(ValidationError) as bad_url:
        FeedConfig.model_validate({"name": "x", "url": f"ftp://reader:{SECRET}@n.example/f"})
    for error in (refused.value, bad_url.value):
        assert SECRET not in str(error) and SECRET not in repr(error), str(error)
    assert "not an http(s) URL" in str(bad_url.value)
