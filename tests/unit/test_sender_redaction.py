"""A malformed Slack secret must not end up in an error message (Prefect logs those)."""

from __future__ import annotations

import logging

import pytest

from newsmon.alerts import Message
from newsmon.cli import app
from newsmon.slack import Kind, SlackFailure, SlackWebhookSender, SlackWebSender

MESSAGE = Message("#c", "t", [])


@pytest.mark.parametrize(
    "url",
    [
        "hooks.slack.com/services/T0/B0/secretpart",  # no scheme
        "https://hooks.slack.com:port/services/T0/B0/secretpart",
        "https://hooks.slack.com/services/T0/B0/secret part",
        "http://[::1/services/secretpart",
    ],
)
def test_a_malformed_webhook_url_is_not_quoted(url: str) -> None:
    with pytest.raises(SlackFailure) as caught:
        SlackWebhookSender(url, timeout=1).post(MESSAGE)
    assert "secret" not in str(caught.value).replace("may hold a secret", "")
    # a malformed URL never heals by itself: the run fails (exit 4) instead of retrying
    assert caught.value.kind is Kind.CREDENTIAL and caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_a_malformed_token_or_api_url_is_not_quoted() -> None:
    bad_token = SlackWebSender("xoxb-secretpart\nX", base_url="http://127.0.0.1:9/api/", timeout=1)
    bad_url = SlackWebSender("xoxb-x", base_url="not a url secretpart", timeout=1)
    for sender in (bad_token, bad_url):
        with pytest.raises(SlackFailure) as caught:
            sender.post(MESSAGE)
        assert "secretpart" not in str(caught.value)


@pytest.mark.parametrize(
    "sender",
    [
        SlackWebhookSender("https://hooks.slack.com/services/T0/B0/secret part", timeout=1),
        SlackWebhookSender("https://hooks.slack.com:port/services/T0/B0/secretpart", timeout=1),
        SlackWebhookSender("ftp://hooks.slack.com/services/T0/B0/secretpart", timeout=1),
        SlackWebSender("xoxb-secretpart\nX", base_url="http://127.0.0.1:9/api/", timeout=1),
    ],
    ids=["space-in-path", "bad-port", "not-http", "token-with-newline"],
)
def test_the_slack_sdk_logs_no_secret_either(
    sender: SlackWebhookSender | SlackWebSender,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """slack_sdk logs a failed request in its own words at ERROR (and every request at
    DEBUG): the webhook's path, the Authorization header it refused. Those lines reach the
    console and the flow run's log as surely as newsmon's own."""
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SlackFailure):
        sender.post(MESSAGE)
    logged = [r.getMessage() for r in caplog.records]
    assert not [line for line in logged if "secret" in line.replace("may hold a secret", "")]
    assert "secret" not in capsys.readouterr().err  # nor through logging's last resort


def test_tracebacks_never_show_local_variables() -> None:
    assert app.pretty_exceptions_show_locals is False
