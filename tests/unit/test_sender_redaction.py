"""A malformed Slack secret must not end up in an error message (Prefect logs those)."""

from __future__ import annotations

import pytest

from newsmon.alerts import DeliveryError, Message, SlackWebhookSender, SlackWebSender
from newsmon.cli import app

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
    with pytest.raises(DeliveryError) as caught:
        SlackWebhookSender(url, timeout=1).send(MESSAGE)
    assert "secret" not in str(caught.value).replace("may hold a secret", "")
    assert caught.value.scope == "sender" and caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_a_malformed_token_or_api_url_is_not_quoted() -> None:
    bad_token = SlackWebSender("xoxb-secretpart\nX", base_url="http://127.0.0.1:9/api/", timeout=1)
    bad_url = SlackWebSender("xoxb-x", base_url="not a url secretpart", timeout=1)
    for sender in (bad_token, bad_url):
        with pytest.raises(DeliveryError) as caught:
            sender.send(MESSAGE)
        assert "secretpart" not in str(caught.value)


def test_tracebacks_never_show_local_variables() -> None:
    assert app.pretty_exceptions_show_locals is False
