"""Slack alerts: message building and routing by topic (the senders are in `newsmon.slack`).

Text from feeds is untrusted: everything that reaches Slack's mrkdwn is escaped, so a title
holding ``<!channel>`` shows as text and pings no one. Every message carries Slack message
metadata naming what it is (`newsmon_alert` and the alert's id, …): that is how delivery finds
a message again after a crash instead of posting it twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import quote

import regex

from newsmon.bounds import INVISIBLE, clean_text
from newsmon.config import SlackConfig
from newsmon.corpus.records import WEBHOOK_CHANNEL, AlertJob, ReplyJob
from newsmon.urls import site_root, without_user

# Slack's limits, counted as Slack counts (UTF-16 code units of the text as sent, escaped):
SLACK_SECTION_CHARS = 3000  # a section's text, a context element's text
SLACK_HEADER_CHARS = 150  # a header block's plain text
SLACK_CONTEXT_ELEMENTS = 10
SLACK_BLOCKS = 50
SLACK_TEXT_CHARS = 40000  # a message's top-level text
# Slack also refuses a message whose blocks hold too much text in all (`msg_blocks_too_long`);
# the limit is not documented (refusals are reported from about 11,000 characters): stay under.
MAX_MESSAGE_BLOCK_CHARS = 10000
MAX_SECTION_CHARS = 2900  # Slack allows 3000 per section text
MAX_LINK_URL_CHARS = 2000  # an escaped link URL; a longer one links the site's root
MAX_TITLE_CHARS = 250
MAX_TERM_CHARS = 100  # one matched term as shown, escaped
MAX_TERMS = 15  # matched terms shown; more are counted ("and 4 more")
MAX_CONTEXT_CHARS = 1000  # the source · time · topics line, escaped
MAX_FALLBACK_CHARS = 3000  # a message's notification text, escaped

ALERT_EVENT, REPLY_EVENT, DIGEST_EVENT = "newsmon_alert", "newsmon_reply", "newsmon_digest"


def slack_len(text: str) -> int:
    """The length Slack measures: UTF-16 code units (an emoji outside the BMP counts two)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def limit_violations(message: Message) -> list[str]:
    """What in `message` Slack would refuse (`invalid_blocks`, `msg_blocks_too_long`): a
    message failure, which loses the message. Empty when it is within every limit."""
    out: list[str] = []
    if slack_len(message.text) > SLACK_TEXT_CHARS:
        out.append(f"text: {slack_len(message.text)} > {SLACK_TEXT_CHARS}")
    if len(message.blocks) > SLACK_BLOCKS:
        out.append(f"{len(message.blocks)} blocks > {SLACK_BLOCKS}")
    total = 0
    for n, block in enumerate(message.blocks):
        texts: list[tuple[str, int]] = []
        if block["type"] == "section":
            texts.append((block["text"]["text"], SLACK_SECTION_CHARS))
        elif block["type"] == "header":
            texts.append((block["text"]["text"], SLACK_HEADER_CHARS))
        elif block["type"] == "context":
            elements = block["elements"]
            if len(elements) > SLACK_CONTEXT_ELEMENTS:
                out.append(f"block {n}: {len(elements)} elements > {SLACK_CONTEXT_ELEMENTS}")
            texts += [(e["text"], SLACK_SECTION_CHARS) for e in elements]
        for text, limit in texts:
            total += slack_len(text)
            if not text or slack_len(text) > limit:
                out.append(f"block {n} ({block['type']}): {slack_len(text)} characters, 1..{limit}")
    if total > MAX_MESSAGE_BLOCK_CHARS:
        out.append(f"blocks' text: {total} > {MAX_MESSAGE_BLOCK_CHARS}")
    return out


# Bidi embedding, override and isolate controls (U+202A-202E, U+2066-2069): a title's unclosed
# override runs on into the text shown after it (the notification's "(source)"), so a stranger's
# title could make it read as another source. No headline needs them; the right-to-left and
# left-to-right marks (U+200E, U+200F) that Hebrew and Arabic titles use stay.
_NO_BIDI_RUNS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


# Not a space to Unicode nor ignorable, yet shows nothing: a title of it looked empty.
BRAILLE_BLANK = "\u2800"


def without_bidi_runs(text: str) -> str:
    """`text` without the controls whose run would reverse what is shown after it."""
    return text.translate(_NO_BIDI_RUNS)


def shown_title(title: str | None, url: str) -> str:
    """A title as one line to show, without bidi runs; the link itself when no visible
    character is left (a title of spaces or zero-width characters left a link with nothing
    to click on), without them too (a feed's link keeps what it wrote in the host)."""
    shown = " ".join(without_bidi_runs(title or "").split())
    visible = INVISIBLE.sub("", shown).replace(BRAILLE_BLANK, "").strip()
    return shown if visible else " ".join(without_bidi_runs(without_user(url)).split())


def plural(count: int, noun: str, nouns: str) -> str:
    """ "1 story", "3 stories"."""
    return f"{count} {noun if count == 1 else nouns}"


def escape(text: str) -> str:
    """Escape Slack's control characters (&, <, >) in user-visible text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# mrkdwn's delimiters, which Slack gives no escape: each as a look-alike that formats nothing
# (one UTF-16 unit, like the character it stands for, so no length limit moves).
LOOKALIKES = {"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"}  # ∗ ˍ ∼ ˋ
_BARE_URL = re.compile(r"https?://\S+")
_DELIMITER = re.compile(r"[*_~`]")


def _inert_span(text: str) -> str:
    def swap(found: re.Match[str]) -> str:
        at, ch = found.start(), found.group()
        before, after = text[at - 1 : at], text[at + 1 : at + 2]
        inside = all(c.isascii() and c.isalnum() for c in (before, after))  # "" is not
        return ch if ch != "`" and inside else LOOKALIKES[ch]

    return _DELIMITER.sub(swap, text)


def inert(text: str) -> str:
    """Untrusted `text` that cannot format what follows it in mrkdwn: a reason phrase's backtick
    made the notice's "What to do" hint code, two "```" made a grouped notice's feeds between
    them one code block, a star ran bold into newsmon's own *Flapping*. A ``*``, ``_`` or ``~``
    that could open or close a run (not inside a word: Slack formats none there, so
    ``snake_case`` stays) and every backtick show as a look-alike; a bare URL keeps its
    characters but backticks (Slack links it whole before formatting)."""
    out: list[str] = []
    at = 0
    for url in _BARE_URL.finditer(text):
        out += [_inert_span(text[at : url.start()]), url.group().replace("`", LOOKALIKES["`"])]
        at = url.end()
    return "".join([*out, _inert_span(text[at:])])


def link_url(url: str) -> str:
    """The URL as Slack link markup. Never raises: messages are built for a claimed batch, so a
    stored address urllib refuses (a lone surrogate, ``http://[SITE_URL]/``) stopped delivery at
    that batch, every pass."""
    url = clean_text(url)  # a lone surrogate has no UTF-8 bytes: quote() would raise
    url = without_user(url)  # `user@` disguised the host, and a password was shown to all
    # <, > and | would end or split the link markup; & is escaped like any text.
    linked = escape(quote(url, safe=":/?#[]@!$&'()*+,;=%-._~"))
    if len(linked) > MAX_LINK_URL_CHARS:  # would crowd the section out: link the site instead
        linked = escape(quote(site_root(url)[:MAX_LINK_URL_CHARS], safe=":/"))
    if len(linked) > MAX_LINK_URL_CHARS:  # a host no DNS name is as long (hundreds of "é"
        # at 6 characters each, from a garbled feed) would still crowd the section out: cut it
        # before a whole %XX escape; the address did not lead anywhere either way
        linked = linked[:MAX_LINK_URL_CHARS]
        cut = linked.rfind("%", len(linked) - 2)
        linked = linked[:cut] if cut != -1 else linked
    return linked


_GRAPHEME = regex.compile(r"\X")


def grapheme_cut(text: str, end: int) -> int:
    """`end`, moved back to the start of the character a reader sees (grapheme cluster) it falls
    in: a cut inside one showed a family emoji as two women, "Café" as "Cafe", 한 as 하 (in
    conjoining jamo) and a flag as a lone letter. One cluster longer than `end` is cut as is."""
    if end >= len(text):
        return len(text)
    for found in _GRAPHEME.finditer(text):
        if found.end() > end:
            return found.start() or end
    return end


def clip(text: str, limit: int) -> str:
    """`text` in at most `limit` code points, "…" last when cut, never inside a grapheme."""
    if len(text) <= limit:
        return text
    return text[: grapheme_cut(text, limit - 1)].rstrip() + "…"


def clip_escaped(text: str, limit: int) -> str:
    """`text` without bidi runs (`without_bidi_runs`: a matched span's or a snippet's override
    turned newsmon's own words after it around), escaped for mrkdwn (`escape`, `inert`), then
    clipped to `limit` characters as Slack counts them (`slack_len`), never inside an entity
    or a grapheme: clipped first, ``&`` → ``&amp;`` could push a section past Slack's limit,
    and 2,900 emoji are 5,800 of Slack's characters."""
    escaped = escape(inert(without_bidi_runs(text)))
    if slack_len(escaped) <= limit:
        return escaped
    if limit <= 0:
        return ""
    room, size = limit - 1, 0  # one for the "…"
    end = 0
    for ch in escaped:
        size += 2 if ord(ch) > 0xFFFF else 1
        if size > room:
            break
        end += 1
    cut = escaped[: grapheme_cut(escaped, end)]
    amp = cut.rfind("&", len(cut) - 4)
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + "…"


def label_escaped(text: str, limit: int) -> str:
    """A link's label: escaped and clipped like `clip_escaped`, with ``|`` (which would end the
    label) shown as ``¦``."""
    return clip_escaped(text, limit).replace("|", "¦")


@dataclass(frozen=True)
class Marker:
    """What a message is, as Slack message metadata: found again by `event_type` and `id`."""

    event_type: str
    id: str
    # the other rows one message stands for (a story's grouped replies): each is found by it
    also: tuple[str, ...] = ()

    def metadata(self) -> dict[str, Any]:
        payload = {"id": self.id, **({"also": ",".join(self.also)} if self.also else {})}
        return {"event_type": self.event_type, "event_payload": payload}

    def found_in(self, event_type: object, payload: Mapping[str, Any]) -> bool:
        """Whether a message's metadata names this: its id, or one of the rows it stands for."""
        if event_type != self.event_type:
            return False
        return self.id == str(payload.get("id")) or self.id in str(payload.get("also")).split(",")


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
    """A stored (UTC) time as readers see it: in the configured zone, named (in UTC when the
    zone cannot hold it: a far-future date stored before `dates.showable` refused it)."""
    if value is None:
        return "date unknown"
    try:
        local = value.astimezone(zone)
    except OverflowError:
        local = value.astimezone(UTC)
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "UTC")


def build_message(
    job: AlertJob,
    labels: Mapping[str, str] | None = None,
    zone: tzinfo = UTC,
    channels: Mapping[str, str] | None = None,
) -> Message:
    """An alert; `channels` (topic → channel) names each topic's channel, for webhook mode."""
    labels = labels or {}
    title = shown_title(job.title, job.url)
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
    fallback = f"[{topic_names}] {clip(title, MAX_TITLE_CHARS)} ({source})"
    linked = link_url(job.url)
    label = label_escaped(clip(title, MAX_TITLE_CHARS), MAX_SECTION_CHARS - len(linked) - 5)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*<{linked}|{label}>*"}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": clip_escaped(
                        f"{source} · {when(job.published_at, zone)} · {topic_names}",
                        MAX_CONTEXT_CHARS,
                    ),
                }
            ],
        },
    ]
    if terms:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": matched_text(terms)}})
    if snippet:
        quoted = clip_escaped(" ".join(snippet.split()), MAX_SECTION_CHARS - 2)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"> {quoted}"}})
    return Message(
        job.channel,
        clip_escaped(fallback, MAX_FALLBACK_CHARS),
        blocks,
        Marker(ALERT_EVENT, str(job.id)),
    )


def matched_text(terms: Sequence[str]) -> str:
    """ "Matched: `a`, `b`": each term clipped, at most `MAX_TERMS` and as many as fit one
    section; the rest are counted ("and 4 more")."""
    head = "Matched: "
    shown: list[str] = []
    for term in terms[:MAX_TERMS]:
        piece = f"`{clip_escaped(term.replace('`', 'ˋ'), MAX_TERM_CHARS)}`"
        more = len(terms) - len(shown) - 1
        text = head + ", ".join([*shown, piece]) + (f" and {more} more" if more else "")
        if slack_len(text) > MAX_SECTION_CHARS:
            break
        shown.append(piece)
    more = len(terms) - len(shown)
    return head + ", ".join(shown) + (f" and {more} more" if more else "")


def build_reply(job: ReplyJob) -> Message:
    """ "Also reported by <source>: <link>", in the thread of the story's alert; the story's
    copies claimed together (`job.also`) in one message: one notification to the thread's
    followers, not one per copy."""
    if job.also:
        return _grouped_reply(job)
    source = clip_escaped(" ".join(job.source.split()), MAX_TERM_CHARS)
    text = f"Also reported by {source}: <{link_url(job.url)}>"
    shown_url = without_bidi_runs(without_user(job.url))  # as in a title and a link
    story = _story(job)
    about = f"{story} ({shown_url})" if story else shown_url
    fallback = clip_escaped(f"Also reported by {job.source}: {about}", MAX_FALLBACK_CHARS)
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    marker = Marker(REPLY_EVENT, str(job.id))
    return Message(job.post_channel, fallback, blocks, marker, thread_ts=job.thread_ts)


def _story(job: ReplyJob) -> str:
    """The story's title as a reply's notification names it ("" when it shows nothing): the
    notification a thread's followers get, and a screen reader's text, said only which source
    and link, not which of the day's stories."""
    return clip(shown_title(job.title, ""), MAX_TITLE_CHARS)


def _grouped_reply(job: ReplyJob) -> Message:
    """ "Also reported by <A>, <B> and <C>": each source linked to its copy, as many as fit one
    section; the rest are counted ("and 5 more"). Its marker names every row it stands for."""
    jobs = (job, *job.also)
    head = "Also reported by "
    shown: list[str] = []
    for one in jobs:
        label = label_escaped(" ".join(one.source.split()), MAX_TERM_CHARS)
        piece = f"<{link_url(one.url)}|{label}>"
        if slack_len(head + ", ".join([*shown, piece]) + f" and {len(jobs)} more") > (
            MAX_SECTION_CHARS
        ):
            break
        shown.append(piece)
    names = [" ".join(j.source.split()) for j in jobs[: len(shown)]]
    text, fallback = head + _listed(shown, len(jobs)), head + _listed(names, len(jobs))
    story = _story(job)
    fallback += f": {story}" if story else ""
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    marker = Marker(REPLY_EVENT, str(job.id), tuple(str(j.id) for j in job.also))
    return Message(
        job.post_channel,
        clip_escaped(fallback, MAX_FALLBACK_CHARS),
        blocks,
        marker,
        thread_ts=job.thread_ts,
    )


def _listed(items: Sequence[str], total: int) -> str:
    """ "A, B and C", or "A, B and 5 more" when `total` exceeds what is listed."""
    more = total - len(items)
    if more:
        return ", ".join(items) + f" and {more} more"
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else "".join(items)
