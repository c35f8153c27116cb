"""The Slack senders through the real slack_sdk clients against the fake Slack on loopback:
posting, retries, how far a refusal reaches, and secrets kept out of errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from newsmon.alerts import DeliveryError, SlackWebhookSender, SlackWebSender, build_message
from tests.support.fake_slack import FakeSlack, Scripted
from tests.unit.test_alerts import job


def test_web_sender_posts_through_real_client(slack: FakeSlack) -> None:
    sender = SlackWebSender(slack.token, base_url=slack.api_url)
    ts = sender.send(build_message(job()))
    assert ts and ts.startswith("1700000000.")
    [post] = slack.posts
    assert post["channel"] == "#ai-open-source"
    assert post["unfurl_links"] is False
    assert post["blocks"][0]["type"] == "section"
    assert slack.auth_headers[-1] == f"Bearer {slack.token}"


def test_web_sender_retries_rate_limit_honouring_retry_after(slack: FakeSlack) -> None:
    slack.script.append(Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}))
    sender = SlackWebSender(slack.token, base_url=slack.api_url)
    assert sender.send(build_message(job()))
    assert len(slack.attempts) == 2 and len(slack.posts) == 1


@pytest.mark.parametrize(
    ("setup", "scope", "code"),
    [
        (lambda s: s.unknown_channels.add("#ai-open-source"), "channel", "channel_not_found"),
        (lambda s: setattr(s, "token", "xoxb-other"), "sender", "invalid_auth"),
        (
            lambda s: s.script.append(Scripted(200, {"ok": False, "error": "invalid_blocks"})),
            "message",
            "invalid_blocks",
        ),
    ],
)
def test_web_sender_classifies_refusals(
    slack: FakeSlack, setup: Callable[[FakeSlack], object], scope: str, code: str
) -> None:
    setup(slack)
    sender = SlackWebSender("xoxb-test-token", base_url=slack.api_url)
    with pytest.raises(DeliveryError) as err:
        sender.send(build_message(job()))
    assert err.value.scope == scope
    assert code in str(err.value)
    assert "xoxb" not in str(err.value)


def test_web_sender_unreachable_is_a_sender_error() -> None:
    sender = SlackWebSender("xoxb-secret-token", base_url="http://127.0.0.1:9/api/", timeout=2)
    with pytest.raises(DeliveryError) as err:
        sender.send(build_message(job()))
    assert err.value.scope == "sender" and "xoxb" not in str(err.value)


def test_webhook_sender_and_secret_url_never_in_errors(slack: FakeSlack) -> None:
    SlackWebhookSender(slack.webhook_url).send(build_message(job()))
    assert slack.posts[-1]["blocks"][0]["type"] == "section"
    slack.script.append(Scripted(404, "no_service"))
    with pytest.raises(DeliveryError) as err:
        SlackWebhookSender(slack.webhook_url).send(build_message(job()))
    assert "secretwebhookpart" not in str(err.value) and err.value.scope == "sender"


def test_webhook_sender_retries_a_rate_limit_like_the_web_sender(slack: FakeSlack) -> None:
    slack.script.append(Scripted(429, "rate_limited", {"Retry-After": "1"}))
    SlackWebhookSender(slack.webhook_url).send(build_message(job()))
    assert len(slack.attempts) == 2 and len(slack.posts) == 1
