"""Talking to Slack: senders (Web API, webhook, console), what each failure means, and pacing.

Messages are built in `newsmon.alerts`; the delivery loop that claims, paces and records is
`newsmon.pipeline.delivery`.
"""

from newsmon.slack.errors import Cause, CredentialError, Kind, SlackFailure
from newsmon.slack.pacing import Pacer, TokenBucket
from newsmon.slack.senders import (
    ConsoleSender,
    Posted,
    Sender,
    SlackWebhookSender,
    SlackWebSender,
    make_sender,
)

__all__ = [
    "Cause",
    "ConsoleSender",
    "CredentialError",
    "Kind",
    "Pacer",
    "Posted",
    "Sender",
    "SlackFailure",
    "SlackWebSender",
    "SlackWebhookSender",
    "TokenBucket",
    "make_sender",
]
