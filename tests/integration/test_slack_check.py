"""`newsmon slack check` through the real CLI and slack_sdk against the fake Slack on loopback:
each channel the configuration posts to gets one line and a verdict, the verdicts the exit
status, and nothing is posted; the token never shows."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from newsmon.alerts import Marker
from newsmon.cli import app
from newsmon.slack.check import Caveat, Verdict, check
from newsmon.slack.errors import Kind, SlackFailure
from newsmon.slack.senders import SlackWebSender
from tests.support.configs import write_config
from tests.support.fake_slack import FULL_SCOPES, FakeSlack, Scripted

runner = CliRunner()
CHANNELS = {"open-source": "#ai-open-source", "ai-safety": "#ai-safety", "policy": "#ai-policy"}
OPS = "#newsmon-ops"


def _setup(tmp_path: Path, slack: FakeSlack, channels: dict[str, str] | None = None) -> Path:
    """A configuration with a channel per topic and an operations channel, all of which exist
    in the fake workspace with the bot in them."""
    for name in [*(channels or CHANNELS).values(), OPS]:
        if not name.startswith("C"):
            slack.channel_id(name)
    return write_config(tmp_path, channels=channels or CHANNELS, slack={"ops_channel": OPS})


def _run(config: Path, slack: FakeSlack | None = None) -> Result:
    result = runner.invoke(app, ["slack", "check", "--config", str(config)])
    if slack is not None:
        assert slack.token not in result.output
        assert not slack.posts, "a check must never post"
        assert {a["path"] for a in slack.attempts} <= {
            "/api/auth.test",
            "/api/conversations.list",
            "/api/conversations.info",
        }
    return result


def _line(result: Result, channel: str) -> str:
    [line] = [x for x in result.output.splitlines() if x.startswith(channel + " ")]
    return line


def test_a_good_setup_names_the_bot_and_exits_0(tmp_path: Path, slack: FakeSlack) -> None:
    result = _run(_setup(tmp_path, slack), slack)
    assert result.exit_code == 0, result.output
    assert "bot newsmon (U0000BOT) in workspace Newsmon Test (T0000TEST" in result.output
    assert "chat:write" in result.output  # the scopes Slack reported
    for channel in [*CHANNELS.values(), OPS]:
        assert f"{Verdict.POSTABLE}: the bot is a member" in _line(result, channel)
    assert "alerts and digests of policy" in _line(result, "#ai-policy")
    assert "health notices" in _line(result, OPS)
    assert "#ai-news" not in result.output  # the default channel: no topic falls back to it
    assert "4 channel(s): 4 postable, all_postable" in result.output


def test_each_refusal_has_its_line_and_exit_1(tmp_path: Path, slack: FakeSlack) -> None:
    """Not invited, archived, a misspelt name, a private channel the bot is not in: each is
    found now, not when a story is owed there."""
    channels = {**CHANNELS, "open-source": "#ai-opensource"}  # misspelt: no such channel
    config = write_config(tmp_path, channels=channels, slack={"ops_channel": OPS})
    for name in ["#ai-open-source", "#ai-safety", "#ai-policy", OPS]:
        slack.channel_id(name)
    slack.not_in_channels.add("#ai-policy")
    slack.archived.add("ai-safety")
    slack.private.add(OPS)
    slack.not_in_channels.add(OPS)
    result = _run(config, slack)
    assert result.exit_code == 1, result.output
    assert f"{Verdict.NOT_IN_CHANNEL}: not_in_channel" in _line(result, "#ai-policy")
    assert f"{Verdict.ARCHIVED}: is_archived" in _line(result, "#ai-safety")
    assert f"{Verdict.NOT_FOUND}: channel_not_found" in _line(result, "#ai-opensource")
    assert f"{Verdict.NOT_FOUND}: channel_not_found" in _line(result, OPS)
    assert "0 postable, channels_refused" in result.output


def test_a_channel_configured_by_id_is_looked_up_by_id(tmp_path: Path, slack: FakeSlack) -> None:
    archived_id = slack.channel_id("old-news")
    slack.archived.add("old-news")
    member_id = slack.channel_id("ai-policy")
    channels = {**CHANNELS, "policy": member_id, "ai-safety": archived_id}
    result = _run(_setup(tmp_path, slack, channels), slack)
    assert result.exit_code == 1, result.output
    assert f"{Verdict.POSTABLE}" in _line(result, member_id)
    assert f"{Verdict.ARCHIVED}" in _line(result, archived_id)
    gone = {**CHANNELS, "policy": "C0DELETED1"}
    result = _run(write_config(tmp_path, channels=gone, slack={"ops_channel": OPS}), slack)
    assert result.exit_code == 1 and f"{Verdict.NOT_FOUND}" in _line(result, "C0DELETED1")


def test_a_missing_read_scope_says_it_cannot_check(tmp_path: Path, slack: FakeSlack) -> None:
    """Without channels:read nothing can be looked up: each line says which scope, instead of
    guessing, and the check fails (lookups of a lost post need that scope too)."""
    config = _setup(tmp_path, slack)
    slack.scopes = frozenset({"chat:write"})
    result = _run(config, slack)
    assert result.exit_code == 1, result.output
    for channel in [*CHANNELS.values(), OPS]:
        assert f"{Verdict.CANNOT_CHECK}: cannot check: needs channels:read" in _line(
            result, channel
        )


def test_without_groups_read_public_channels_are_still_checked(
    tmp_path: Path, slack: FakeSlack
) -> None:
    config = _setup(tmp_path, slack)
    slack.private.add(OPS)  # the bot is in it, but private channels need groups:read to be seen
    slack.scopes = frozenset({"chat:write", "channels:read"})
    result = _run(config, slack)
    assert result.exit_code == 1, result.output
    assert f"{Verdict.POSTABLE}" in _line(result, "#ai-policy")
    assert "private ones need groups:read" in _line(result, OPS)


def test_a_token_without_chat_write_cannot_post_anywhere(tmp_path: Path, slack: FakeSlack) -> None:
    config = _setup(tmp_path, slack)
    slack.scopes = frozenset({"channels:read", "groups:read"})
    result = _run(config, slack)
    assert result.exit_code == 1, result.output
    assert f"{Verdict.NO_POST_SCOPE}: missing_scope" in _line(result, "#ai-safety")


def test_chat_write_public_reaches_public_channels_without_membership(
    tmp_path: Path, slack: FakeSlack
) -> None:
    config = _setup(tmp_path, slack)
    slack.not_in_channels.add("#ai-policy")
    slack.scopes = slack.scopes | {"chat:write.public"}
    result = _run(config, slack)
    assert result.exit_code == 0, result.output
    assert "chat:write.public" in _line(result, "#ai-policy")


def test_a_refused_token_exits_4_and_is_never_shown(
    tmp_path: Path, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "xoxb-wrong-0123456789-secret"
    monkeypatch.setenv("SLACK_BOT_TOKEN", wrong)
    result = _run(_setup(tmp_path, slack))
    assert result.exit_code == 4, result.output
    assert "Slack refused the token" in result.output and "invalid_auth" in result.output
    assert wrong not in result.output and not slack.posts


def test_no_token_says_so_and_exits_4(
    tmp_path: Path, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    result = _run(_setup(tmp_path, slack))
    assert result.exit_code == 4
    assert "SLACK_BOT_TOKEN is not set" in result.output and not slack.attempts


def test_slack_unreachable_or_asking_to_wait_long_exits_5(
    tmp_path: Path, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _setup(tmp_path, slack)
    slack.script.append(
        Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3600"})
    )
    result = _run(config, slack)
    assert result.exit_code == 5, result.output
    assert "Slack did not answer about the token" in result.output
    assert "ratelimited" in result.output
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("NEWSMON_SLACK_API_URL", f"http://127.0.0.1:{port}/api/")
    result = _run(config)
    assert result.exit_code == 5, result.output
    assert "cannot reach Slack" in result.output


def test_a_short_retry_after_is_waited_out(tmp_path: Path, slack: FakeSlack) -> None:
    config = _setup(tmp_path, slack)
    slack.script += [
        Scripted(200, {"ok": True, **slack.bot}),  # auth.test
        Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}),
    ]
    result = _run(config, slack)
    assert result.exit_code == 0, result.output
    lists = [a for a in slack.attempts if a["path"] == "/api/conversations.list"]
    assert len(lists) == 2  # the rate-limited page, then the same page again


def test_thousands_of_channels_are_paged_a_bounded_number_of_times(fake: FakeSlack) -> None:
    """A name that is in no page of a big workspace is looked for in at most `pages` pages,
    then said to be uncheckable (configure its ID), never paged for ever."""
    fake.channel_id("ai-news")  # on the first page: the paging goes on for the other name
    for n in range(1500):
        fake.channel_id(f"team-{n:04d}")
    report = check(
        fake.token,
        {"#ai-news": ("alerts",), "#nowhere": ("alerts",)},
        base_url=fake.api_url,
        timeout=5,
        pages=3,
    )
    verdicts = {c.channel: c.verdict for c in report.channels}
    assert verdicts == {"#ai-news": Verdict.POSTABLE, "#nowhere": Verdict.CANNOT_CHECK}
    assert sum(a["path"] == "/api/conversations.list" for a in fake.attempts) == 3


def _timed(config: Path, slack: FakeSlack, *options: str) -> tuple[Result, float]:
    """The check's result, and its seconds from its first question to Slack to its end."""
    slack.attempts.clear()
    result = runner.invoke(app, ["slack", "check", "--config", str(config), *options])
    elapsed = time.monotonic() - slack.attempts[0]["at"]
    assert slack.token not in result.output and not slack.posts
    return result, elapsed


def test_a_slow_slack_is_given_up_on_at_the_time_limit(tmp_path: Path, slack: FakeSlack) -> None:
    """Each answer within `slack.timeout`, but many pages of them (or a long Retry-After): the
    check used to wait for all of it (50 pages × 120 s × retries). Now `--timeout` bounds it in
    all: exit 5, each channel not checked named."""
    for n in range(1200):  # the configured channels on the 7th page of conversations.list
        slack.channel_id(f"team-{n:04d}")
    config = _setup(tmp_path, slack)
    slack.delay_reads = 0.4
    result, elapsed = _timed(config, slack, "--timeout", "1.5")
    assert result.exit_code == 5, result.output
    assert elapsed < 2.6, elapsed  # each read's timeout is the time left, in whole seconds
    for channel in [*CHANNELS.values(), OPS]:
        assert f"{Verdict.TIMED_OUT}" in _line(result, channel)
    assert "not checked within 1.5 s" in result.output
    assert sum(a["path"] == "/api/conversations.list" for a in slack.attempts) < 7
    slack.delay_reads = 0.0
    slack.script += [  # Slack asks to wait longer than the time left: not slept
        Scripted(200, {"ok": True, **slack.bot}),
        Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "5"}),
    ]
    result, elapsed = _timed(config, slack, "--timeout", "2")
    assert result.exit_code == 5, result.output
    assert elapsed < 1.0, elapsed
    assert "ratelimited" in _line(result, OPS) and "5 s" in _line(result, OPS)


def test_rate_limits_in_a_row_are_waited_out_within_the_time_limit(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """conversations.list is Slack's tier 2 (about 20 a minute), shared with the delivery's
    lookups: three 429s in a row on a page used to end the check (exit 5, `unanswered`) with
    most of its time left."""
    config = _setup(tmp_path, slack)
    limited = Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0.2"})
    slack.script += [Scripted(200, {"ok": True, **slack.bot}), limited, limited, limited]
    result, _ = _timed(config, slack, "--timeout", "10")
    assert result.exit_code == 0, result.output
    assert sum(a["path"] == "/api/conversations.list" for a in slack.attempts) == 4


def test_a_token_that_cannot_read_history_is_warned_of(tmp_path: Path, slack: FakeSlack) -> None:
    """Without channels:history (groups:history for a private channel) the delivery cannot
    look up a post whose answer was lost (held, then posted unchecked: maybe twice; health says
    `history_unreadable`). The check said all was well; now it warns, and still exits 0."""
    config = _setup(tmp_path, slack)
    slack.private.add(OPS)
    slack.scopes = FULL_SCOPES - {"channels:history"}
    result = _run(config, slack)
    assert result.exit_code == 0, result.output
    warnings = [x for x in result.output.splitlines() if x.startswith("warning")]
    assert len(warnings) == len(CHANNELS), result.output
    for channel in CHANNELS.values():
        [line] = [w for w in warnings if f" {channel}:" in w]
        assert f"{Caveat.HISTORY_UNREADABLE}" in line and "channels:history" in line
    sender = SlackWebSender(slack.token, base_url=slack.api_url, timeout=5)
    marker = Marker("newsmon_alert", "1")
    with pytest.raises(SlackFailure) as refused:  # what the delivery meets
        sender.find("#ai-policy", marker, datetime.now(UTC))
    assert refused.value.kind is Kind.UNREADABLE
    assert sender.find(OPS, marker, datetime.now(UTC)) is None  # groups:history: readable
    slack.scopes = FULL_SCOPES - {"groups:history"}
    slack.attempts.clear()
    result = _run(config, slack)
    assert result.exit_code == 0, result.output
    [warning] = [x for x in result.output.splitlines() if x.startswith("warning")]
    assert f" {OPS}:" in warning and "groups:history" in warning
