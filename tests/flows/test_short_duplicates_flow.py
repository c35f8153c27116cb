"""The real `monitor` flow over two feeds carrying the same summary-length stories under
different headlines: one alert per story.

An outlet's feed ("desk") links two short stories (English, Korean: a headline and one or two
sentences) and two other short stories from the same day and the same actors; a digest feed
links copies of the two stories under other headlines (one with a byline and a republication
line, one lightly edited) and carries the English one a third time as a teaser without a link.
Pages come from the labelled set (tests/data/dedup/*.short.txt) and are served on loopback.
The topic rules are the test's own, so every story matches whatever the shipped rules make of
short items: what is checked is which copies speak.
"""

from __future__ import annotations

import re
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus.records import DuplicateReason
from newsmon.devsite import serve
from newsmon.report import PassTotals
from tests.flows.test_monitor_flow import run_monitor
from tests.flows.test_near_duplicates_flow import _feed, _item
from tests.support.configs import write_config
from tests.support.dedup_set import _variant, pieces, render
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")

STORIES = ("en-s-o3-mini-free", "ko-s-msit-gpu")
NEGATIVES = ("en-s-deep-research", "ko-s-msit-talent")  # same actors, same days
COPIES = (("en-s-o3-mini-free", "retitled-b"), ("ko-s-msit-gpu", "retitled"))
COPIES += (("ko-s-msit-gpu", "retitled-edited"),)

TOPICS = """\
version: 2
topics:
  ai-news:
    label: "AI news"
    min_score: 1
    terms:
      en: ["ChatGPT"]
      ko: ["과학기술정보통신부"]
"""


def _teaser(title: str, guid: str, summary: str) -> str:
    """An entry without a link: the feed's summary is all there is."""
    return (
        f'<item><title>{escape(title)}</title><guid isPermaLink="false">{guid}</guid>'
        f"<pubDate>{format_datetime(utcnow())}</pubDate>"
        f"<description>{escape(summary)}</description></item>"
    )


def build_site(root: Path) -> dict[str, str]:
    """Write the site; return every headline it uses with the story it belongs to."""
    by_id = {p.id: p for p in pieces()}
    feeds: dict[str, list[str]] = {"desk": [], "digest": []}
    headlines: dict[str, str] = {}

    def page(path: str, body: bytes) -> str:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(body)
        return "{{BASE}}/" + path

    for pid in STORIES + NEGATIVES:
        p = by_id[pid]
        link = page(f"desk/{pid}.html", render("origin", p.lang, p.title, p.paragraphs))
        feeds["desk"].append(_item(p.title, link, p.summary))
        headlines[p.title] = pid
    for pid, variant in COPIES:
        p = by_id[pid]
        title, _, body = _variant(p, variant)
        link = page(f"digest/{pid}-{variant}.html", body)
        # the digest's summary is the copy's own text, edits included
        summary = p.edit[1] if variant == "retitled-edited" and p.edit else p.summary
        feeds["digest"].append(_item(title, link, summary))
        headlines[title] = pid
    en = by_id["en-s-o3-mini-free"]
    feeds["digest"].append(_teaser(en.alt_title, "digest-teaser-1", en.summary))
    (root / "feeds").mkdir(exist_ok=True)
    for name, items in feeds.items():
        (root / "feeds" / f"{name}.xml").write_bytes(_feed(name, items))
    return headlines


def monitor_site(tmp_path: Path, feeds: list[str]) -> PassTotals:
    """One real pass over the site in `tmp_path / "site"` (its feeds by name), with TOPICS and
    every alert to #ai-news: the pass's totals."""
    topics = tmp_path / "topics.yaml"
    topics.write_text(TOPICS, encoding="utf-8")
    with serve(tmp_path / "site") as site:
        config = write_config(
            tmp_path,
            feeds=[(name, f"/feeds/{name}.xml") for name in feeds],
            base=site.base,
            topics=topics,
            channels={"ai-news": "#ai-news"},
        )
        return run_monitor(config)


def test_short_copies_under_other_headlines_raise_one_alert_per_story(
    tmp_path: Path, slack: FakeSlack
) -> None:
    headlines = build_site(tmp_path / "site")
    totals = monitor_site(tmp_path, ["desk", "digest"])

    posted = []
    for post in slack.top_level():  # copies from the other feed reply in threads (issue 10)
        found = re.match(r"\*<[^|>]+\|([^>]+)>", post["blocks"][0]["text"]["text"])
        assert found, post["blocks"][0]
        posted.append(headlines[found.group(1).replace("&amp;", "&")])
    # whichever copy the concurrent feeds stored first speaks for its story, and only it
    assert sorted(posted) == sorted(STORIES + NEGATIVES)
    assert totals.new_articles == len(STORIES + NEGATIVES)
    assert totals.duplicates == len(COPIES) + 1  # the teaser too
    assert totals.near_duplicates == totals.duplicates  # none by body hash

    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        rows = store.list_articles(limit=100)
        heads = [a for a in rows if a.duplicate_of_id is None]
        assert sorted(headlines.get(a.title or "", "?") for a in heads) == sorted(
            STORIES + NEGATIVES
        )
        for pid, members in (("en-s-o3-mini-free", 3), ("ko-s-msit-gpu", 3)):
            [head] = [a for a in heads if headlines.get(a.title or "") == pid]
            cluster = store.cluster(head.id)
            assert cluster is not None and len(cluster.members) == members
            assert set(cluster.sources) == {"desk", "digest"}
            reasons = {m.duplicate_reason for m in cluster.members if m.id != head.id}
            assert DuplicateReason.SHORT in reasons
    finally:
        store.close()
