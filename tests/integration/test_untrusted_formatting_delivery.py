"""A server's reason phrase, through the real store (SQLite and PostgreSQL), slack_sdk and the
fake Slack: the health notice Slack receives shows it as text, and newsmon's own formatting
(each problem's bold title, each hint's command as code) stays as written. Before, two feeds
behind a CDN answering "HTTP 503 ```" made every line between them one code block."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from newsmon.clock import utcnow
from newsmon.corpus.records import FeedHealth, RunRecord, RunStatus
from newsmon.health import assess
from newsmon.notices import MAX_SINGLE, NOTICE_EVENT
from newsmon.pipeline.notices import announce_health
from tests.support.delivery import config_path, context
from tests.support.fake_slack import FakeSlack
from tests.support.mrkdwn import render, shown, styled

OPS = "#ops"


def test_a_reason_phrase_cannot_format_the_operations_notice_slack_receives(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    now = utcnow()
    errors = ["HTTP 503 ```", "HTTP 502 `Bad *Gateway", "HTTP 503 ```", "HTTP 500 _oops"]
    feeds = [
        FeedHealth(
            f"feed-{i}",
            f"https://feed-{i}.example/~news/feed_rss.xml",
            now - timedelta(minutes=5),
            now - timedelta(days=2),
            error,
            now - timedelta(minutes=5),
            7,
            10,
            3,
            created_at=now - timedelta(days=30),
            last_new_at=now - timedelta(hours=2),
        )
        for i, error in enumerate(errors)
    ]
    done = RunRecord(1, "monitor", RunStatus.COMPLETED, now - timedelta(minutes=2), now, {})
    ctx = context(config_path(tmp_path, db_url, ops_channel=OPS), fake)
    try:
        outcome = announce_health(ctx, assess(now, [done], feeds, {}))
        assert outcome.error is None and outcome.opened == len(feeds) > MAX_SINGLE
        [post] = fake.top_level(OPS)
        assert fake.metadata_ids(NOTICE_EVENT) and post["blocks"][0]["type"] == "section"
        text = post["blocks"][0]["text"]["text"]
        runs = render(text)
        assert not [r for r in runs if "pre" in r.styles]  # no feed's line inside a code block
        bold = [r.text for r in styled(text) if "bold" in r.styles]
        assert bold == [f"{len(feeds)} × feed failing", *["feed failing"] * len(feeds)]
        code = [r.text for r in styled(text) if "code" in r.styles]
        assert code == ["newsmon feeds"] * len(feeds)
        assert not [r for r in styled(text) if "italic" in r.styles or "strike" in r.styles]
        # each feed's address still links where it leads, `~` and `_` in it as written
        links = [r.link for r in runs if r.link]
        assert links == [f.url for f in feeds]
        assert "Bad" in shown(text) and "Gateway" in shown(text) and "oops" in shown(text)
    finally:
        ctx.close()
