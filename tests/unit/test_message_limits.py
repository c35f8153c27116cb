"""Every message newsmon builds stays within Slack's limits, whatever the feed sent: a block over
a limit is refused with `invalid_blocks` or `msg_blocks_too_long`, a permanent failure of that
message — the alert would be lost. Hostile inputs, generated from a fixed seed (pure, no Slack).

Slack counts characters of the text as sent (escaped), and not in code points: lengths here are
UTF-16 code units, so an emoji counts twice.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from newsmon.alerts import (
    MAX_LINK_URL_CHARS,
    MAX_MESSAGE_BLOCK_CHARS,
    Message,
    build_message,
    build_reply,
    limit_violations,
    link_url,
    slack_len,
)
from newsmon.corpus.records import AlertJob, DigestStory, ReplyJob, StoredMatch
from newsmon.digest import build_digest

PIECES = [
    "&",
    "<",
    ">",
    "&amp;",
    "|",
    "`",
    "*",
    "<!channel>",
    "😀",
    "👩‍👩‍👧",
    "e\u0301\u0302\u0303",
    "법률",
    "AI",
    " ",
    "\u200b",
    "a",
    "%",
    "\ufffd",
]


def hostile(rng: random.Random, longest: int) -> str:
    size = rng.choice([0, 1, 5, 80, 300, longest])
    return "".join(rng.choice(PIECES) for _ in range(size))


def hostile_url(rng: random.Random) -> str:
    size = rng.choice([10, 500, 1990, 2100, 8000])
    return "https://x.test/" + "".join(
        rng.choice(["&", "a", "é", "😀", "<", "|", "%"]) for _ in range(size)
    )


def terms(rng: random.Random) -> list[dict[str, Any]]:
    return [
        {
            "term": hostile(rng, 3000),
            "label": hostile(rng, 400) if rng.random() < 0.7 else None,
            "matched": hostile(rng, 3000),
        }
        for _ in range(rng.choice([0, 1, 15, 40]))
    ]


def alert_job(rng: random.Random) -> AlertJob:
    topics = [hostile(rng, 200) or "t" for _ in range(rng.choice([1, 3, 60]))]
    return AlertJob(
        1,
        1,
        "#c",
        topics,
        0,
        hostile(rng, 5000) or None,
        hostile_url(rng),
        hostile(rng, 80) or None,
        datetime(2025, 2, 21, 9, 30, tzinfo=UTC),
        [StoredMatch(t, 3, terms(rng), hostile(rng, 6000)) for t in topics[:3]],
    )


def test_slack_len_counts_utf16_code_units() -> None:
    assert slack_len("a") == 1 and slack_len("😀") == 2 and slack_len("é") == 1


def test_limit_violations_sees_what_slack_refuses() -> None:
    big = {"type": "section", "text": {"type": "mrkdwn", "text": "a" * 3001}}
    assert limit_violations(Message("#c", "x", [big]))
    emoji = {"type": "section", "text": {"type": "mrkdwn", "text": "😀" * 1501}}
    assert limit_violations(Message("#c", "x", [emoji]))
    many = [{"type": "section", "text": {"type": "mrkdwn", "text": "a"}}] * 51
    assert limit_violations(Message("#c", "x", many))
    assert not limit_violations(Message("#c", "x", many[:3]))


def test_many_long_matched_spans_fit_one_section() -> None:
    """15 stored labels of 80 "&" each were 6,000 characters escaped: invalid_blocks."""
    job = AlertJob(
        1,
        1,
        "#c",
        ["policy"],
        0,
        "title",
        "https://x.test/a",
        "feed",
        None,
        [StoredMatch("policy", 3, [{"label": f"{i}" + "&" * 80} for i in range(15)], "")],
    )
    message = build_message(job)
    assert limit_violations(message) == []
    matched = next(b for b in message.blocks if b.get("text", {}).get("text", "").startswith("M"))
    assert "`0" in matched["text"]["text"]  # the first terms are still shown


def test_a_long_link_and_an_escaped_title_fit_the_title_section() -> None:
    """A 1,990-character URL plus a 250-character title of "&" (1,250 escaped) was 3,255."""
    job = AlertJob(
        1, 1, "#c", ["p"], 0, "&" * 250, "https://x.test/" + "a" * 1975, "feed", None, []
    )
    message = build_message(job)
    assert limit_violations(message) == []
    assert message.blocks[0]["text"]["text"].startswith("*<https://x.test/aaa")


def test_every_message_stays_within_slacks_limits_on_hostile_inputs() -> None:
    rng = random.Random(20250221)
    for _ in range(150):
        alert = build_message(alert_job(rng), {}, UTC, None)
        assert limit_violations(alert) == [], limit_violations(alert)
        reply = build_reply(
            ReplyJob(1, 1, "#c", "1.2", hostile(rng, 80), hostile_url(rng), hostile(rng, 300), 0)
        )
        assert limit_violations(reply) == []
    for _ in range(20):
        stories = [
            DigestStory(
                i,
                hostile(rng, 5000) or None,
                hostile_url(rng),
                hostile(rng, 80) or None,
                rng.choice([1, 2, 999]),
                datetime(2025, 2, 21, tzinfo=UTC),
            )
            for i in range(rng.choice([1, 10, 200]))
        ]
        parts = build_digest(
            "#c", stories, datetime(2025, 2, 20, tzinfo=UTC), datetime(2025, 2, 21, tzinfo=UTC), UTC
        )
        for part in parts:
            assert limit_violations(part) == [], limit_violations(part)
        # every story is in the digest, once
        links = sum(b["text"]["text"].count("\n• ") + 1 for p in parts for b in p.blocks[1:])
        assert links == len(stories)


def test_a_digest_message_stays_under_slacks_cumulative_block_text() -> None:
    """39 full sections (113,000 characters) in one message: msg_blocks_too_long."""
    stories = [
        DigestStory(i, "t" * 240, "https://x.test/" + "a" * 1000, "feed", 1, datetime.now(UTC))
        for i in range(300)
    ]
    since, until = datetime(2025, 2, 20, tzinfo=UTC), datetime(2025, 2, 21, tzinfo=UTC)
    for part in build_digest("#c", stories, since, until, UTC):
        total = sum(slack_len(b["text"]["text"]) for b in part.blocks if "text" in b)
        total += sum(slack_len(e["text"]) for b in part.blocks for e in b.get("elements", []))
        assert total <= MAX_MESSAGE_BLOCK_CHARS


def test_a_link_whose_host_alone_is_too_long_still_fits_every_message() -> None:
    """A link over 2,000 characters links its site's root instead; a garbled feed's link whose
    host itself runs to hundreds of accented letters (6 characters each, percent-encoded) made
    a root of 4,000: the alert's section was refused (invalid_blocks, the alert lost), and the
    digest part holding the story, with every other story of that part, could never be posted."""
    url = "https://" + "é" * 700 + ".example/story"  # stored URLs are cut at 2,000
    assert slack_len(link_url(url)) <= MAX_LINK_URL_CHARS
    alert = AlertJob(1, 1, "#c", ["p"], 0, "A title", url, "feed", None, [])
    assert limit_violations(build_message(alert)) == []
    reply = build_reply(ReplyJob(1, 1, "#c", "1.2", "feed", url, "A title", 0))
    assert limit_violations(reply) == []
    day = datetime(2025, 2, 21, tzinfo=UTC)
    stories = [DigestStory(1, "Fine story", "https://x.test/a", "feed", 1, day)]
    stories.append(DigestStory(2, "Garbled story", url, "feed", 1, day))
    parts = build_digest("#c", stories, day - timedelta(days=1), day, UTC)
    assert [limit_violations(p) for p in parts] == [[] for _ in parts]
    assert sum("Fine story" in b["text"]["text"] for p in parts for b in p.blocks[1:]) == 1
