"""The real `monitor` flow over a second outlet's teaser of a story whose full page is stored:
one alert per story.

"wire" links full pages (two stories, English and Korean, and another DeepSeek release the
same week told with the same opening words). "digest" carries the two stories under other
headlines, each with a teaser of about 150 characters (the article's opening, cut with "…"),
and a teaser of the other release; its pages are gone (404), so the teasers are what is
stored. Pages and texts come from the labelled set (tests/data/dedup/*.txt), served on
loopback. The topic rules are the test's own, so every item matches: what is checked is
which items speak.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsmon.corpus import Store
from newsmon.corpus.records import DuplicateReason
from newsmon.devsite import serve
from newsmon.report import PassTotals
from tests.flows.test_monitor_flow import run_monitor
from tests.flows.test_near_duplicates_flow import _feed, _item
from tests.support.configs import write_config
from tests.support.dedup_set import Piece, pieces, render
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")

STORIES = ("en-openai-o3-mini", "ko-gpu-center")
OTHER = "en-deepseek-janus"  # the same opening words as en-deepseek-r1, another story
PAGES = (*STORIES, "en-deepseek-r1")
TEASER_CHARS = 150

TOPICS = """\
version: 2
topics:
  ai-news:
    label: "AI news"
    min_score: 1
    terms:
      en: ["OpenAI", "DeepSeek"]
      ko: ["과학기술정보통신부"]
"""


def teaser(p: Piece) -> str:
    """A feed's teaser: the article's opening, cut at a word near TEASER_CHARS with "…"."""
    lead = p.paragraphs[0]
    if len(lead) <= TEASER_CHARS:
        return lead
    return lead[:TEASER_CHARS].rsplit(" ", 1)[0] + "…"


def build_site(root: Path) -> dict[str, str]:
    """Write the pages (the digest's are missing) and both feeds; return every headline with
    the piece it tells."""
    by_id = {p.id: p for p in pieces()}
    wire, digest, headlines = [], [], {}
    for pid in PAGES:
        p = by_id[pid]
        (root / "wire").mkdir(parents=True, exist_ok=True)
        (root / f"wire/{pid}.html").write_bytes(render("origin", p.lang, p.title, p.paragraphs))
        wire.append(_item(p.title, f"{{{{BASE}}}}/wire/{pid}.html", teaser(p)))
        headlines[p.title] = pid
    for pid in (*STORIES, OTHER):
        p = by_id[pid]
        title = p.alt_title or p.title
        digest.append(_item(title, f"{{{{BASE}}}}/digest/{pid}.html", teaser(p)))
        headlines[title] = pid
    (root / "feeds").mkdir()
    (root / "feeds/wire.xml").write_bytes(_feed("wire", wire))
    (root / "feeds/digest.xml").write_bytes(_feed("digest", digest))
    return headlines


def monitor(tmp_path: Path, passes: list[list[str]]) -> list[PassTotals]:
    """One real pass over these feeds each, in order, against one server (links keep their
    address from pass to pass): the passes' totals."""
    topics = tmp_path / "topics.yaml"
    topics.write_text(TOPICS, encoding="utf-8")
    totals = []
    with serve(tmp_path / "site") as site:
        for feeds in passes:
            config = write_config(
                tmp_path,
                feeds=[(name, f"/feeds/{name}.xml") for name in feeds],
                base=site.base,
                topics=topics,
                channels={"ai-news": "#ai-news"},
            )
            totals.append(run_monitor(config))
    return totals


def posted(slack: FakeSlack, headlines: dict[str, str]) -> list[str]:
    out = []
    for post in slack.top_level():
        found = re.match(r"\*<[^|>]+\|([^>]+)>", post["blocks"][0]["text"]["text"])
        assert found, post["blocks"][0]
        out.append(headlines[found.group(1).replace("&amp;", "&")])
    return sorted(out)


def test_a_teaser_of_a_stored_story_is_not_announced_again(
    tmp_path: Path, slack: FakeSlack
) -> None:
    headlines = build_site(tmp_path / "site")
    first, second = monitor(tmp_path, [["wire"], ["wire", "digest"]])
    # the two teasers join their stories; the other release is a story of its own
    assert posted(slack, headlines) == sorted((*PAGES, OTHER))
    assert first.new_articles == len(PAGES)
    assert second.new_articles == 1 and second.near_duplicates == len(STORIES)

    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        rows = {headlines.get(a.title or ""): a for a in store.list_articles(limit=100)}
        for pid in STORIES:
            cluster = store.cluster(rows[pid].id)
            assert cluster is not None and set(cluster.sources) == {"wire", "digest"}
            [copy] = [m for m in cluster.members if m.id != rows[pid].id]
            assert copy.duplicate_reason == DuplicateReason.LEAD
        assert rows[OTHER].duplicate_of_id is None
    finally:
        store.close()


def test_a_full_page_read_after_its_teaser_joins_the_teasers_story(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """The other order: the teaser is stored (and announced) first; the full page of the same
    story, stored later, joins it instead of being announced a second time."""
    headlines = build_site(tmp_path / "site")
    monitor(tmp_path, [["digest"], ["digest", "wire"]])
    assert posted(slack, headlines) == sorted((*STORIES, OTHER, "en-deepseek-r1"))
