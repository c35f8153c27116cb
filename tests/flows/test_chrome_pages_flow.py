"""The real `monitor` flow on stories whose site chrome names other stories' topics: chrome must
neither make an alert nor merge two stories of one site.

Each site's pages share one template whose "related", "most read" and photo-news boxes (one
of them a paragraph inside the article), tag clouds, author bio, post links and comments carry open-source, AI-safety and AI-policy headlines
(tests/data/chrome_pages/README.md). Local stories must reach no channel, an AI-policy story only
the policy channel, and every story must be a story of its own (no near-duplicate of a sibling
that shares the chrome). The feed carries a neutral teaser, so what is classified and
deduplicated is what the extractor takes from each page. Sites: a Korean paper laid out in
tables and served in EUC-KR, a Korean news CMS (ndsoft's `articleView.html`), a WordPress blog,
and bodies written as `<br>`-separated lines with "[관련기사]", "▶ 관련기사", "☞" and "Related:" link
lines in the article's own block (a Korean CMS, an EUC-KR board, an English county paper).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from newsmon.devsite import serve
from tests.conftest import ROOT
from tests.flows.test_monitor_flow import run_monitor
from tests.flows.test_near_duplicates_flow import _feed, _item
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack
from tests.support.pages_site import channels_by_page

pytestmark = pytest.mark.usefixtures("prefect_harness")

PAGES = ROOT / "tests" / "data" / "chrome_pages"
CHANNELS = {"open-source": "#os", "ai-safety": "#safety", "policy": "#policy"}
# feed -> page -> the channels it must reach
SITES: dict[str, dict[str, list[str]]] = {
    "tables": {"table-buses": [], "table-squid": [], "table-ai-act": ["#policy"]},
    "ndsoft": {"ndsoft-factory": [], "ndsoft-library": []},
    "wordpress": {"wp-bridge": [], "wp-library": []},
    # bodies written as <br>-separated lines with "related" link lines among them
    "brlines": {"br-ferry": [], "br-market": []},
    "brlines-en": {"br-council": ["#policy"]},
}
LANGUAGE = {"tables": "ko", "ndsoft": "ko", "wordpress": "en", "brlines": "ko", "brlines-en": "en"}
EUC_KR = ("table-buses", "table-squid", "table-ai-act", "br-market")


def build_site(root: Path) -> None:
    """Each site's pages under /<site>/ behind /feeds/<site>.xml, with a teaser that says
    nothing of any topic; the table-laid site is served as EUC-KR, as such sites are."""
    routes = {}
    for site, pages in SITES.items():
        (root / site).mkdir(parents=True)
        items = []
        for n, name in enumerate(pages):
            shutil.copy(PAGES / f"{name}.html", root / site / f"{name}.html")
            items.append(_item(f"Story {n + 1}", f"{{{{BASE}}}}/{site}/{name}.html", "New story."))
            if name in EUC_KR:
                routes[f"/{site}/{name}.html"] = {"content_type": "text/html; charset=euc-kr"}
        (root / "feeds").mkdir(exist_ok=True)
        (root / "feeds" / f"{site}.xml").write_bytes(_feed(site, items))
    (root / "_routes.json").write_text(json.dumps(routes), encoding="utf-8")


def test_chrome_neither_makes_an_alert_nor_merges_two_stories(
    tmp_path: Path, slack: FakeSlack
) -> None:
    build_site(tmp_path / "site")
    with serve(tmp_path / "site") as site:
        config = write_config(
            tmp_path,
            feeds=[(name, f"/feeds/{name}.xml", LANGUAGE[name]) for name in SITES],
            base=site.base,
            channels=CHANNELS,
        )
        totals = run_monitor(config)

    pages = {name: channels for site in SITES.values() for name, channels in site.items()}
    # every page is a story of its own: none joined a sibling's cluster through the chrome
    assert (totals.new_articles, totals.duplicates) == (len(pages), 0)
    posted = {name: sorted(channels) for name, channels in channels_by_page(slack).items()}
    assert posted == {name: channels for name, channels in pages.items() if channels}
