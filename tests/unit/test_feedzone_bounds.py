"""A page's or feed's own word on its zone costs little whatever its bytes say (`feedzone`)."""

from __future__ import annotations

import time

from newsmon.feedzone import PAGE_HEAD, page_zone

# generous for a loaded 2-core machine: the patterns read a 16 KiB head in a millisecond
_BUDGET_S = 2.0


def test_a_head_of_repeated_meta_and_og_locale_is_read_in_bounded_time() -> None:
    # `<meta` openings then `property='og:locale'` without a content or a `>`: each opening met
    # each property and read on to the head's end (cubic), 25 s of the page's 10 s budget
    metas = b"<meta" * (PAGE_HEAD // 3 // 5)
    head = metas + b"property='og:locale'" * ((PAGE_HEAD - len(metas)) // 20)
    started = time.perf_counter()
    assert page_zone(head + b"<html lang='ko'>", "https://example.com/a") is None
    assert time.perf_counter() - started < _BUDGET_S


def test_a_head_of_repeated_html_openings_is_read_in_bounded_time() -> None:
    head = b"<html " * (PAGE_HEAD // 6) + b"<meta property='og:locale' content='ko_KR'>"
    started = time.perf_counter()
    assert page_zone(head, "https://example.com/a") is None  # past the head: not read
    assert time.perf_counter() - started < _BUDGET_S


def test_the_declarations_are_still_read_in_any_case() -> None:
    page = b"<!doctype html><HTML LANG='KO-kr'><head></head></HTML>"
    assert page_zone(page, "https://example.com/a") == "Asia/Seoul"
    og = b'<html><head><META Property="og:locale" CONTENT="ja_JP"></head></html>'
    assert page_zone(og, "https://example.com/a") == "Asia/Tokyo"
    assert page_zone(b"<html xml:lang='zh-TW'>", "https://example.com/a") == "Asia/Taipei"
