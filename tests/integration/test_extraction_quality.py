"""Extraction quality on real pages: how much of each page's article newsmon's extractor keeps
and how much else it lets in, against the truth files of ../shared/corpus/pages.

Floors are a little under the figures measured when they were set (README, "Extraction"), so
a change that loses article text or lets site chrome in fails here. Pages are extracted without
a feed summary: what the page alone yields. Skipped when the shared corpus is absent.
"""

from __future__ import annotations

import statistics

import pytest

from tests.support.shared_news import SHARED_PAGES
from tests.support.shared_pages import PageScore, page_scores

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(
        not (SHARED_PAGES / "index.json").is_file(), reason="../shared/corpus/pages is absent"
    ),
]

# (source, truth kind): (pages at least, mean precision, mean recall)
FLOORS = {
    ("scrapinghub", "body"): (80, 0.95, 0.97),  # human-annotated bodies, mostly English
    ("trafilatura", "snippets"): (51, 0.93, 0.90),  # must / must-not snippets, 8 languages
    ("mitul-kalariya", "crawler"): (43, 0.92, 0.94),  # Korean news sites (crawler output)
    ("newspaper4k", "crawler"): (9, 0.88, 0.95),
}


def _groups() -> dict[tuple[str, str], list[PageScore]]:
    groups: dict[tuple[str, str], list[PageScore]] = {}
    for s in page_scores():
        groups.setdefault((s.source, s.kind), []).append(s)
    return groups


@pytest.mark.parametrize("group", list(FLOORS), ids=lambda g: f"{g[0]}-{g[1]}")
def test_extraction_keeps_the_article_and_leaves_the_chrome(group: tuple[str, str]) -> None:
    pages = _groups()[group]
    least, precision, recall = FLOORS[group]
    assert len(pages) >= least
    got = (
        statistics.mean(p.precision for p in pages),
        statistics.mean(p.recall for p in pages),
    )
    assert got[0] >= precision and got[1] >= recall, (group, got)


def test_every_korean_news_page_yields_its_article() -> None:
    """Client-rendered pages (Chosun Ilbo's app state) and video pages (their description) once
    yielded nothing without a feed summary."""
    korean = _groups()[("mitul-kalariya", "crawler")]
    empty = [p.id for p in korean if not p.extracted.text]
    assert empty == []
    assert {p.extracted.source for p in korean} >= {"page", "app-state", "page-description"}
    assert min(p.recall for p in korean) >= 0.5, sorted((p.recall, p.id) for p in korean)[:3]
