"""Slack alerts: message building and routing by topic (the senders are in `newsmon.slack`).

Text from feeds is untrusted: everything that reaches Slack's mrkdwn is escaped, so a title
holding ``<!channel>`` shows as text and pings no one. Every message carries Slack message
metadata naming what it is (`newsmon_alert` and the alert's id, …): that is how delivery finds
a message again after a crash instead of posting it twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import quote, urlsplit

from newsmon.bounds import clean_text
from newsmon.config import SlackConfig
from newsmon.corpus.records import AlertJob, ReplyJob

MAX_SECTION_CHARS = 2900  # Slack allows 3000 per section text
MAX_LINK_URL_CHARS = 2000  # an escaped link URL; a longer one links the site's root
MAX_TITLE_CHARS = 250

# In webhook mode an article is one message, whatever channels its topics map to: the
# webhook's channel is fixed by Slack.
WEBHOOK_CHANNEL = "(webhook)"
ALERT_EVENT, REPLY_EVENT, DIGEST_EVENT = "newsmon_alert", "newsmon_reply", "newsmon_digest"


def escape(text: str) -> str:
    """Escape Slack's control characters (&, <, >) in user-visible text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link_url(url: str) -> str:
    """The URL as Slack link markup. Never raises: messages are built for a claimed batch, so a
    stored address urllib refuses (a lone surrogate, ``http://[SITE_URL]/``) stopped delivery at
    that batch, every pass."""
    url = clean_text(url)  # a lone surrogate has no UTF-8 bytes: quote() would raise
    # <, > and | would end or split the link markup; & is escaped like any text.
    linked = escape(quote(url, safe=":/?#[]@!$&'()*+,;=%-._~"))
    if len(linked) > MAX_LINK_URL_CHARS:  # would crowd the section out: link the site instead
        try:
            parts = urlsplit(url)
            root = f"{parts.scheme}://{parts.netloc}/"
        except ValueError:  # the host part is no host: cut it out by hand
            root = "/".join(url.split("/", 3)[:3]) + "/"
        linked = escape(quote(root[:MAX_LINK_URL_CHARS], safe=":/"))
    return linked


def link_label(text: str) -> str:
    return escape(text).replace("|", "¦")


def clip(text: str, limit: int) -> str:
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
class Marker:
    """What a message is, as Slack message metadata: found again by `event_type` and `id`."""

    event_type: str
    id: str

    def metadata(self) -> dict[str, Any]:
        return {"event_type": self.event_type, "event_payload": {"id": self.id}}


@dataclass(frozen=True)
class Message:
    channel: str
    text: str  # the notification fallback
    blocks: list[dict[str, Any]]
    marker: Marker | None = None
    thread_ts: str | None = None  # a reply in this thread, never at the channel's top level
    extra: dict[str, Any] = field(default_factory=dict)


def route(
    topics: Iterable[str], slack: SlackConfig, *, webhook: bool = False
) -> dict[str, list[str]]:
    """Channel → topics: one message per article and channel, however many topics share it.

    With a webhook (one fixed channel) every topic goes into one message.
    """
    if webhook:
        wanted = sorted(set(topics))
        return {WEBHOOK_CHANNEL: wanted} if wanted else {}
    out: dict[str, list[str]] = {}
    for topic in sorted(set(topics)):
        channel = slack.channels.get(topic) or slack.default_channel
        if channel:
            out.setdefault(channel, []).append(topic)
    return out


def when(value: datetime | None, zone: tzinfo = UTC) -> str:
    """A stored (UTC) time as readers see it: in the configured zone, named."""
    if value is None:
        return "date unknown"
    local = value.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "UTC")


def build_message(
    job: AlertJob,
    labels: Mapping[str, str] | None = None,
    zone: tzinfo = UTC,
    channels: Mapping[str, str] | None = None,
) -> Message:
    """An alert; `channels` (topic → channel) names each topic's channel, for webhook mode."""
    labels = labels or {}
    title = clip(" ".join((job.title or job.url).split()), MAX_TITLE_CHARS)
    topic_names = ", ".join(
        labels.get(t, t) + (f" ({channels[t]})" if channels and t in channels else "")
        for t in job.topics
    )
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
            "text": {"type": "mrkdwn", "text": f"*<{link_url(job.url)}|{link_label(title)}>*"},
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": escape(f"{source} · {when(job.published_at, zone)} · {topic_names}"),
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
    return Message(job.channel, escape(fallback), blocks, Marker(ALERT_EVENT, str(job.id)))


def build_reply(job: ReplyJob) -> Message:
    """ "Also reported by <source>: <link>", in the thread of the story's alert."""
    text = f"Also reported by {escape(job.source)}: <{link_url(job.url)}>"
    fallback = escape(f"Also reported by {job.source}: {job.url}")
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    return Message(
        job.channel, fallback, blocks, Marker(REPLY_EVENT, str(job.id)), thread_ts=job.thread_ts
    )
