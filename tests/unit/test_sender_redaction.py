"""A malformed Slack secret must not end up in an error message (Prefect logs those)."""

from __future__ import annotations

import logging
from collections.abc import Callable

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


def test_tracebacks_never_show_local_variables() -> None:
    assert app.pretty_exceptions_show_locals is False


@pytest.mark.parametrize(
    "post",
    [
        lambda: SlackWebSender("xoxb-secretpart\nX", base_url="http://127.0.0.1:9/api/").post(
            MESSAGE
        ),
        lambda: SlackWebSender("xoxb-x", base_url="ftp://secretpart/api/").post(MESSAGE),
        lambda: SlackWebhookSender("http://127.0.0.1:9/services/T0/B0/secret part").post(MESSAGE),
        lambda: SlackWebhookSender("ftp://hooks.slack.com/services/T0/B0/secretpart").post(MESSAGE),
    ],
)
def test_slack_sdks_own_log_lines_never_quote_a_secret(
    post: Callable[[], object], caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """slack_sdk logs the exception it caught at ERROR (and the webhook URL at DEBUG) before
    newsmon can redact it: those lines would reach the console and Prefect's logs."""
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SlackFailure):
        post()
    out, err = capfd.readouterr()
    assert "secret" not in caplog.text + out + err
