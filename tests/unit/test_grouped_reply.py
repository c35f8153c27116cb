"""One reply standing for a story's many copies: within Slack's limits however many and however
long their links, the rest counted, and its metadata naming every reply row it stands for (how
a lost post is found again, `Marker.found_in`)."""

from __future__ import annotations

from dataclasses import replace

from newsmon.alerts import REPLY_EVENT, Marker, build_reply, limit_violations
from newsmon.corpus.records import ReplyJob


def _jobs(n: int, url: str = "https://{i}.example/copy") -> ReplyJob:
    copies = [
        ReplyJob(i, 7, "#c", "1.2", f"wire {i}", url.format(i=i), "A story", 0)
        for i in range(1, n + 1)
    ]
    return replace(copies[0], also=tuple(copies[1:]))


def test_three_copies_are_one_reply_listing_them_all() -> None:
    message = build_reply(_jobs(3))
    text = message.blocks[0]["text"]["text"]
    assert text == (
        "Also reported by <https://1.example/copy|wire 1>, <https://2.example/copy|wire 2> "
        "and <https://3.example/copy|wire 3>"
    )
    assert message.text == "Also reported by wire 1, wire 2 and wire 3: A story"
    assert message.thread_ts == "1.2" and limit_violations(message) == []


def test_copies_with_long_links_fit_one_section_and_the_rest_are_counted() -> None:
    message = build_reply(_jobs(50, "https://{i}.example/" + "a" * 1900))
    text = message.blocks[0]["text"]["text"]
    assert limit_violations(message) == []
    assert text.endswith(" and 49 more")  # one 1,900-character link fills the section
    assert message.text.endswith("and 49 more: A story")


def test_the_metadata_names_every_reply_the_message_stands_for() -> None:
    message = build_reply(_jobs(3))
    assert message.marker is not None
    payload = message.marker.metadata()["event_payload"]
    assert payload == {"id": "1", "also": "2,3"}
    for n in ("1", "2", "3"):
        assert Marker(REPLY_EVENT, n).found_in(REPLY_EVENT, payload)
    assert not Marker(REPLY_EVENT, "4").found_in(REPLY_EVENT, payload)
    assert not Marker(REPLY_EVENT, "2").found_in("newsmon_alert", payload)
    assert not Marker(REPLY_EVENT, "2").found_in(REPLY_EVENT, {"id": "12"})
