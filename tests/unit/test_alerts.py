"""Alert messages and routing, without Slack: escaping, content, channels, the console,
metadata, thread replies, time zones and webhook routing."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from newsmon.alerts import (
    ALERT_EVENT,
    MAX_LINK_URL_CHARS,
    REPLY_EVENT,
    WEBHOOK_CHANNEL,
    build_message,
    build_reply,
    escape,
    link_url,
    route,
)
from newsmon.config import SlackConfig
from newsmon.corpus.records import AlertJob, ReplyJob, StoredMatch
from newsmon.slack import ConsoleSender


def job(title: str = "DeepSeek opens its code", url: str = "https://ex.com/a?x=1&y=2") -> AlertJob:
    return AlertJob(
        id=1,
        article_id=7,
        channel="#ai-open-source",
        topics=["open-source"],
        attempts=0,
        title=title,
        url=url,
        source="frontier-wire",
        published_at=datetime(2025, 2, 21, 9, 30, tzinfo=UTC),
        matches=[
            StoredMatch(
                "open-source",
                6,
                [{"term": "open source", "field": "title", "position": 3, "count": 1}],
                "…released as open source <today> & more…",
            )
        ],
    )


def all_text(message) -> str:
    parts = [message.text]
    for block in message.blocks:
        if "text" in block:
            parts.append(block["text"]["text"])
        for element in block.get("elements", []):
            parts.append(element["text"])
    return "\n".join(parts)


def test_escape_control_characters() -> None:
    assert escape("a < b && c > d") == "a &lt; b &amp;&amp; c &gt; d"
    assert escape("<!channel> <@U123>") == "&lt;!channel&gt; &lt;@U123&gt;"


def test_message_escapes_hostile_title_and_snippet() -> None:
    message = build_message(job(title="Breaking <!channel> <@U123|boss> & <https://evil|click>"))
    text = all_text(message)
    assert "<!channel>" not in text and "<@U123" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt;" in text
    # the only link markup is ours, and it is well-formed
    link = message.blocks[0]["text"]["text"]
    assert link.startswith("*<https://ex.com/a?x=1&amp;y=2|") and link.endswith(">*")
    assert link.count("|") == 1  # a | in the title cannot split the link
    assert "&lt;today&gt; &amp; more" in text


def test_message_carries_title_source_date_topics_terms_snippet() -> None:
    message = build_message(job(), {"open-source": "Open-source AI"})
    text = all_text(message)
    for expected in (
        "DeepSeek opens its code",
        "frontier-wire",
        "2025-02-21 09:30 UTC",
        "Open-source AI",
        "`open source`",
        "released as open source",
    ):
        assert expected in text
    assert message.channel == "#ai-open-source"


def test_route_groups_topics_by_channel() -> None:
    slack = SlackConfig(
        channels={"open-source": "#oss", "policy": "#policy"}, default_channel="#news"
    )
    assert route(["policy", "open-source", "ai-safety"], slack) == {
        "#news": ["ai-safety"],
        "#oss": ["open-source"],
        "#policy": ["policy"],
    }
    shared = SlackConfig(channels={"open-source": "#ai", "policy": "#ai"}, default_channel=None)
    assert route(["open-source", "policy", "ai-safety"], shared) == {
        "#ai": ["open-source", "policy"]
    }


def test_console_sender_prints_readable_text() -> None:
    import io

    out = io.StringIO()
    ConsoleSender(out).post(build_message(job(title="A & B <!here>")))
    printed = out.getvalue()
    assert "alert → #ai-open-source" in printed
    assert "A & B <!here>" in printed  # unescaped for humans; no Slack involved


def test_message_shows_the_text_that_matched_rather_than_a_rule_expression() -> None:
    alert = job()
    alert.matches[0].terms[0].update(term="(open | opened) NEAR/3 (code | weights)")
    alert.matches[0].terms[0]["matched"] = "opens its code"
    text = all_text(build_message(alert))
    assert "`opens its code`" in text and "NEAR/3" not in text


def test_message_carries_metadata_naming_the_alert() -> None:
    message = build_message(job())
    assert message.marker is not None
    assert message.marker.metadata() == {"event_type": ALERT_EVENT, "event_payload": {"id": "1"}}
    assert message.thread_ts is None


def test_times_are_shown_in_the_configured_zone() -> None:
    text = all_text(build_message(job(), zone=ZoneInfo("Asia/Seoul")))
    assert "2025-02-21 18:30 KST" in text and "UTC" not in text
    assert SlackConfig().zone() == ZoneInfo("Asia/Seoul")  # the default


def test_webhook_mode_routes_every_topic_into_one_message_naming_them() -> None:
    slack = SlackConfig(channels={"open-source": "#oss", "policy": "#policy"})
    assert route(["policy", "open-source"], slack, webhook=True) == {
        WEBHOOK_CHANNEL: ["open-source", "policy"]
    }
    assert route([], slack, webhook=True) == {}
    both = AlertJob(**{**job().__dict__, "topics": ["open-source", "policy"]})
    text = all_text(build_message(both, {"policy": "AI policy"}, channels=slack.channels))
    assert "open-source (#oss)" in text and "AI policy (#policy)" in text


def test_reply_names_the_source_and_link_in_the_thread_only() -> None:
    reply = ReplyJob(
        5, 1, "#ai-policy", "1700.000001", "wire <b>", "https://w.ex/a?b=1&c=2", "T", 0
    )
    message = build_reply(reply)
    assert message.thread_ts == "1700.000001"
    assert message.marker is not None and message.marker.event_type == REPLY_EVENT
    text = all_text(message)
    assert "Also reported by wire &lt;b&gt;: <https://w.ex/a?b=1&amp;c=2>" in text


def test_message_shows_the_rule_words_that_matched_when_stored() -> None:
    alert = job()
    alert.matches[0].terms[0].update(
        term="(court | ruling) NEAR/5 (AI | chatbot)", matched="법률 수첩] AI", label="court … AI"
    )
    text = all_text(build_message(alert))
    assert "`court … AI`" in text and "수첩]" not in text and "NEAR/5" not in text


def test_sections_stay_within_slack_limits_after_escaping() -> None:
    from newsmon.alerts import MAX_LINK_URL_CHARS, MAX_SECTION_CHARS, clip_escaped

    # clipped before escaping, 2,900 "&" became 14,500 characters
    assert len(clip_escaped("&" * 5000, MAX_SECTION_CHARS)) <= MAX_SECTION_CHARS
    clipped = clip_escaped("a&" * 3000, 11)
    assert clipped.endswith("…") and len(clipped) <= 11
    assert "&amp;" in clipped and not clipped[:-1].endswith(("&", "&a", "&am", "&amp"))
    assert clip_escaped("a < b", 100) == "a &lt; b"
    job = AlertJob(
        1,
        1,
        "#c",
        ["policy"],
        0,
        "&" * 1000,
        "https://x.test/" + "a" * 5000,
        "feed",
        None,
        [StoredMatch("policy", 3, [{"term": "x"}], "<&>" * 2000)],
    )
    for block in build_message(job).blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    title = build_message(job).blocks[0]["text"]["text"]
    assert "<https://x.test/|" in title and len(title) < MAX_LINK_URL_CHARS


def test_link_url_never_raises_on_addresses_urllib_refuses() -> None:
    """A stored URL is kept as written when it cannot be parsed; rendering its alert must not fail
    (the outbox would retry it for ever), and the markup must stay one link."""
    assert link_url("http://a.example/\ud800x") == "http://a.example/%EF%BF%BDx"
    long_template = "http://[SITE_URL]/news/" + "a" * 3000
    linked = link_url(long_template)
    assert linked.startswith("http") and len(linked) <= MAX_LINK_URL_CHARS
    assert "news" not in linked and not set("<>|") & set(linked)


@pytest.mark.parametrize("control", ["\u202e", "\u202d", "\u202b", "\u2067", "\u2068"])
def test_a_title_cannot_turn_the_source_it_is_shown_with_around(control: str) -> None:
    """A title ending in a right-to-left override made the notification's "(source)" after
    it read backwards: "Breaking \\u202e)sretueR(" from frontier-wire showed as "Breaking
    (frontier-wire) (Reuters)" reversed, i.e. claimed another source. Embedding, override and
    isolate controls are dropped from the title; the right-to-left marks text needs stay."""
    hostile = f"Breaking {control})sretueR( \u200f\u05e9\u05dc\u05d5\u05dd\u200e"
    message = build_message(job(title=hostile))
    text = all_text(message)
    for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
        assert ch not in text
    assert message.text.endswith(
        "Breaking )sretueR( \u200f\u05e9\u05dc\u05d5\u05dd\u200e (frontier-wire)"
    )


def test_a_title_cut_between_graphemes_keeps_a_whole_cluster_longer_than_the_room() -> None:
    from newsmon.alerts import clip

    assert clip("Cafe\u0301 au lait", 5) == "Caf…"  # not "Cafe…": the accent went with its e
    assert clip("e" + "\u0301" * 20, 5) == "e\u0301\u0301\u0301…"  # one cluster: cut as is


def test_the_console_shows_a_strangers_text_without_what_a_terminal_acts_on() -> None:
    import io
    import re
    from dataclasses import replace

    # a JSON Feed title may hold any control ("\u001b" is valid JSON), XML allows C1 (U+009B
    # is CSI to an 8-bit terminal): printed as written, ESC[2J cleared the operator's screen,
    # OSC 52 wrote the clipboard, a right-to-left override ran backwards into the link line
    title = "Regulators \x1b[2J\x1b]52;c;ZXZpbA==\x07open \u009b1Aan AI \u202einquiry"
    snippet = "The inquiry\x1b[8m hidden\x1b[0m \u2067opens today"
    alert = replace(job(title=title), matches=[StoredMatch("policy", 5, [], snippet)])
    out = io.StringIO()
    ConsoleSender(out).post(build_message(alert))
    printed = out.getvalue()
    assert not re.findall("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", printed)
    assert (
        "open" in printed and "an AI inquiry" in printed and "https://ex.com/a?x=1&y=2" in printed
    )
    assert "The inquiry" in printed and "opens today" in printed
