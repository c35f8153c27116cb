"""A digest's stories as its row keeps them (JSON), each with the part it went out in, so a
digest resumed by a later call, or a later release, posts the same parts (split from
`corpus.digests`, at its size limit)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import groupby
from typing import Any

from newsmon.corpus.records import DigestStory


def kept_content(stories: Sequence[DigestStory], parts: Sequence[int]) -> list[dict[str, Any]]:
    """The stories as kept, each with the part it is in (when `parts` counts them all)."""
    content = [story_json(story) for story in stories]
    if parts and sum(parts) == len(content):
        numbers = (n for n, count in enumerate(parts) for _ in range(count))
        for item, n in zip(content, numbers, strict=True):
            item["part"] = n
    return content


def kept_parts(content: Sequence[dict[str, Any]]) -> list[int] | None:
    """How many stories each part holds, from the kept content; None when not kept."""
    numbers = [item.get("part") for item in content]
    if not numbers or any(not isinstance(n, int) for n in numbers):
        return None
    return [len(list(group)) for _, group in groupby(numbers)]


def story_json(story: DigestStory) -> dict[str, Any]:
    return {
        "article_id": story.article_id,
        "title": story.title,
        "url": story.url,
        "source": story.source,
        "sources": story.sources,
        "first_seen_at": story.first_seen_at.isoformat(),
    }


def story_of(item: dict[str, Any]) -> DigestStory:
    return DigestStory(
        int(item["article_id"]),
        item.get("title"),
        str(item["url"]),
        item.get("source"),
        int(item.get("sources") or 1),
        datetime.fromisoformat(str(item["first_seen_at"])),
    )
