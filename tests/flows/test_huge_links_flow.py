"""A feed entry whose link is megabytes long (an Atom `<link href>`, an RSS `<link>` or a
permalink `<guid>`): the real `monitor` flow reads the feed, keeps the entry's story by its own
text without requesting the address, and the feed's other stories cost nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.corpus import Store
from newsmon.corpus.schema import MAX_LONG_URL
from newsmon.devsite import serve
from tests.flows.test_monitor_flow import run_monitor
from tests.flows.test_page_retry_flow import OPEN_WEIGHT, write_one_term_config
from tests.support.dedup_set import render
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")

HUGE = "/desk/" + "a" * 3_000_000  # 3 MB: no server takes such a request line
FINE = ("Lab ships its new open-weight model", "open.html")


def _atom(base: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f'<title>desk</title><link href="{base}/"/>'
        "<entry><title>Regulator opens an inquiry</title><id>urn:desk:1</id>"
        f'<link href="{base}{HUGE}"/><summary>The regulator opened an inquiry.</summary></entry>'
        f'<entry><title>{FINE[0]}</title><id>urn:desk:2</id><link href="{base}/{FINE[1]}"/>'
        "<summary>A model.</summary></entry></feed>"
    ).encode()


def _rss(base: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>desk</title>'
        f"<link>{base}/</link>"
        "<item><title>Regulator opens an inquiry</title>"
        f"<link>{base}{HUGE}</link><description>The regulator opened an inquiry.</description>"
        "</item><item><title>Regulator names a panel</title>"
        f'<guid isPermaLink="true">{base}{HUGE}b</guid>'
        "<description>The regulator named a panel.</description></item>"
        f"<item><title>{FINE[0]}</title><link>{base}/{FINE[1]}</link>"
        "<description>A model.</description></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_a_link_of_megabytes_is_refused_for_its_entry_alone(
    tmp_path: Path, slack: FakeSlack, kind: str
) -> None:
    root = tmp_path / "site"
    (root / "feeds").mkdir(parents=True)
    (root / FINE[1]).write_bytes(render("origin", "en", FINE[0], OPEN_WEIGHT))
    with serve(root) as site:
        feed = (_atom if kind == "atom" else _rss)(site.base)
        (root / "feeds/desk.xml").write_bytes(feed)
        config = write_one_term_config(tmp_path, site.base, [("desk", "/feeds/desk.xml")])
        totals = run_monitor(config)
        requested = site.paths_requested()
        (root / "feeds/desk.xml").write_bytes(feed + b"\n")  # read again, not a 304
        again = run_monitor(config, force=True)  # the same stories, not new ones

    stories = 3 if kind == "rss" else 2
    assert (totals.feeds_failed, totals.new_articles) == (0, stories), totals
    assert totals.pages_failed == 0  # before: its 3 MB request, refused (414)
    assert f"/{FINE[1]}" in requested
    assert (again.feeds_failed, again.new_articles, again.already_seen) == (0, 0, stories)
    assert max(len(p) for p in requested) < MAX_LONG_URL  # the huge address never requested
    posted = [str(p["blocks"]) for p in slack.top_level()]
    assert sum("Regulator" in p for p in posted) == stories - 1  # by their own text
    assert sum(FINE[0] in p for p in posted) == 1
    assert max(len(p) for p in posted) < 20_000
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        articles = store.list_articles(limit=10)
        assert len(articles) == stories
        assert all(len(a.url or "") < MAX_LONG_URL for a in articles)
        assert not any(HUGE[:100] in (a.url or "") for a in articles)  # no cut address kept
    finally:
        store.close()
