"""Untrusted text (a server's reason phrase, a page's title, a snippet) cannot format the rest of
a Slack message: mrkdwn's ``*``, ``_``, ``~`` and backticks in it could pair with newsmon's own
markup or with another feed's text, and Slack documents no escape for them. What a reader sees
is read with `tests.support.mrkdwn`, a model of Slack's rules. Pure: no Slack, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newsmon.alerts import build_message, build_reply, clip_escaped, limit_violations, slack_len
from newsmon.corpus.records import (
    AlertJob,
    DigestStory,
    FeedHealth,
    ReplyJob,
    RunRecord,
    RunStatus,
    StoredMatch,
)
from newsmon.digest import build_digest
from newsmon.health import HealthReport, assess
from newsmon.notices import MAX_SINGLE, Draft, plan_notices
from tests.support.mrkdwn import render, shown, styled

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
DONE = RunRecord(1, "monitor", RunStatus.COMPLETED, NOW - timedelta(minutes=3), NOW, {})


def failing(name: str, error: str) -> FeedHealth:
    """A feed failing for two days, its last error `error` (a server's reason phrase)."""
    return FeedHealth(
        name,
        f"https://{name}.example/feed",
        NOW - timedelta(minutes=5),
        NOW - timedelta(days=2),
        error,
        NOW - timedelta(minutes=5),
        7,
        10,
        3,
        created_at=NOW - timedelta(days=30),
        last_new_at=NOW - timedelta(hours=2),
    )


def health(*feeds: FeedHealth) -> HealthReport:
    return assess(NOW, [DONE], list(feeds), {})


def test_a_backtick_in_a_servers_reason_phrase_leaves_the_notices_hint_as_code() -> None:
    """HTTP 502 "`Bad Gateway": the backtick paired with the hint's, so "What to do: open the
    feed's URL;" showed as code and the command `newsmon feeds` as plain text with a stray
    backtick after it."""
    [draft] = plan_notices(health(failing("wire", "HTTP 502 `Bad Gateway")), []).drafts
    assert [r.text for r in styled(draft.text) if "code" in r.styles] == ["newsmon feeds"]
    assert not [r for r in styled(draft.text) if "Bad Gateway" in r.text or "What" in r.text]
    assert "Bad Gateway" in shown(draft.text)


def test_a_star_in_a_reason_phrase_does_not_run_bold_into_the_flapping_note() -> None:
    """ "HTTP 500 *crash": the star paired with the end of newsmon's *Flapping*, so the
    notice showed "crash. *Flapping" in bold, a literal star in the middle."""
    key = "feed_failing:wire"
    report = health(failing("wire", "HTTP 500 *crash"))
    [draft] = plan_notices(report, [], resolved={key: NOW - timedelta(hours=1)}).drafts
    assert [r.text for r in styled(draft.text) if "bold" in r.styles] == [
        "feed failing",
        "Flapping",
    ]


def test_a_code_block_in_one_feeds_error_does_not_swallow_the_other_feeds_of_a_notice() -> None:
    """A CDN answering "```" as its reason phrase for two feeds of a grouped notice: every line
    between them was one code block, the feed between shown as ``*feed failing*`` markup."""
    names = [f"feed-{i}" for i in range(MAX_SINGLE + 1)]
    errors = ["HTTP 503 ```", "HTTP 503 Service Unavailable", "HTTP 503 ```", "HTTP 503"]
    [draft] = plan_notices(health(*map(failing, names, errors)), []).drafts
    assert isinstance(draft, Draft) and len(draft.opens) == len(names)
    assert not [r for r in render(draft.text) if "pre" in r.styles]
    code = [r.text for r in styled(draft.text) if "code" in r.styles]
    assert code == ["newsmon feeds"] * len(names)  # each line's hint
    bold = [r.text for r in styled(draft.text) if "bold" in r.styles]
    assert bold == [f"{len(names)} × feed failing", *["feed failing"] * len(names)]


def alert(title: str, snippet: str) -> AlertJob:
    match = StoredMatch("policy", 5, [{"term": "AI Act", "field": "title"}], snippet)
    return AlertJob(1, 7, "#policy", ["policy"], 0, title, "https://ex.com/a", "wire", NOW, [match])


def test_an_alerts_title_and_snippet_are_separate_texts_and_stay_within_slacks_limits() -> None:
    """A title and a snippet holding mrkdwn delimiters: each field is a text of its own (a star
    in the title cannot pair with one in the snippet), the title is the link's label, and the
    neutral characters count as Slack counts: the message stays within every limit."""
    title = "*Breaking* ```AI Act``` _vote_ ~fails~ `now` " + "*x " * 300
    message = build_message(alert(title, "the *real* reason ```code``` and _more_ " * 200))
    assert limit_violations(message) == []
    [link] = [r for r in render(message.blocks[0]["text"]["text"]) if r.link]
    assert link.link == "https://ex.com/a" and "Breaking" in link.text and "AI Act" in link.text
    # the snippet's own stars and backticks made parts of it bold and code, the stars gone
    snippet = message.blocks[-1]["text"]["text"]
    assert slack_len(snippet) <= 2900 and styled(snippet) == []
    assert "the ∗real∗ reason" in shown(snippet)


def test_a_reply_and_a_digest_keep_their_links_whatever_the_titles_hold() -> None:
    reply = build_reply(
        ReplyJob(1, 2, "#policy", "1.0", "other-wire", "https://b.example/x", "T", 0)
    )
    assert [r.link for r in render(reply.blocks[0]["text"]["text"]) if r.link] == [
        "https://b.example/x"
    ]
    titles = ["Vote ```on", "the `AI Act", "*today", "ends```", "_ok_"]
    stories = [
        DigestStory(i, t, f"https://ex.com/{i}", "wire", 1, NOW) for i, t in enumerate(titles)
    ]
    [message] = build_digest("#policy", stories, NOW - timedelta(days=1), NOW, UTC)
    section = message.blocks[1]["text"]["text"]
    assert [r.link for r in render(section) if r.link] == [s.url for s in stories]
    assert styled(section) == []


def test_words_and_addresses_keep_their_characters() -> None:
    """Only delimiters that could pair change: one inside a word (`snake_case`, where Slack
    formats nothing) stays, and so does a bare URL's, which Slack links whole."""
    text = "llama_cpp 2*3 see https://ex.com/~u/_x_/*a and *b*"
    shown_text = shown(clip_escaped(text, 200))
    assert shown_text.startswith("llama_cpp 2*3 see https://ex.com/~u/_x_/*a and ")
    assert styled(clip_escaped(text, 200)) == []


def test_a_links_user_part_is_shown_nowhere_a_reader_looks() -> None:
    """``https://www.bbc.co.uk@evil.example/…`` leads to evil.example but reads as the BBC's:
    a reply's link and notification, and an untitled digest line, show it without the user
    part (as an alert does), and a link's password is not posted."""
    url = "https://www.bbc.co.uk:hunter2@evil.example/a@b?x=@"
    reply = build_reply(ReplyJob(1, 1, "#c", "1.2", "wire", url, None, 0))
    [digest] = build_digest("#c", [DigestStory(1, None, url, "wire", 2, NOW)], NOW, NOW, UTC)
    for message in (reply, digest):
        texts = [message.text, *(b["text"]["text"] for b in message.blocks if "text" in b)]
        assert not any("bbc" in text or "hunter2" in text for text in texts)
        links = [r for text in texts for r in render(text) if r.link]
        assert links and all(r.link == "https://evil.example/a@b?x=@" for r in links)
    assert reply.text.endswith("https://evil.example/a@b?x=@")
