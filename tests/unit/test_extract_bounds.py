"""Pages whose tree would cost trafilatura more than a worker's budget: refused in bounded
time with one readable note, the entry's other text (feed summary, JSON-LD) used instead."""

from __future__ import annotations

import time

from newsmon.extract import MAX_PAGE_TAGS, extract_article

STORY = "<p>" + "The council approved the new harbour budget after a long debate. " * 6 + "</p>"
SUMMARY = "The council approved the harbour budget."


def _deep(links: str) -> bytes:
    page = f"<html><body><h1>T</h1>{STORY}{'<div>' * 250}{links}{'</div>' * 250}</body></html>"
    assert page.count("<") < MAX_PAGE_TAGS  # under the tag cap: it was handed to trafilatura
    return page.encode()


def test_a_page_of_many_links_nested_deep_is_refused_in_bounded_time() -> None:
    """98,000 links 250 blocks deep: trafilatura's link-density step reads every link once
    per block above it, 40 s of CPU (a worker's budget is 10 s): the pass lost the page and
    its budget, with no word of why."""
    started = time.process_time()
    got = extract_article(
        _deep("<a href='/x'>y" * 98_000), url="http://x.example/a", feed_summary=SUMMARY
    )
    assert time.process_time() - started < 3  # 43 s before
    assert got.source == "feed-summary" and got.text == SUMMARY
    assert got.note is not None and "too deep" in got.note, got.note


def test_a_deep_page_with_json_ld_yields_its_article() -> None:
    body = "The council approved the new harbour budget after a long debate in the town hall. " * 3
    ld = '<script type="application/ld+json">{"@type": "NewsArticle", "articleBody": "%s"}</script>'
    links = "<a href='/x'>y</a>" * 49_000 + ld % body
    started = time.process_time()
    got = extract_article(_deep(links), url="http://x.example/a")
    assert time.process_time() - started < 3  # 20 s before
    assert got.source == "json-ld" and got.text == body.strip()


def test_an_ordinary_page_is_not_refused() -> None:
    """The bound is far above news pages (the 183 real pages: at most 21,300 element-levels)."""
    rows = "".join(
        f"<div><div><p><a href='/n{i}'>headline {i}</a></p></div></div>" for i in range(3_000)
    )
    page = f"<html><body><div><div><h1>T</h1>{STORY}</div></div>{rows}</body></html>".encode()
    got = extract_article(page, url="http://x.example/a")
    assert got.source == "page" and "harbour budget" in got.text, got.note
