"""Slack alerts: message building, routing by topic, and the senders (the one Slack module).

Text from feeds is untrusted: everything that reaches Slack's mrkdwn is escaped, so a title
holding ``<!channel>`` shows as text and pings no one.
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, TextIO
from urllib.parse import quote, urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from newsmon.config import Secrets, SlackConfig
from newsmon.corpus.records import AlertJob

_LINK = re.compile(r"<([^|>]+)\|([^>]*)>")
MAX_SECTION_CHARS = 2900  # Slack allows 3000 per section text
MAX_LINK_URL_CHARS = 2000  # an escaped link URL; a longer one links the site's root
MAX_TITLE_CHARS = 250

# How far a refusal reaches: the whole pass, one channel, or one message.
Scope = Literal["sender", "channel", "message"]
_SENDER_ERRORS = {
    "invalid_auth",
    "not_authed",
    "token_revoked",
    "token_expired",
    "account_inactive",
    "missing_scope",
    "no_permission",
    "ratelimited",
    "rate_limited",
    "team_access_not_granted",
    "org_login_required",
    "ekm_access_denied",
    "service_unavailable",
    "fatal_error",
    "internal_error",
    "request_timeout",
    "no_service",
    "invalid_token",
    "action_prohibited",
}
_CHANNEL_ERRORS = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "restricted_action",
    "channel_is_archived",
    "posting_to_general_channel_denied",
    "no_active_hooks",
}


class DeliveryError(Exception):
    """Slack refused or could not be reached; `scope` says what else the refusal affects."""

    def __init__(self, message: str, scope: Scope) -> None:
        super().__init__(message)
        self.scope = scope


def escape(text: str) -> str:
    """Escape Slack's control characters (&, <, >) in user-visible text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link_url(url: str) -> str:
    # <, > and | would end or split the link markup; & is escaped like any text.
    linked = escape(quote(url, safe=":/?#[]@!$&'()*+,;=%-._~"))
    if len(linked) > MAX_LINK_URL_CHARS:  # would crowd the section out: link the site instead
        parts = urlsplit(url)
        linked = escape(quote(f"{parts.scheme}://{parts.netloc}/"[:MAX_LINK_URL_CHARS], safe=":/"))
    return linked


def _link_label(text: str) -> str:
    return escape(text).replace("|", "¦")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clip_escaped(text: str, limit: int) -> str:
    """`text` escaped for mrkdwn, then clipped to `limit` characters, never inside an entity:
    clipped first, ``&`` → ``&amp;`` could push a section past Slack's limit."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&", len(cut) - 4)
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + "…"


@dataclass(frozen=True)
class Message:
    channel: str
    text: str  # the notification fallback
    blocks: list[dict[str, Any]]


def route(topics: Iterable[str], slack: SlackConfig) -> dict[str, list[str]]:
    """Channel → topics: one message per article and channel, however many topics share it."""
    out: dict[str, list[str]] = {}
    for topic in sorted(set(topics)):
        channel = slack.channels.get(topic) or slack.default_channel
        if channel:
            out.setdefault(channel, []).append(topic)
    return out


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "date unknown"


def build_message(job: AlertJob, labels: Mapping[str, str] | None = None) -> Message:
    labels = labels or {}
    title = _clip(" ".join((job.title or job.url).split()), MAX_TITLE_CHARS)
    topic_names = ", ".join(labels.get(t, t) for t in job.topics)
    terms: list[str] = []
    for match in job.matches:
        for hit in match.terms:
            # the rule words that matched ("court … AI") read better than a rule expression or a
            # raw span ("법률 수첩] AI"); evidence stored before labels shows what the text said
            term = str(hit.get("label") or hit.get("matched") or hit.get("term", ""))
            if term and term not in terms:
                terms.append(term)
    snippet = next((m.snippet for m in job.matches if m.snippet), "")
    source = job.source or "unknown source"
    fallback = f"[{topic_names}] {title} ({source})"
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*<{_link_url(job.url)}|{_link_label(title)}>*"},
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": escape(f"{source} · {_when(job.published_at)} · {topic_names}"),
                }
            ],
        },
    ]
    if terms:
        shown = ", ".join(f"`{escape(t).replace('`', 'ˋ')}`" for t in terms[:15])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"Matched: {shown}"}})
    if snippet:
        quoted = clip_escaped(" ".join(snippet.split()), MAX_SECTION_CHARS - 2)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"> {quoted}"}})
    return Message(job.channel, escape(fallback), blocks)


class Sender(Protocol):
    name: str

    def send(self, message: Message) -> str | None:
        """Deliver one message; return Slack's message ts when known; raise DeliveryError."""
        ...


def _retry_handlers() -> list[RetryHandler]:
    """How both Slack clients retry: once for a dropped connection, twice for a rate limit
    (honouring Retry-After). Anything else is the pass's to decide (see `DeliveryError`)."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=1),
        RateLimitErrorRetryHandler(max_retry_count=2),
    ]


def _api_error_scope(code: str) -> Scope:
    if code in _SENDER_ERRORS:
        return "sender"
    if code in _CHANNEL_ERRORS:
        return "channel"
    return "message"


class SlackWebSender:
    """chat.postMessage via slack_sdk's WebClient; retries rate limits and dropped connections."""

    name = "slack"

    def __init__(self, token: str, *, base_url: str | None = None, timeout: float = 15.0) -> None:
        kwargs: dict[str, Any] = {"token": token, "timeout": int(max(1, timeout))}
        if base_url:
            kwargs["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
        self._client = WebClient(**kwargs, retry_handlers=_retry_handlers())

    def send(self, message: Message) -> str | None:
        try:
            response = self._client.chat_postMessage(
                channel=message.channel,
                text=message.text,
                blocks=message.blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            code = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
            status = exc.response.status_code
            scope: Scope = "sender" if status == 429 or status >= 500 else _api_error_scope(code)
            raise DeliveryError(f"Slack refused the message: {code}", scope) from None
        except SlackClientError as exc:
            raise DeliveryError(f"Slack client error: {type(exc).__name__}", "sender") from None
        except OSError as exc:  # connection refused, DNS, TLS, timeouts
            raise DeliveryError(
                f"cannot reach Slack: {type(exc).__name__}: {exc.strerror or exc}", "sender"
            ) from None
        except Exception as exc:  # issue 9: never the text, which may quote the token or URL
            raise _redacted(exc) from None
        ts = response.get("ts")
        return str(ts) if ts else None


class SlackWebhookSender:
    """An incoming webhook: one fixed channel, chosen when the webhook was created."""

    name = "webhook"

    def __init__(self, url: str, *, timeout: float = 15.0) -> None:
        self._client = WebhookClient(
            url, timeout=int(max(1, timeout)), retry_handlers=_retry_handlers()
        )

    def send(self, message: Message) -> str | None:
        try:
            response = self._client.send(
                text=message.text, blocks=message.blocks, unfurl_links=False, unfurl_media=False
            )
        except OSError as exc:
            # The webhook URL is a secret: name the failure, never the address.
            raise DeliveryError(
                f"cannot reach the Slack webhook: {type(exc).__name__}", "sender"
            ) from None
        except Exception as exc:  # issue 9: a malformed URL is quoted by urllib's errors
            raise _redacted(exc) from None
        if response.status_code == 200:
            return None
        body = (response.body or "").strip()[:80] or f"HTTP {response.status_code}"
        scope: Scope = (
            "sender"
            if response.status_code in (401, 403, 404, 410, 429) or response.status_code >= 500
            else _api_error_scope(body)
        )
        raise DeliveryError(f"Slack webhook refused the message: {body}", scope)


def _redacted(exc: Exception) -> DeliveryError:
    """An unexpected sender error, named by its type only: urllib and http.client quote the
    URL or the Authorization header they refuse, and those are secrets."""
    return DeliveryError(
        f"Slack client error: {type(exc).__name__} (details withheld: they may hold a secret; "
        "check SLACK_BOT_TOKEN, SLACK_WEBHOOK_URL and NEWSMON_SLACK_API_URL)",
        "sender",
    )


class ConsoleSender:
    """No Slack credentials: print what would be sent, so a first run shows its alerts."""

    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def send(self, message: Message) -> str | None:
        stream = self._stream or sys.stdout
        lines = [f"── alert → {message.channel}"]
        for block in message.blocks:
            if block["type"] == "section":
                text = _LINK.sub(lambda m: f"{m.group(2)}\n   {m.group(1)}", block["text"]["text"])
                lines.append("   " + text.strip("*"))
            elif block["type"] == "context":
                lines.append("   " + " ".join(e["text"] for e in block["elements"]))
        print(html.unescape("\n".join(lines)), file=stream, flush=True)
        return None


def make_sender(secrets: Secrets, slack: SlackConfig, stream: TextIO | None = None) -> Sender:
    if secrets.slack_bot_token:
        return SlackWebSender(
            secrets.slack_bot_token, base_url=secrets.slack_api_url, timeout=slack.timeout
        )
    if secrets.slack_webhook_url:
        return SlackWebhookSender(secrets.slack_webhook_url, timeout=slack.timeout)
    return ConsoleSender(stream)
