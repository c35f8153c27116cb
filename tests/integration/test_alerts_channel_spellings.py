"""`newsmon alerts --channel C` lists the alerts of channel C under any spelling the
configuration gave it (a name, later its ID), as the digest of C and the outbox's "announced in
C" group them (`outbox.same_channel`). SQLite and PostgreSQL, the real CLI, store and delivery
(slack_sdk against the fake Slack on loopback)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.pipeline import deliver
from tests.support.articles import new_article
from tests.support.delivery import MATCH, config_path, context
from tests.support.fake_slack import FakeSlack, Scripted

REFUSED = Scripted(200, {"ok": False, "error": "msg_too_long"})  # fails an alert for good


def test_alerts_of_a_channel_are_listed_under_its_name_and_its_id(
    tmp_path: Path, fake: FakeSlack, db_url: str
) -> None:
    """#news was configured by name, then by its ID: `newsmon alerts --channel news` left out
    the alert that failed under the ID (and `--channel <ID>` the one sent under the name),
    while `newsmon digest --channel news` lists both channels' stories as one."""
    config = config_path(tmp_path, db_url)
    cid = fake.channel_id("#news")
    ctx = context(config, fake)
    try:
        for i, channel in enumerate(("#news", cid)):
            ctx.store.add_article(
                new_article(f"https://n.example/{i}", f"story {i}", title=f"Story {i}"),
                [MATCH],
                "v1",
                {channel: ["policy"]},
            )
            fake.channel_script[channel] = [] if i == 0 else [REFUSED]
            deliver(ctx, 10)
    finally:
        ctx.close()
    for asked in ("news", cid):
        listed = CliRunner().invoke(app, ["alerts", "--channel", asked, "--config", str(config)])
        assert listed.exit_code == 0, listed.output
        lines = [x for x in listed.output.splitlines() if x.startswith("#")]
        assert len(lines) == 2, (asked, listed.output)
        assert "Story 0" in listed.output and "Story 1" in listed.output, listed.output
    failed = CliRunner().invoke(
        app, ["alerts", "--channel", "news", "--status", "failed", "--config", str(config)]
    )
    assert "Story 1" in failed.output and "Story 0" not in failed.output, failed.output
    other = CliRunner().invoke(app, ["alerts", "--channel", "sport", "--config", str(config)])
    assert "Story" not in other.output, other.output
