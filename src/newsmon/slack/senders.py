"""The senders: Slack's Web API (slack_sdk WebClient), an incoming webhook, or the console.

A sender posts one message and turns every refusal into a `SlackFailure` of one kind (see
`newsmon.slack.errors`); it never retries a post itself, because a retried post whose first try
reached Slack is a double post — retries, pacing and Retry-After are delivery's job. Lookups
(`find`, which reads a channel's history for a message's metadata) are idempotent reads and use
slack_sdk's retry handlers. Tokens and webhook URLs never appear in a failure's message.
"""

from __future__ import annotations

import html
import logging
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TextIO

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from newsmon.alerts import Marker, Message
from newsmon.bounds import one_line
from newsmon.channels import is_channel_id
from newsmon.config import Secrets, SlackConfig
from newsmon.slack.errors import (
    WEBHOOK_BLOCKS_REFUSED_CODES,
    Cause,
    CredentialError,
    Kind,
    SlackFailure,
    cause_of,
    classify,
    describe,
    is_code,
    retry_after,
)
from newsmon.slack.failures import api_failure, network_failure, redacted
from newsmon.slack.transport import BoundedWebClient, BoundedWebhookClient

_LINK = re.compile(r"<([^|>]+)\|([^>]*)>")
_BARE_LINK = re.compile(r"<([^|>]+)>")
HISTORY_PAGES = 5  # at most 5 × 200 messages are searched for a lost post
CLOCK_SKEW = timedelta(minutes=2)
READ_WAIT_LIMIT = 10.0  # a read told to wait longer fails as rate limited instead of sleeping


@dataclass(frozen=True)
class Posted:
    """What Slack answered for an accepted post (nothing is known for webhooks and the console)."""

    ts: str | None = None
    channel_id: str | None = None
    # a reply Slack posted at the channel's top level: its answer's message has no thread_ts
    unthreaded: bool = False


class Sender(Protocol):
    name: str
    can_look_up: bool  # whether `find` can tell if a message was posted
    can_thread: bool  # whether a message's `thread_ts` puts it in that thread

    def post(self, message: Message) -> Posted:
        """Post one message; raise SlackFailure."""
        ...

    def find(
        self, channel: str, marker: Marker, since: datetime, thread_ts: str | None = None
    ) -> str | None:
        """The ts of the message carrying `marker` posted since `since`, or None; raise
        SlackFailure when the history cannot be read."""
        ...

    def find_each(
        self, channel: str, markers: Sequence[Marker], since: datetime, thread_ts: str | None
    ) -> dict[str, str]:
        """`find` for several rows in one read (a story's grouped replies): id -> ts of the
        message naming it, for those found."""
        ...

    def posted_blocks(
        self, channel: str, marker: Marker, since: datetime
    ) -> list[dict[str, Any]] | None:
        """The blocks of the message carrying `marker` posted since `since` (a digest's part an
        older release posted), or None; raise SlackFailure when the history cannot be read."""
        ...


# slack_sdk logs a failed request in its own words at ERROR ("Failed to send a request to
# Slack API server: URL can't contain control characters. '/services/T…/B…/…'", "Invalid header
# value b'Bearer xoxb-…'") and every request, URL and proxy included, at DEBUG. newsmon reports
# each failure itself, without the secret; the SDK's clients log to this logger, which is outside
# the logging tree (no configuration reaches it) and lets nothing through.
SDK_LOG = logging.Logger("newsmon.slack.sdk", logging.CRITICAL + 1)
SDK_LOG.addHandler(logging.NullHandler())


class _RateLimitRetry(RetryHandler):
    """A read answered 429 is tried again after its Retry-After, if that is short. slack_sdk's
    own handler sleeps whatever the header says (an hour) and raises on anything but an integer
    (``0.5``, an HTTP date), which newsmon would take for a malformed token."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return (
            response is not None
            and response.status_code == 429
            and retry_after(dict(response.headers)) <= READ_WAIT_LIMIT
        )

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        time.sleep(retry_after(dict(response.headers)) if response is not None else 1.0)
        state.increment_current_attempt()


def _read_retries() -> list[RetryHandler]:
    """Reads are idempotent: retry a dropped connection, a 5xx and a short rate limit."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=1),
        ServerErrorRetryHandler(max_retry_count=1),
        _RateLimitRetry(max_retry_count=2),
    ]


def web_client(
    token: str, *, base_url: str | None = None, timeout: float = 15.0, reads: bool = True
) -> BoundedWebClient:
    """The Web API client: bounded answers, slack_sdk's logs silenced, and for reads (`reads`)
    the retry handlers of idempotent calls; a poster gets none (a retried post is a double)."""
    kwargs: dict[str, Any] = {"token": token, "timeout": int(max(1, timeout)), "logger": SDK_LOG}
    if base_url:
        kwargs["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
    return BoundedWebClient(**kwargs, retry_handlers=_read_retries() if reads else [])


class SlackWebSender:
    """chat.postMessage with metadata; conversations.history/replies to find a lost post."""

    name = "slack"
    can_look_up = True
    can_thread = True

    def __init__(self, token: str, *, base_url: str | None = None, timeout: float = 15.0) -> None:
        self._poster = web_client(token, base_url=base_url, timeout=timeout, reads=False)
        self._reader = web_client(token, base_url=base_url, timeout=timeout)
        self._ids: dict[str, str] = {}
        # public and private channels; public only once Slack refused private ones (no
        # groups:read), as `newsmon slack check` does
        self._list_types = "public_channel,private_channel"

    def post(self, message: Message) -> Posted:
        try:
            response = self._poster.chat_postMessage(
                channel=message.channel,
                text=message.text,
                blocks=message.blocks or None,  # text alone: no `blocks` sent
                thread_ts=message.thread_ts,
                metadata=message.marker.metadata() if message.marker else None,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            raise api_failure(exc, "the message") from None
        except SlackClientError as exc:
            raise SlackFailure(
                f"Slack client error: {type(exc).__name__}", Kind.TRANSIENT, maybe_posted=True
            ) from None
        except OSError as exc:  # connection refused, DNS, TLS, timeouts
            raise network_failure(exc, "the message") from None
        except Exception as exc:  # never the text: it may quote the token or URL
            raise redacted(exc) from None
        ts, channel = response.get("ts"), response.get("channel")
        if isinstance(channel, str) and not is_channel_id(message.channel):
            self._ids[message.channel.lstrip("#")] = channel
        # A threaded post's answer echoes its thread_ts; Slack takes a reply whose parent was
        # just deleted and posts it at the top level without one (slack-go/slack#1571).
        echoed = response.get("message")
        unthreaded = (
            bool(message.thread_ts) and isinstance(echoed, dict) and not echoed.get("thread_ts")
        )
        return Posted(str(ts) if ts else None, str(channel) if channel else None, unthreaded)

    def delete(self, channel: str, ts: str) -> None:
        """chat.delete of one of the bot's own messages; raise SlackFailure."""
        try:
            self._poster.chat_delete(channel=channel, ts=ts)
        except SlackApiError as exc:
            raise api_failure(exc, "the deletion") from None
        except (SlackClientError, OSError) as exc:
            raise SlackFailure(f"cannot delete: {type(exc).__name__}", Kind.TRANSIENT) from None
        except Exception as exc:  # never the text: it may quote the token or URL
            raise redacted(exc) from None

    def remember(self, channel: str, channel_id: str) -> None:
        """A channel's ID learnt earlier (stored with a sent alert): history needs IDs."""
        self._ids.setdefault(channel.lstrip("#"), channel_id)

    def channel_id(self, channel: str) -> str | None:
        """conversations.history wants an ID: the configured one, a known one, or looked up."""
        if is_channel_id(channel):
            return channel
        name = channel.lstrip("#")
        if name not in self._ids:
            cursor: str | None = None
            for _ in range(20):
                try:
                    page = self._call(
                        "the channel list",
                        lambda c=cursor, t=self._list_types: self._reader.conversations_list(
                            types=t, exclude_archived=True, limit=200, cursor=c
                        ),
                    )
                except SlackFailure as failure:
                    # missing_scope: without groups:read a token can still list public channels
                    if failure.kind is not Kind.UNREADABLE or "," not in self._list_types:
                        raise
                    self._list_types, cursor = "public_channel", None
                    continue
                for item in page.get("channels") or []:
                    self._ids.setdefault(str(item.get("name")), str(item.get("id")))
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if name in self._ids or not cursor:
                    break
        return self._ids.get(name)

    def find(
        self, channel: str, marker: Marker, since: datetime, thread_ts: str | None = None
    ) -> str | None:
        return self.find_each(channel, [marker], since, thread_ts).get(marker.id)

    def find_each(
        self, channel: str, markers: Sequence[Marker], since: datetime, thread_ts: str | None
    ) -> dict[str, str]:
        return {
            k: str(item.get("ts"))
            for k, item in self._scan(channel, markers, since, thread_ts).items()
        }

    def posted_blocks(
        self, channel: str, marker: Marker, since: datetime
    ) -> list[dict[str, Any]] | None:
        item = self._scan(channel, [marker], since, None).get(marker.id)
        blocks = item.get("blocks") if item is not None else None
        return list(blocks) if isinstance(blocks, list) else None

    def _scan(
        self, channel: str, markers: Sequence[Marker], since: datetime, thread_ts: str | None
    ) -> dict[str, dict[str, Any]]:
        """The messages carrying `markers` posted since `since`, by marker id."""
        channel_id = self.channel_id(channel)
        if channel_id is None:
            raise SlackFailure(
                f"no channel named {channel} is visible to the bot (configure its ID, or grant "
                "channels:read/groups:read)",
                Kind.UNREADABLE,
            )
        oldest = f"{(since - CLOCK_SKEW).timestamp():.6f}"
        cursor: str | None = None
        found: dict[str, dict[str, Any]] = {}
        for _ in range(HISTORY_PAGES):
            if thread_ts:
                page = self._call(
                    "the thread",
                    lambda c=cursor: self._reader.conversations_replies(
                        channel=channel_id,
                        ts=thread_ts,
                        oldest=oldest,
                        include_all_metadata=True,
                        limit=200,
                        cursor=c,
                    ),
                )
            else:
                page = self._call(
                    "the channel history",
                    lambda c=cursor: self._reader.conversations_history(
                        channel=channel_id,
                        oldest=oldest,
                        include_all_metadata=True,
                        limit=200,
                        cursor=c,
                    ),
                )
            for item in page.get("messages") or []:
                meta = item.get("metadata") or {}
                kind, payload = meta.get("event_type"), meta.get("event_payload") or {}
                for marker in markers:
                    if marker.id not in found and marker.found_in(kind, payload):
                        found[marker.id] = item
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor or len(found) == len(markers):
                break
        return found

    @staticmethod
    def _call(what: str, call: Any) -> Any:
        try:
            return call()
        except SlackApiError as exc:
            if exc.response.get("error") == "missing_scope":
                # the token may well post: only the lookup is impossible (not a credential
                # failure, which would stop all delivery)
                failure = api_failure(exc, f"reading {what}")
                raise SlackFailure(
                    str(failure), Kind.UNREADABLE, code=failure.code, cause=failure.cause
                ) from None
            raise api_failure(exc, f"reading {what}") from None
        except OSError as exc:  # DNS, refused, TLS, a timeout: said as for a post
            raise network_failure(exc, f"reading {what}", read=True) from None
        except SlackClientError as exc:
            raise SlackFailure(
                f"cannot read {what}: {type(exc).__name__}", Kind.TRANSIENT
            ) from None
        except Exception as exc:  # never the text: it may quote the token or URL
            raise redacted(exc) from None


class SlackWebhookSender:
    """An incoming webhook: one fixed channel, chosen when the webhook was created. Nothing can
    be looked up through it, so a post whose outcome was lost may be repeated."""

    name = "webhook"
    can_look_up = False
    can_thread = False  # it posts to its own channel, and sends no thread_ts

    def __init__(self, url: str, *, timeout: float = 15.0) -> None:
        self._client = BoundedWebhookClient(
            url, timeout=int(max(1, timeout)), retry_handlers=[], logger=SDK_LOG
        )

    def post(self, message: Message) -> Posted:
        try:
            response = self._client.send(
                text=message.text,
                blocks=message.blocks or None,
                unfurl_links=False,
                unfurl_media=False,
            )
        except OSError as exc:
            # The webhook URL is a secret: name the failure, never the address.
            failure = network_failure(exc, "the webhook")
            if failure.cause is Cause.UNTRUSTED:
                raise failure from None
            said = (
                "the Slack webhook's answer was lost (it may have been posted)"
                if failure.maybe_posted
                else "cannot reach the Slack webhook (nothing was sent)"
            )
            raise SlackFailure(
                f"{said}: {type(exc).__name__}",
                failure.kind,
                maybe_posted=failure.maybe_posted,
                cause=failure.cause,
            ) from None
        except Exception as exc:  # a malformed URL is quoted by urllib's errors
            raise redacted(exc) from None
        body = (response.body or "").strip()
        # Slack answers a post it took "ok": any other 200 is a proxy's or captive portal's
        # page (once recorded as sent: the story was lost), or Slack's answer garbled
        if response.status_code == 200 and body == "ok":
            return Posted()
        code = body if is_code(body) else None
        kind, maybe = classify(response.status_code, code)
        cause = cause_of(response.status_code, code)
        if code is None and response.status_code in (401, 403) and not body:
            kind, cause = Kind.CREDENTIAL, Cause.REFUSED
        raise SlackFailure(
            describe(cause, "the message", response.status_code, code, "Slack webhook"),
            kind,
            retry_after=retry_after(dict(response.headers or {}))
            if kind is Kind.RATE_LIMITED
            else None,
            maybe_posted=maybe,
            code=code,
            cause=cause,
            blocks_refused=bool(message.blocks) and code in WEBHOOK_BLOCKS_REFUSED_CODES,
        )

    def find(
        self, channel: str, marker: Marker, since: datetime, thread_ts: str | None = None
    ) -> str | None:
        raise SlackFailure("a webhook cannot read the channel", Kind.TRANSIENT)

    def find_each(
        self, channel: str, markers: Sequence[Marker], since: datetime, thread_ts: str | None
    ) -> dict[str, str]:
        raise SlackFailure("a webhook cannot read the channel", Kind.TRANSIENT)

    def posted_blocks(
        self, channel: str, marker: Marker, since: datetime
    ) -> list[dict[str, Any]] | None:
        raise SlackFailure("a webhook cannot read the channel", Kind.TRANSIENT)


class ConsoleSender:
    """No Slack credentials: print what would be sent, so a first run shows its alerts."""

    name = "console"
    can_look_up = False
    # its replies' threads are in Slack (its own alerts have none): printed here and recorded
    # sent, they never reached them (a `newsmon run` by hand without SLACK_BOT_TOKEN)
    can_thread = False

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def post(self, message: Message) -> Posted:
        stream = self._stream or sys.stdout
        arrow = "reply" if message.thread_ts else "alert"
        lines: list[str] = []
        for block in message.blocks:
            if block["type"] == "section":
                text = _LINK.sub(lambda m: f"{m.group(2)}\n{m.group(1)}", block["text"]["text"])
                text = _BARE_LINK.sub(lambda m: m.group(1), text)
                lines += text.strip("*").split("\n")
            elif block["type"] == "context":
                lines.append(" ".join(e["text"] for e in block["elements"]))
        # each line as printable text: a stranger's ESC[2J, OSC 52 or C1 CSI in a title or
        # snippet reached the operator's terminal, which acted on it
        shown = [f"── {arrow} → {one_line(message.channel)}"]
        shown += ["   " + one_line(html.unescape(line)) for line in lines]
        print("\n".join(shown), file=stream, flush=True)
        return Posted()

    def find(
        self, channel: str, marker: Marker, since: datetime, thread_ts: str | None = None
    ) -> str | None:
        return None

    def find_each(
        self, channel: str, markers: Sequence[Marker], since: datetime, thread_ts: str | None
    ) -> dict[str, str]:
        return {}

    def posted_blocks(
        self, channel: str, marker: Marker, since: datetime
    ) -> list[dict[str, Any]] | None:
        return None


def make_sender(
    secrets: Secrets, slack: SlackConfig, stream: TextIO | None = None, *, required: bool = False
) -> Sender:
    """The Web API with a bot token, else the webhook, else the console — unless Slack is
    required (`slack.required`), when a missing credential fails the run instead."""
    if secrets.slack_bot_token:
        return SlackWebSender(
            secrets.slack_bot_token, base_url=secrets.slack_api_url, timeout=slack.timeout
        )
    if secrets.slack_webhook_url:
        return SlackWebhookSender(secrets.slack_webhook_url, timeout=slack.timeout)
    if slack.required or required:
        raise CredentialError(
            "Slack is required (slack.required) but neither SLACK_BOT_TOKEN nor "
            "SLACK_WEBHOOK_URL is set"
        )
    return ConsoleSender(stream)
