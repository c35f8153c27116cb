"""A digest part Slack refuses for the message itself (`msg_too_long`): the same part would be
refused again, so the rest of the digest goes out without it and no later call tries it again;
one whose blocks alone are refused (`invalid_blocks`) goes out as plain text. Real slack_sdk
client, the fake Slack on loopback, SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow, ArticleRow, DigestRow
from newsmon.health import ProblemKind
from newsmon.pipeline.checkup import health_report
from newsmon.pipeline.context import Context
from newsmon.pipeline.digests import DigestResult, run_digest
from newsmon.slack import make_sender
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted

NOW = datetime.now(UTC).replace(microsecond=0)
PERIOD = (NOW - timedelta(hours=24), NOW)
AFTER = (NOW, NOW + timedelta(hours=24))
REFUSED = Scripted(200, {"ok": False, "error": "msg_too_long"})
BLOCKS_REFUSED = Scripted(200, {"ok": False, "error": "invalid_blocks"})
_LINK = re.compile(r"<(https://[^|>]+)\|")
_PART = re.compile(r"\(part (\d+) of (\d+)\)")


def _digest(ctx: Context, period: tuple[datetime, datetime] = PERIOD) -> DigestResult:
    sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
    return run_digest(ctx, sender, *period)


def _announce(ctx: Context, count: int) -> list[str]:
    """`count` stories with long titles announced in #a during the period: their links."""
    ids = queue_alerts(ctx.store, {"#a": count})
    at = NOW - timedelta(hours=5)
    with ctx.store.session() as s:
        for n, article_id in enumerate(ids):
            s.execute(
                update(AlertRow)
                .where(AlertRow.article_id == article_id)
                .values(status=AlertStatus.SENT, sent_at=at + timedelta(seconds=n), slack_ts="1")
            )
        for article in s.scalars(select(ArticleRow).where(ArticleRow.id.in_(ids))):
            article.title = f"Story {article.id} ".ljust(240, "x")
    return [f"https://a.example/a/{i}" for i in range(count)]


def _parts(fake: FakeSlack) -> list[tuple[int, int]]:
    """(part, of) of each digest part posted to #a, in order."""
    out = []
    for post in fake.top_level("#a"):
        found = _PART.search(post["text"])
        assert found is not None
        out.append((int(found.group(1)), int(found.group(2))))
    return out


def test_a_part_slack_refuses_for_its_content_is_left_out_and_the_rest_goes_out_once(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """A refused part was given back like an outage: the parts after it were never posted,
    and every digest call of the next 7 days tried it again, was refused again and failed,
    while health said the next call would finish it."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        links = _announce(ctx, 90)
        fake.channel_script["#a"] = [None, REFUSED, None, None, None, None, REFUSED, REFUSED]
        first = _digest(ctx)
        parts = _parts(fake)
        total = parts[0][1]
        assert total >= 3 and parts == [(n, total) for n in range(1, total + 1) if n != 2]
        assert first.unfinished == 0 and first.refused == ["#a"]
        posted = [
            link
            for post in fake.top_level("#a")
            for block in post["blocks"][1:]
            for link in _LINK.findall(block["text"]["text"])
        ]
        assert set(Counter(posted).values()) == {1}
        missing = [link for link in links if link not in posted]
        assert missing and posted == [link for link in links if link not in missing]
        first_missing = links.index(missing[0])  # part 2: one run of stories, after part 1's
        assert missing == links[first_missing : first_missing + len(missing)]
        with ctx.store.session() as s:
            [row] = s.scalars(select(DigestRow))
            assert row.status is AlertStatus.SENT and row.parts_sent == total
            assert row.last_error is not None and "msg_too_long" in row.last_error

        report = health_report(ctx.store, ctx.config, datetime.now(UTC))
        assert not [p for p in report.problems if p.kind is ProblemKind.DIGEST_UNFINISHED]
        tomorrow = _digest(ctx, AFTER)  # nothing of the day before is tried again
        assert tomorrow.posted == 0 and tomorrow.unfinished == 0 and not tomorrow.refused
        assert len(fake.top_level("#a")) == total - 1
    finally:
        ctx.close()


def test_a_part_whose_blocks_slack_refuses_goes_out_as_text_with_every_story_once(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Slack refused part 2's blocks (`invalid_blocks`): the part was left out, its stories in
    no digest and the call failed, though its text would have been taken."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        links = _announce(ctx, 90)
        fake.channel_script["#a"] = [None, BLOCKS_REFUSED]
        first = _digest(ctx)
        posts = fake.top_level("#a")
        total = _parts(fake)[0][1]
        assert total >= 3 and len(posts) == total, first.channels
        assert not posts[1].get("blocks") and posts[0].get("blocks")
        posted = [
            link
            for post in posts
            for text in (
                [b["text"]["text"] for b in post["blocks"][1:]]
                if post.get("blocks")
                else [post["text"]]
            )
            for link in _LINK.findall(text)
        ]
        assert posted == links  # every story once, in order: none skipped or repeated
        assert first.unfinished == 0 and not first.refused, first.channels
        assert "part 2 as plain text (Slack refused its blocks: invalid_blocks)" in str(
            first.lines()
        )
        with ctx.store.session() as s:
            [row] = s.scalars(select(DigestRow))
            assert row.status is AlertStatus.SENT and row.parts_sent == total
        tomorrow = _digest(ctx, AFTER)
        assert tomorrow.posted == 0 and len(fake.top_level("#a")) == total
    finally:
        ctx.close()
