"""Digest messages: a channel's stories of a period (title, source, number of sources, link),
split over as many messages as Slack's limits require.

Pure: no database, no Slack. `newsmon.pipeline.digests` posts them, once per channel and period.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import accumulate, pairwise
from typing import Any

from newsmon.alerts import (
    DIGEST_EVENT,
    MAX_MESSAGE_BLOCK_CHARS,
    MAX_SECTION_CHARS,
    MAX_TITLE_CHARS,
    Marker,
    Message,
    clip,
    clip_escaped,
    label_escaped,
    link_url,
    plural,
    shown_title,
    slack_len,
    when,
)
from newsmon.corpus.records import DigestStory

# A digest stopped half-way is finished by later calls while its period ended at most this
# long ago (health reports older ones as lost to the schedule).
RESUME_WITHIN = timedelta(days=7)
# A channel's next digest starts where its last one ended if that was at most this long before
# the new period's end (a late, early, manual or extra run neither drops nor repeats a story);
# after a longer silence it is the `--since` period.
FOLLOW_WITHIN = timedelta(days=7)
# A digest call's run still recorded as running this soon after it began (the digest flow's
# default timeout) is alive: it is trying the digests it left again (README "Digests"), so
# health does not report them meanwhile.
RUNNING_WITHIN = timedelta(minutes=30)
MAX_BLOCKS = 40  # Slack allows 50 blocks a message; a header and sections stay well under
HEADER_ROOM = 500  # a part's header line, escaped (a channel name is at most 200 characters)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd])\s*$")


def parse_duration(text: str) -> timedelta:
    """ "24h", "90m", "7d" → a timedelta; ValueError for anything else."""
    found = _DURATION.match(text.lower())
    if not found or float(found.group(1)) <= 0:
        raise ValueError(f"want a duration such as 24h, 90m or 7d, got {text!r}")
    unit = {"m": "minutes", "h": "hours", "d": "days"}[found.group(2)]
    return timedelta(**{unit: float(found.group(1))})


def window(
    now: datetime,
    length: timedelta,
    zone: tzinfo,
    ended: Callable[[datetime], bool] | None = None,
) -> tuple[datetime, datetime]:
    """The period ending at the last whole hour (in the configured zone) and `length` long:
    two calls in the same hour name the same period, so the second posts nothing.

    Whole days of `length` are the zone's calendar days (the same hour that many days before),
    the rest real time: daily digests at a fixed hour of the zone follow each other without a
    gap or an overlap across a DST change (23 or 25 hours then).

    A daily run at an hour the spring change skips (02:00 or 02:30 in New York or Berlin) runs
    right after it, at 03:00 or 03:30, as a run scheduled then does: the two are told apart by
    `ended` (whether a recorded period ended at a moment). The period starts at the skipped
    hour the day before, unless a period ended at the hour after it and none at that hour: the
    02:00 run had ended at 02:00 and, started at 03:00, left that hour's stories out."""
    local = now.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    days, rest = divmod(length, timedelta(days=1))
    start = (local - timedelta(days=days)).astimezone(UTC) - rest  # wall clock, then real
    skipped = local.replace(tzinfo=None) - timedelta(hours=1)
    if days and not _exists(skipped, zone):
        earlier = (skipped - timedelta(days=days)).replace(tzinfo=zone).astimezone(UTC) - rest
        if not (ended is not None and ended(start) and not ended(earlier)):
            start = earlier
    if now.tzinfo:
        return start.astimezone(now.tzinfo), local.astimezone(now.tzinfo)
    return start, local


def next_start(last_end: datetime | None, since: datetime, until: datetime) -> datetime:
    """Where a channel's digest ending at `until` may start: where its last recorded digest
    ended (`last_end`), if that was within `FOLLOW_WITHIN`; else `FOLLOW_WITHIN` back (or
    `since`, if earlier), never before `last_end`. A run late, early, by hand, at a moved hour
    or for another length takes exactly what the channel's digests have not listed yet; at
    `until` or later, nothing is left. A channel with no digest that recent had none of its
    stories of that stretch listed (a listed story leaves a digest ending after it); the caller
    starts at `since` when none was announced before it.

    Each period taken back from the run's own hour left a gap after a late run (its stories in
    no digest) and an overlap after an early or extra one (listed twice)."""
    bound = until - FOLLOW_WITHIN
    if last_end is not None and last_end >= bound:
        return last_end
    earliest = min(since, bound)
    return earliest if last_end is None else max(earliest, last_end)


def _exists(wall: datetime, zone: tzinfo) -> bool:
    """Whether the naive wall time `wall` happens in `zone` (not skipped by a DST change)."""
    there = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    return there.replace(tzinfo=None) == wall


def _line(story: DigestStory) -> str:
    """One story as one line, always within a section: the title yields room to the link."""
    title = clip(shown_title(story.title, story.url), MAX_TITLE_CHARS)
    sources = f" · {story.sources} sources" if story.sources > 1 else ""
    source = clip_escaped(" ".join((story.source or "unknown source").split()), 200)
    linked = link_url(story.url)
    tail = f"> — {source}{sources}"
    room = MAX_SECTION_CHARS - slack_len(linked) - slack_len(tail) - 4
    return f"• <{linked}|{label_escaped(title, room)}{tail}"


def _sections(lines: Sequence[str]) -> list[tuple[str, int]]:
    """Lines packed into sections under Slack's 3,000 characters, each with its line count."""
    sections: list[tuple[str, int]] = []
    current, count = "", 0
    for line in lines:
        if current and slack_len(current) + 1 + slack_len(line) > MAX_SECTION_CHARS:
            sections.append((current, count))
            current, count = "", 0
        current, count = (f"{current}\n{line}" if current else line), count + 1
    if current:
        sections.append((current, count))
    return sections


def _chunks(sections: Sequence[tuple[str, int]]) -> list[list[tuple[str, int]]]:
    """Sections packed into messages under Slack's block limits (blocks, and text in all)."""
    # the header's context line is short (a channel name, a period, a part number)
    room = MAX_MESSAGE_BLOCK_CHARS - HEADER_ROOM
    chunks: list[list[tuple[str, int]]] = []
    size = 0
    for section in sections:
        if not chunks or len(chunks[-1]) >= MAX_BLOCKS - 1 or size + slack_len(section[0]) > room:
            chunks.append([])
            size = 0
        chunks[-1].append(section)
        size += slack_len(section[0])
    return chunks or [[]]


def digest_parts(stories: Sequence[DigestStory]) -> list[int]:
    """How many stories each part holds as this release lays them out. Kept with the digest
    when it begins: a later call (perhaps of a release laying lines out otherwise) posts
    exactly the stories of the parts left, none skipped or repeated at a moved boundary."""
    chunks = _chunks(_sections([_line(story) for story in stories]))
    return [sum(count for _, count in chunk) for chunk in chunks]


def story_lines(blocks: Sequence[dict[str, Any]]) -> int:
    """How many stories a posted part shows (its `• <link|title>` lines), read back from Slack."""
    texts = [b.get("text", {}).get("text", "") for b in blocks if b.get("type") == "section"]
    return sum(line.startswith("• <") for text in texts for line in str(text).split("\n"))


def build_digest(
    channel: str,
    stories: Sequence[DigestStory],
    since: datetime,
    until: datetime,
    zone: tzinfo,
    digest_id: int = 0,
    parts: Sequence[int] | None = None,
) -> list[Message]:
    """The digest as messages: lines packed into sections under Slack's 3,000 characters,
    sections into messages under its block limits (blocks, and text in all); each part is
    numbered and marked. `parts`: the stories each part holds, kept when the digest began
    (`digest_parts`), else as this release lays them out."""
    period = f"{when(since, zone)} – {when(until, zone)}"
    lines = [_line(story) for story in stories]
    if parts and all(n > 0 for n in parts) and sum(parts) == len(stories):
        chunks = [_sections(lines[a:b]) for a, b in pairwise([0, *accumulate(parts)])]
    else:
        chunks = _chunks(_sections(lines))
    messages = []
    for n, chunk in enumerate(chunks, start=1):
        part = f" (part {n} of {len(chunks)})" if len(chunks) > 1 else ""
        count = plural(len(stories), "story", "stories")
        header = f"Digest for {channel}: {count}, {period}{part}"
        shown = clip_escaped(header, HEADER_ROOM)
        blocks: list[dict[str, Any]] = [
            {"type": "context", "elements": [{"type": "mrkdwn", "text": shown}]}
        ]
        blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": s}} for s, _ in chunk]
        marker = Marker(DIGEST_EVENT, f"{digest_id}:{n}")
        messages.append(Message(channel, shown, blocks, marker))
    return messages
