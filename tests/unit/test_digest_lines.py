"""A digest's lines as the channel reads them: every title shows something to click, a
stranger's title cannot restyle the text after it, and the header's count reads right."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from newsmon.alerts import Message, build_message, build_reply, limit_violations
from newsmon.corpus.records import AlertJob, DigestStory, ReplyJob
from newsmon.digest import build_digest, digest_parts

SINCE, UNTIL = datetime(2025, 2, 20, tzinfo=UTC), datetime(2025, 2, 21, tzinfo=UTC)
URL = "https://news.example/story?id=1&lang=ko"
_LABEL = re.compile(r"<[^|>]+\|([^>]*)>")


def _story(title: str | None, n: int = 1, sources: int = 1) -> DigestStory:
    return DigestStory(n, title, f"{URL}&n={n}", "wire", sources, SINCE)


def _lines(messages: list[Message]) -> list[str]:
    return [line for m in messages for b in m.blocks[1:] for line in b["text"]["text"].split("\n")]


@pytest.mark.parametrize(
    "title", ["   ", "\n\t ", "\u200b\u2060\ufeff", " \u3164 \u00ad", "", "\u2800\u2800 \u2800"]
)
def test_a_title_with_nothing_to_show_is_shown_as_its_link(title: str) -> None:
    """A title of spaces or invisible characters left the link with an empty label: a line
    with nothing to click on."""
    [message] = build_digest("#c", [_story(title)], SINCE, UNTIL, UTC)
    [line] = _lines([message])
    [label] = _LABEL.findall(line)
    assert label == "https://news.example/story?id=1&amp;lang=ko&amp;n=1"


def test_an_alert_whose_title_shows_nothing_is_shown_as_its_link() -> None:
    job = AlertJob(1, 1, "#c", ["policy"], 0, "\u200b ", URL, "wire", None, [])
    message = build_message(job)
    assert message.blocks[0]["text"]["text"].startswith(f"*<{URL.replace('&', '&amp;')}|https")
    assert "https://news.example" in message.text


def test_a_bidi_override_in_a_title_cannot_run_on_into_the_source() -> None:
    """An unclosed right-to-left override in a title reversed the " — source · 2 sources" after
    it: a stranger's title could make the line name another source. Alerts already drop them."""
    title = "Breaking \u202ekaeL\u2066 news\u2067"
    [message] = build_digest("#c", [_story(title, sources=2)], SINCE, UNTIL, UTC)
    [line] = _lines([message])
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", line)
    assert "Breaking kaeL news> — wire · 2 sources" in line


def test_mrkdwn_controls_in_titles_are_text() -> None:
    title = "<!channel> <@U0123> <#C42|x> & *bold* | <https://evil.example|click>"
    [message] = build_digest("#c", [_story(title)], SINCE, UNTIL, UTC)
    [line] = _lines([message])
    [label] = _LABEL.findall(line)
    assert "<" not in label and ">" not in label and "|" not in label
    assert label.startswith("&lt;!channel&gt; &lt;@U0123&gt;")
    assert limit_violations(message) == []


@pytest.mark.parametrize("count", [1, 2, 150])
def test_the_header_counts_the_stories_its_lines_show(count: int) -> None:
    stories = [_story(f"Story {n} " + "y" * 230, n) for n in range(count)]
    messages = build_digest("#c", stories, SINCE, UNTIL, UTC)
    lines = _lines(messages)
    assert len(lines) == count and all(f"&amp;n={n}|Story {n} " in lines[n] for n in range(count))
    noun = "story" if count == 1 else "stories"
    assert all(f"Digest for #c: {count} {noun}, " in m.text for m in messages)


@pytest.mark.parametrize("control", ["\u202e", "\u2067"])
def test_an_untitled_storys_link_shown_in_its_place_cannot_turn_the_source_around(
    control: str,
) -> None:
    """A story without a title shows its link instead, and a link keeps what its feed wrote
    in the host: an override there reversed what follows it, as in a title (the notification's
    "(source)", the line's " — source"), and made the address read as another. Dropped."""
    bidi = re.compile("[\u202a-\u202e\u2066-\u2069]")
    url = f"https://{control}moc.sretuer.news.example/a"
    [message] = build_digest("#c", [DigestStory(1, None, url, "wire", 2, SINCE)], SINCE, UNTIL, UTC)
    [line] = _lines([message])
    assert not bidi.search(line) and line.endswith("/a> — wire · 2 sources")
    alert = build_message(AlertJob(1, 1, "#c", ["policy"], 0, None, url, "frontier-wire", None, []))
    reply = build_reply(ReplyJob(1, 1, "#c", "1.2", "wire", url, None, 0))
    for shown in (alert, reply):
        texts = [shown.text, *(b["text"]["text"] for b in shown.blocks if "text" in b)]
        assert not any(bidi.search(text) for text in texts)
    assert alert.text.endswith("moc.sretuer.news.example/a (frontier-wire)")


def test_kept_parts_decide_which_stories_each_part_holds() -> None:
    """A digest's parts as kept when it began: each holds its stories whatever this release's
    lines would pack; counts that do not fit the stories are laid out anew."""
    stories = [_story(f"Story {n} " + "y" * 230, n) for n in range(150)]
    laid_out = digest_parts(stories)
    assert len(laid_out) > 1 and sum(laid_out) == 150
    kept = [laid_out[0] - 5, *laid_out[1:-1], laid_out[-1] + 5]  # another release's boundary
    messages = build_digest("#c", stories, SINCE, UNTIL, UTC, parts=kept)
    assert [len(_lines([m])) for m in messages] == kept
    assert all(f"of {len(kept)})" in m.text for m in messages)
    fallback = build_digest("#c", stories, SINCE, UNTIL, UTC, parts=[1, 2])
    assert [len(_lines([m])) for m in fallback] == laid_out
