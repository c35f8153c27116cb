"""What a reader sees, as the fake Slack receives an alert through the real slack_sdk client:
a stranger's text cannot reorder newsmon's own words around it, and a long title is cut
between the characters a reader sees (grapheme clusters), never inside one."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import regex

from newsmon.alerts import build_message, build_reply
from newsmon.corpus.records import ReplyJob, StoredMatch
from newsmon.slack import SlackWebSender
from tests.support.fake_slack import FakeSlack
from tests.unit.test_alerts import job

# Bidi embeddings, overrides and isolates: each runs on until the end of its paragraph.
BIDI_RUNS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def texts(post: dict[str, Any]) -> list[str]:
    out = [post["text"]]
    for block in post["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [e["text"] for e in block.get("elements", [])]
    return out


def test_a_strangers_bidi_controls_in_terms_and_snippet_reorder_nothing_slack_shows(
    slack: FakeSlack,
) -> None:
    # an evidence row stored before labels shows the span the text held: a right-to-left
    # override there turned "and 1 more" and the next term around; the snippet's ran to its end
    hits = [
        {"term": "open source", "matched": "\u202eopen source", "field": "body"},
        {"term": "github", "matched": "GitHub\u2067", "field": "body"},
    ]
    snippet = "The code \u202eis on GitHub\u2066 under MIT \u202d(really)"
    alert = replace(job(), matches=[StoredMatch("open-source", 6, hits, snippet)])
    SlackWebSender(slack.token, base_url=slack.api_url).post(build_message(alert))
    [post] = slack.posts
    shown = texts(post)
    assert not [t for t in shown if BIDI_RUNS.search(t)], shown
    assert "Matched: `open source`, `GitHub`" in shown
    assert "> The code is on GitHub under MIT (really)" in shown


FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one grapheme, 7 code points


def graphemes(text: str) -> list[str]:
    return list(regex.findall(r"\X", text))


def test_a_long_title_is_cut_between_the_characters_a_reader_sees(slack: FakeSlack) -> None:
    titles = [
        FAMILY * 100,  # emoji joined by ZWJ: cut inside, a family shows as two women
        "Cafe\u0301" * 100,  # a combining accent: cut before it, "Café" shows as "Cafe"
        "\u1112\u1161\u11ab\u1100\u116e\u11a8 " * 100,  # 한국 in conjoining jamo (NFD)
        "\U0001f1f0\U0001f1f7" * 200,  # flags: cut between a pair, a lone regional letter
    ]
    sender = SlackWebSender(slack.token, base_url=slack.api_url)
    for n, title in enumerate(titles):
        sender.post(build_message(replace(job(title=title), id=n + 1)))
    assert len(slack.posts) == len(titles)
    whole = [set(graphemes(title)) for title in titles]
    for post, seen in zip(slack.posts, whole, strict=True):
        label = post["blocks"][0]["text"]["text"].split("|", 1)[1].removesuffix(">*")
        notification = post["text"].removeprefix("[open-source] ").removesuffix(" (frontier-wire)")
        for cut in (label, notification):
            assert cut.endswith("…")
            assert set(graphemes(cut[:-1].rstrip())) <= seen, cut[-12:]


def test_a_thread_replys_notification_names_the_story_it_is_about(slack: FakeSlack) -> None:
    # a reply's text is what a thread's followers get as a push notification and a screen
    # reader reads: "Also reported by wire-a: https://…" did not say which of the day's stories
    sender = SlackWebSender(slack.token, base_url=slack.api_url)
    title = "정부, AI 기본법 시행령 공개 \u202e… 오픈소스 모델 규제 완화"
    parent = sender.post(build_message(job(title=title)))
    assert parent.ts is not None
    one = ReplyJob(5, 1, "#ai-open-source", parent.ts, "wire-a", "https://a.example/1", title, 0)
    two = replace(one, id=6, source="wire-b", url="https://b.example/2")
    sender.post(build_reply(one))
    sender.post(build_reply(replace(one, also=(two,))))
    shown = "정부, AI 기본법 시행령 공개 … 오픈소스 모델 규제 완화"
    assert [r["text"] for r in slack.replies()] == [
        f"Also reported by wire-a: {shown} (https://a.example/1)",
        f"Also reported by wire-a and wire-b: {shown}",
    ]
