"""The Slack senders through the real slack_sdk clients against the fake Slack on loopback:
posting with metadata, finding a post again, what each refusal means, secrets kept out."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from newsmon.alerts import build_message
from newsmon.slack import Kind, SlackFailure, SlackWebhookSender, SlackWebSender
from tests.support.fake_slack import PROXY_403, FakeSlack, Scripted
from tests.unit.test_alerts import job


def test_web_sender_posts_with_metadata_through_the_real_client(slack: FakeSlack) -> None:
    sender = SlackWebSender(slack.token, base_url=slack.api_url)
    posted = sender.post(build_message(job()))
    [post] = slack.posts
    assert posted.ts == post["ts"] and posted.channel_id == slack.channel_id("#ai-open-source")
    assert post["channel"] == "#ai-open-source"
    assert post["unfurl_links"] is False
    assert post["metadata"] == {"event_type": "newsmon_alert", "event_payload": {"id": "1"}}
    assert slack.auth_headers[-1] == f"Bearer {slack.token}"


def test_web_sender_finds_a_post_by_its_metadata_in_the_history(slack: FakeSlack) -> None:
    sender = SlackWebSender(slack.token, base_url=slack.api_url)
    message = build_message(job())
    assert message.marker is not None
    since = datetime.now(UTC) - timedelta(seconds=5)
    fresh = SlackWebSender(slack.token, base_url=slack.api_url)  # knows no channel ID yet
    slack.channel_id("#ai-open-source")
    assert fresh.find("#ai-open-source", message.marker, since) is None
    posted = sender.post(message)
    assert fresh.find("#ai-open-source", message.marker, since) == posted.ts
    paths = [a["path"] for a in slack.attempts]
    assert "/api/conversations.list" in paths  # the name was resolved to an ID
    assert fresh.find(posted.channel_id or "", message.marker, since) == posted.ts  # an ID


def test_web_sender_does_not_retry_a_rate_limited_post_itself(slack: FakeSlack) -> None:
    slack.script.append(Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"}))
    sender = SlackWebSender(slack.token, base_url=slack.api_url)
    with pytest.raises(SlackFailure) as err:
        sender.post(build_message(job()))
    assert err.value.kind is Kind.RATE_LIMITED and err.value.retry_after == 7
    assert len(slack.attempts) == 1 and slack.posts == []


@pytest.mark.parametrize(
    ("setup", "kind", "shown", "maybe"),
    [
        (
            lambda s: s.unknown_channels.add("#ai-open-source"),
            Kind.CHANNEL,
            "channel_not_found",
            False,
        ),
        (lambda s: s.not_in_channels.add("#ai-open-source"), Kind.CHANNEL, "not_in_channel", False),
        (lambda s: setattr(s, "token", "xoxb-other"), Kind.CREDENTIAL, "invalid_auth", False),
        (
            lambda s: s.script.append(Scripted(200, {"ok": False, "error": "invalid_blocks"})),
            Kind.MESSAGE,
            "invalid_blocks",
            False,
        ),
        (
            lambda s: s.script.append(Scripted(200, {"ok": False, "error": "token_revoked"})),
            Kind.CREDENTIAL,
            "token_revoked",
            False,
        ),
        (
            lambda s: s.script.append(Scripted(200, {"ok": False, "error": "brand_new_error"})),
            Kind.TRANSIENT,
            "brand_new_error",
            False,
        ),
        (
            lambda s: s.script.append(Scripted(500, {"ok": False, "error": "internal_error"})),
            Kind.TRANSIENT,
            "internal_error",
            True,
        ),
        (
            lambda s: s.script.append(PROXY_403),
            Kind.TRANSIENT,
            "HTTP 403, not a Slack answer",
            False,
        ),
        (
            lambda s: s.script.append(
                Scripted(502, "<html>bad gateway</html>", content_type="text/html")
            ),
            Kind.TRANSIENT,
            "HTTP 502",
            True,
        ),
    ],
)
def test_web_sender_classifies_refusals(
    slack: FakeSlack, setup: Callable[[FakeSlack], object], kind: Kind, shown: str, maybe: bool
) -> None:
    setup(slack)
    sender = SlackWebSender("xoxb-test-token", base_url=slack.api_url)
    with pytest.raises(SlackFailure) as err:
        sender.post(build_message(job()))
    assert err.value.kind is kind and err.value.maybe_posted is maybe
    assert shown in str(err.value)
    assert "xoxb" not in str(err.value)


def test_web_sender_timeout_is_transient_and_may_have_posted(slack: FakeSlack) -> None:
    slack.delay_after = 3
    sender = SlackWebSender(slack.token, base_url=slack.api_url, timeout=1)
    with pytest.raises(SlackFailure) as err:
        sender.post(build_message(job()))
    assert err.value.kind is Kind.TRANSIENT and err.value.maybe_posted
    assert len(slack.posts) == 1  # Slack did take it: that is why delivery looks it up


def test_web_sender_unreachable_is_transient_and_not_posted() -> None:
    sender = SlackWebSender("xoxb-secret-token", base_url="http://127.0.0.1:9/api/", timeout=2)
    with pytest.raises(SlackFailure) as err:
        sender.post(build_message(job()))
    assert err.value.kind is Kind.TRANSIENT and "xoxb" not in str(err.value)
    assert not err.value.maybe_posted


def test_webhook_sender_and_secret_url_never_in_errors(slack: FakeSlack) -> None:
    SlackWebhookSender(slack.webhook_url).post(build_message(job()))
    assert slack.posts[-1]["blocks"][0]["type"] == "section"
    slack.script.append(Scripted(404, "no_service"))
    with pytest.raises(SlackFailure) as err:
        SlackWebhookSender(slack.webhook_url).post(build_message(job()))
    assert "secretwebhookpart" not in str(err.value) and err.value.kind is Kind.CREDENTIAL
    slack.script.append(Scripted(410, "channel_is_archived"))
    with pytest.raises(SlackFailure) as err:
        SlackWebhookSender(slack.webhook_url).post(build_message(job()))
    assert err.value.kind is Kind.CHANNEL
    slack.script.append(PROXY_403)
    with pytest.raises(SlackFailure) as err:
        SlackWebhookSender(slack.webhook_url).post(build_message(job()))
    assert err.value.kind is Kind.TRANSIENT


def test_webhook_sender_reports_a_rate_limit_with_its_wait(slack: FakeSlack) -> None:
    slack.script.append(Scripted(429, "rate_limited", {"Retry-After": "3"}))
    with pytest.raises(SlackFailure) as err:
        SlackWebhookSender(slack.webhook_url).post(build_message(job()))
    assert err.value.kind is Kind.RATE_LIMITED and err.value.retry_after == 3


ODD_ANSWERS = {
    "a JSON list": Scripted(200, "[1]", content_type="application/json"),
    "an empty JSON list": Scripted(200, "[]", content_type="application/json"),
    "a JSON string": Scripted(200, '"ok"', content_type="application/json"),
    "cut JSON": Scripted(200, '{"ok": tr', content_type="application/json"),
    "an unknown charset": Scripted(
        200, '{"ok": false}', content_type="application/json; charset=no-such-charset"
    ),
    "a gzip content type": Scripted(200, '{"ok": false}', content_type="application/gzip"),
    "a 503 in an unknown charset": Scripted(
        503, "<html>down</html>", content_type="text/html; charset=no-such-charset"
    ),
    "an answer broken off mid-body": Scripted(200, {"ok": True, "ts": "1.2"}, cut=5),
}


@pytest.mark.parametrize("answer", list(ODD_ANSWERS.values()), ids=list(ODD_ANSWERS))
def test_an_answer_that_is_not_slacks_is_transient_for_posts_and_reads(
    slack: FakeSlack, answer: Scripted
) -> None:
    """Something between newsmon and Slack answered, or the answer broke off: try again later,
    looking the post up first. Never a credential failure (that fails the run and sends the
    operator to check the token), never an exception delivery does not expect."""
    sender = SlackWebSender(slack.token, base_url=slack.api_url, timeout=5)
    message = build_message(job())
    assert message.marker is not None
    slack.script.append(answer)
    with pytest.raises(SlackFailure) as err:
        sender.post(message)
    assert err.value.kind is Kind.TRANSIENT and err.value.maybe_posted
    slack.channel_id("#ai-open-source")
    slack.script += [answer, answer]  # a read is retried once
    with pytest.raises(SlackFailure) as err:
        sender.find("#ai-open-source", message.marker, datetime.now(UTC))
    assert err.value.kind is Kind.TRANSIENT


def test_a_huge_answer_is_not_read_to_its_end(slack: FakeSlack) -> None:
    slack.script.append(Scripted(200, {"ok": True, "ts": "1.2", "pad": "x" * (12 << 20)}))
    sender = SlackWebSender(slack.token, base_url=slack.api_url)
    with pytest.raises(SlackFailure) as err:
        sender.post(build_message(job()))
    assert err.value.kind is Kind.TRANSIENT and err.value.maybe_posted
    slack.script.append(Scripted(200, "ok" + " " * (12 << 20)))
    with pytest.raises(SlackFailure) as err:
        SlackWebhookSender(slack.webhook_url).post(build_message(job()))
    assert err.value.kind is Kind.TRANSIENT and err.value.maybe_posted


@pytest.mark.parametrize("webhook", [False, True], ids=["web api", "webhook"])
def test_an_answer_trickled_a_byte_at_a_time_ends_at_the_timeout(
    slack: FakeSlack, webhook: bool
) -> None:
    """Each byte comes well within the socket timeout, so only a deadline for the whole answer
    stops a slowloris (this one would take 30 s)."""
    body = {"ok": True, "ts": "1.2", "channel": "C1"} if not webhook else "ok"
    slack.script.append(Scripted(200, body, trickle=0.2))
    sender = (
        SlackWebhookSender(slack.webhook_url, timeout=1)
        if webhook
        else SlackWebSender(slack.token, base_url=slack.api_url, timeout=1)
    )
    started = time.monotonic()
    with pytest.raises(SlackFailure) as err:
        sender.post(build_message(job()))
    assert time.monotonic() - started < 3
    assert err.value.kind is Kind.TRANSIENT and err.value.maybe_posted


@pytest.mark.parametrize("wait", ["0.5", "-3", "Wed, 21 Oct 2015 07:28:00 GMT", "soon"])
def test_a_read_rate_limited_with_an_odd_retry_after_is_retried_not_a_credential_failure(
    slack: FakeSlack, wait: str
) -> None:
    """slack_sdk's own handler does int(Retry-After): a decimal, a negative number or an HTTP
    date (all seen from proxies) raised ValueError, which read as a refused token."""
    message = build_message(job())
    assert message.marker is not None
    channel = slack.channel_id("#ai-open-source")
    slack.script.append(Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": wait}))
    sender = SlackWebSender(slack.token, base_url=slack.api_url)
    assert sender.find(channel, message.marker, datetime.now(UTC)) is None
    assert [a["path"] for a in slack.attempts].count("/api/conversations.history") == 2


def test_a_read_told_to_wait_long_is_not_slept_on(slack: FakeSlack) -> None:
    """slack_sdk's handler sleeps whatever Retry-After says (an hour here) inside the lookup."""
    message = build_message(job())
    assert message.marker is not None
    slack.channel_id("#ai-open-source")
    slack.script.append(
        Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3600"})
    )
    sender = SlackWebSender(slack.token, base_url=slack.api_url)
    started = time.monotonic()
    with pytest.raises(SlackFailure) as err:
        sender.find("#ai-open-source", message.marker, datetime.now(UTC))
    assert time.monotonic() - started < 5
    assert err.value.kind is Kind.RATE_LIMITED and err.value.retry_after == 3600


def test_missing_scope_is_unreadable_for_a_lookup_and_a_credential_failure_for_a_post(
    slack: FakeSlack,
) -> None:
    """A token without channels:history may still post: only its lookups are impossible."""
    from tests.support.fake_slack import MISSING_HISTORY_SCOPE

    message = build_message(job())
    assert message.marker is not None
    slack.channel_id("#ai-open-source")
    slack.read_outage = MISSING_HISTORY_SCOPE
    sender = SlackWebSender(slack.token, base_url=slack.api_url)
    with pytest.raises(SlackFailure) as err:
        sender.find("#ai-open-source", message.marker, datetime.now(UTC))
    assert err.value.kind is Kind.UNREADABLE and "channels:history" in str(err.value)
    slack.read_outage = None
    slack.script.append(MISSING_HISTORY_SCOPE)
    with pytest.raises(SlackFailure) as err:
        sender.post(message)
    assert err.value.kind is Kind.CREDENTIAL
