"""Health's unread pages of one feed: download failures always count; pages read without
article text count only when the feed's pages used to hold text (a redesign), not when they
never did (links to X posts, short briefs) nor for a feed with no history."""

from __future__ import annotations

from newsmon.corpus.page_health import USED_TO_READ_MIN, PageCounts

FAILED, TEXTLESS, READ = 1, 2, 0


def counts(earlier: list[bool], recent: list[int]) -> PageCounts:
    """`earlier`: whether each article of the history had its page's text; `recent`: each
    article of the window, as `feed_health`'s query says it."""
    c, n = PageCounts(), 0
    for read in earlier:
        n += 1
        c.add(n, False, 0 if read else TEXTLESS, read, None)
    for unread in recent:
        n += 1
        c.add(n, True, unread, unread == READ, f"why {n}" if unread else None)
    return c


def test_textless_pages_count_when_the_feed_used_to_have_its_pages_read() -> None:
    c = counts([True] * 6 + [False] * 2, [TEXTLESS] * 5 + [READ])
    assert c.judged() == (6, 5, "why 13")


def test_pages_that_never_held_text_do_not_count() -> None:
    assert counts([False] * 20, [TEXTLESS] * 7).judged() == (7, 0, None)
    # a feed of links read now and then (a blog among tweets): less than half before
    assert counts([True] * 6 + [False] * 7, [TEXTLESS] * 7).judged() == (7, 0, None)
    # too little history to say its pages used to be read
    few = [True] * (USED_TO_READ_MIN - 1)
    assert counts(few, [TEXTLESS] * 7).judged() == (7, 0, None)


def test_a_new_feed_says_nothing_about_text_but_download_failures_count() -> None:
    assert counts([], [TEXTLESS] * 6).judged() == (6, 0, None)
    c = counts([], [FAILED, TEXTLESS, FAILED, TEXTLESS])
    assert c.judged() == (4, 2, "why 3")  # the newest failure's reason, not a textless one


def test_the_newest_counted_reason_is_shown_whichever_kind() -> None:
    c = counts([True] * 5, [TEXTLESS, FAILED, TEXTLESS])
    assert c.judged() == (3, 3, "why 8")
