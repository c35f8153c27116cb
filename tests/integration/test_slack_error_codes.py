"""Slack's documented error codes for the calls newsmon makes, through the real slack_sdk client
against the fake Slack: each one a kind that fits it. Before, a code newsmon did not know was
retried as an outage for ~7.5 hours, and three in a row stopped the pass as "Slack failed"."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from newsmon.alerts import build_message
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import SlackChannelRow
from newsmon.pipeline import deliver
from newsmon.slack import Cause, Kind, SlackFailure, SlackWebSender
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted
from tests.unit.test_alerts import job

# chat.postMessage / conversations.* errors (api.slack.com) newsmon did not classify
DOCUMENTED = {
    # the request's headers, the same for every call: configuration, never heals by itself
    "invalid_charset": Kind.CREDENTIAL,
    "invalid_post_type": Kind.CREDENTIAL,
    "missing_post_type": Kind.CREDENTIAL,
    "superfluous_charset": Kind.CREDENTIAL,
    "method_deprecated": Kind.CREDENTIAL,
    "deprecated_endpoint": Kind.CREDENTIAL,
    # this request's body: this message is refused, retrying it changes nothing
    "invalid_form_data": Kind.MESSAGE,
    "invalid_json": Kind.MESSAGE,
    "json_not_object": Kind.MESSAGE,
    "invalid_arg_name": Kind.MESSAGE,
    "invalid_array_arg": Kind.MESSAGE,
    "as_user_not_supported": Kind.MESSAGE,
    "duplicate_message_not_found": Kind.MESSAGE,
    # a resource the request names (the channel, its thread)
    "access_denied": Kind.CHANNEL,
    # a free workspace's message limit: wait, no attempt spent
    "message_limit_exceeded": Kind.RATE_LIMITED,
    # Slack unavailable for a while (an Enterprise migration): nothing was posted
    "team_added_to_org": Kind.TRANSIENT,
    "external_channel_migrating": Kind.TRANSIENT,
}


def test_each_documented_error_code_has_its_kind(slack: FakeSlack) -> None:
    sender = SlackWebSender(slack.token, base_url=slack.api_url)
    seen: dict[str, Kind] = {}
    for code in DOCUMENTED:
        slack.script.append(Scripted(200, {"ok": False, "error": code}))
        with pytest.raises(SlackFailure) as err:
            sender.post(build_message(job()))
        assert err.value.code == code and code in str(err.value)
        assert not err.value.maybe_posted and err.value.cause is not Cause.UNKNOWN_CODE, code
        seen[code] = err.value.kind
    assert seen == DOCUMENTED and slack.posts == []


def test_an_unknown_code_is_named_as_unknown(slack: FakeSlack) -> None:
    """Retried as transient (it may pass), but the line says newsmon does not know the code:
    the operator looks it up instead of waiting for Slack to recover."""
    slack.script.append(Scripted(200, {"ok": False, "error": "brand_new_refusal"}))
    with pytest.raises(SlackFailure) as err:
        SlackWebSender(slack.token, base_url=slack.api_url).post(build_message(job()))
    assert err.value.kind is Kind.TRANSIENT and err.value.cause is Cause.UNKNOWN_CODE
    assert "brand_new_refusal" in str(err.value) and "newsmon does not know" in str(err.value)


def test_unknown_refusals_in_a_row_do_not_read_as_slack_failing(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    """Three unknown codes in a row stopped the pass with "Slack failed 3 times in a row": the
    operator waited for an outage to end while Slack kept refusing."""
    config = config_path(tmp_path, sqlite_url, retry_delays_minutes=[0])
    ctx = context(config, fake)
    try:
        queue_alerts(ctx.store, {"#a": 2, "#b": 2})
        fake.outage = Scripted(200, {"ok": False, "error": "brand_new_refusal"})
        outcome = deliver(ctx)
        assert outcome.retrying == 3 and outcome.deferred == 1
        [stop] = [e for e in outcome.errors if "times in a row" in e]
        assert stop.startswith("Slack refused 3 times in a row") and "failed" not in stop
        assert "brand_new_refusal" in stop
    finally:
        ctx.close()


def test_a_workspace_message_limit_spends_no_attempt(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    """`message_limit_exceeded` (a free workspace's limit) was an outage: seven tries and the
    alert was failed, the story lost. Now the channel waits for a later pass, no try spent."""
    config = config_path(tmp_path, sqlite_url, retry_delays_minutes=[0])
    ctx = context(config, fake)
    try:
        queue_alerts(ctx.store, {"#a": 1})
        limit = {"ok": False, "error": "message_limit_exceeded"}
        # three in a row leave the channel; the last wait is kept for the next pass, long
        # enough to be still in force when read on a loaded machine (0.1 s had ended by then)
        fake.channel_script["#a"] = [
            Scripted(200, limit, {"Retry-After": after}) for after in ("0.1", "0.1", "30")
        ]
        outcome = deliver(ctx)
        assert outcome.sent == outcome.failed == outcome.retrying == 0
        [row] = ctx.store.list_alerts()
        assert row.status is AlertStatus.PENDING and row.attempts == 0
        assert [w.channel for w in ctx.store.slack_waits.listed()] == ["#a"]  # for the next pass
        assert not fake.channel_script["#a"]  # all three asked
        with ctx.store.session() as s:  # that wait is over
            s.execute(update(SlackChannelRow).values(wait_until=None))
        assert deliver(ctx).sent == 1
    finally:
        ctx.close()


@pytest.mark.parametrize("code", ["invalid_blocks", "invalid_blocks_format", "msg_blocks_too_long"])
def test_an_alert_whose_blocks_slack_refuses_is_posted_as_text(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack, code: str
) -> None:
    """Slack refusing an alert's blocks failed it at once: the story was never posted (health
    told for a day, `alerts retry` posted the same blocks, refused again). Now its text goes
    out alone, link included, and the pass says so; the channel's next alert is unchanged."""
    config = config_path(tmp_path, sqlite_url)
    ctx = context(config, fake)
    try:
        first, second = queue_alerts(ctx.store, {"#a": 2})
        fake.channel_script["#a"] = [Scripted(200, {"ok": False, "error": code})]
        outcome = deliver(ctx)
        assert outcome.sent == 2 and outcome.failed == outcome.retrying == 0
        assert fake.metadata_ids() == [str(first), str(second)]
        plain, rich = fake.posts
        assert not plain.get("blocks") and rich["blocks"]
        assert "https://a.example/a/0" in plain["text"] and "Story 0 for #a" in plain["text"]
        # its mrkdwn as it was in the blocks: a link, not `&lt;https://…|…&gt;` shown as is
        assert "<https://a.example/a/0|" in plain["text"] and "&lt;" not in plain["text"]
        [line] = [e for e in outcome.errors if code in e]
        assert line.startswith("#a:") and "posted as plain text" in line
        assert {a.status for a in ctx.store.list_alerts()} == {AlertStatus.SENT}
    finally:
        ctx.close()


def test_an_alert_refused_as_text_too_fails_once(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    config = config_path(tmp_path, sqlite_url)
    ctx = context(config, fake)
    try:
        queue_alerts(ctx.store, {"#a": 1})
        refusals = [Scripted(200, {"ok": False, "error": e}) for e in ("invalid_blocks", "no_text")]
        fake.channel_script["#a"] = list(refusals)
        outcome = deliver(ctx)
        assert outcome.failed == 1 and outcome.sent == outcome.retrying == 0
        assert len(fake.attempts) == 2 and fake.posts == []
    finally:
        ctx.close()


def test_a_deletion_refused_for_a_message_already_gone_is_not_an_unknown_code(
    slack: FakeSlack,
) -> None:
    """chat.delete's own refusals (a reply taken back from a channel's top level): a message
    someone deleted first read "an error code newsmon does not know: retried as transient",
    and nothing retries a deletion."""
    sender = SlackWebSender(slack.token, base_url=slack.api_url)
    posted = sender.post(build_message(job()))
    assert posted.ts and posted.channel_id
    sender.delete(posted.channel_id, posted.ts)
    for code in ("cant_delete_message", "compliance_exports_prevent_deletion", None):
        if code:
            slack.script.append(Scripted(200, {"ok": False, "error": code}))
        with pytest.raises(SlackFailure) as err:
            sender.delete(posted.channel_id, posted.ts)  # None: gone, message_not_found
        assert err.value.kind is Kind.MESSAGE and err.value.cause is Cause.REFUSED
        assert "does not know" not in str(err.value)
