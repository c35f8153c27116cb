"""The real `monitor` flow over an outlet's feed and an agency's feed that carries the same short
stories the way Korean and English CMS feeds really write them: one alert per story, and what
Slack shows reads as the publisher meant it.

The outlet ("desk") links clean pages of two summary-length stories (tests/data/dedup/*.short.txt).
The agency wraps everything in CDATA and escapes its HTML once more ("R&amp;amp;D"), opens
titles with a byte order mark and puts a zero-width space after every space (AI타임스 does both),
and sends Hangul decomposed (typed on a Mac). It carries the two stories as teasers without a
page, under other headlines, and a third story of its own, so its own text speaks once.
"""

from __future__ import annotations

import html
import re
import unicodedata
from email.utils import format_datetime
from pathlib import Path

import pytest

from newsmon.clock import utcnow
from tests.flows.test_near_duplicates_flow import _feed, _item
from tests.flows.test_short_duplicates_flow import monitor_site
from tests.support.dedup_set import pieces, render
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")

STORIES = ("en-s-o3-mini-free", "ko-s-msit-gpu")
AGENCY_ONLY = "en-s-deep-research"
# what must never reach Slack: a reference left escaped (Slack's own escaping shows it as
# "&amp;quot;"), markup, invisible format characters, decomposed Hangul
GARBAGE = re.compile(r"&amp;(?:#[0-9]+|#x[0-9a-f]+|[a-z]+);|&lt;/?(?:p|b)&gt;|[\u00ad\u200b\ufeff]")


def agency_text(text: str) -> str:
    """The agency's way: a zero-width space after every space, Hangul decomposed."""
    return unicodedata.normalize("NFD", text.replace(" ", " \u200b"))


def _agency_item(title: str, guid: str, summary: str) -> str:
    """A teaser without a link: CDATA title and description, the HTML escaped twice."""
    twice = html.escape(html.escape(f'"{agency_text(summary)}" R&D'))
    return (
        f"<item><title><![CDATA[\ufeff{html.escape(agency_text(title))}]]></title>"
        f'<guid isPermaLink="false">{guid}</guid>'
        f"<pubDate>{format_datetime(utcnow())}</pubDate>"
        f"<description><![CDATA[<p>{twice}</p>]]></description></item>"
    )


def build_site(root: Path) -> dict[str, str]:
    """Write the site; return every headline with the story it belongs to."""
    by_id = {p.id: p for p in pieces()}
    desk, agency, headlines = [], [], {}
    for pid in STORIES:
        p = by_id[pid]
        (root / "desk").mkdir(parents=True, exist_ok=True)
        (root / "desk" / f"{pid}.html").write_bytes(render("origin", p.lang, p.title, p.paragraphs))
        desk.append(_item(p.title, "{{BASE}}/desk/" + f"{pid}.html", p.summary))
        agency.append(_agency_item(f'"{p.alt_title}"', f"agency-{pid}", p.summary))
        headlines[p.title] = headlines[f'"{p.alt_title}"'] = pid
    own = by_id[AGENCY_ONLY]
    agency.append(_agency_item(own.title, f"agency-{own.id}", own.summary))
    headlines[own.title] = own.id
    (root / "feeds").mkdir(exist_ok=True)
    (root / "feeds" / "desk.xml").write_bytes(_feed("desk", desk))
    (root / "feeds" / "agency.xml").write_bytes(_feed("agency", agency))
    return headlines


def test_an_agency_writing_its_own_way_raises_one_clean_alert_per_story(
    tmp_path: Path, slack: FakeSlack
) -> None:
    headlines = build_site(tmp_path / "site")
    totals = monitor_site(tmp_path, ["desk", "agency"])

    posted = []
    for post in slack.top_level():
        shown = [post["text"], *(str(block) for block in post["blocks"])]
        assert not any(GARBAGE.search(text) for text in shown), shown
        assert all(unicodedata.is_normalized("NFC", text) for text in shown), shown
        found = re.match(r"\*<[^|>]+\|([^>]+)>", post["blocks"][0]["text"]["text"])
        assert found, post["blocks"][0]
        posted.append(headlines[html.unescape(found.group(1))])
    # whichever copy the concurrent feeds stored first speaks for its story, and only it
    assert sorted(posted) == sorted((*STORIES, AGENCY_ONLY))
    assert totals.duplicates == len(STORIES)  # both teasers joined their story
