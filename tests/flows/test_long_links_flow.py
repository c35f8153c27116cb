"""A feed whose links are longer than the corpus keeps an address (2,000 characters): the
real `monitor` flow, run again, still reads the feed, announces a new story whose address
differs from a stored one only past that length, and fetches no stored page again."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.corpus import Store
from newsmon.corpus.schema import MAX_URL
from newsmon.devsite import serve
from newsmon.urls import canonical_url
from tests.flows.test_monitor_flow import run_monitor
from tests.flows.test_page_retry_flow import (
    OPEN_WEIGHT,
    REGULATOR,
    write_one_term_config,
    write_retry_config,
)
from tests.support.dedup_set import render
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")

# eleven folders of 200 letters: the two stories' addresses differ only past 2,000 characters
DEEP = "/".join(["desk", *(f"{i}" + "a" * 199 for i in range(11))])


def _feed(*items: tuple[str, str]) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><link>{{{{BASE}}}}/{DEEP}/{page}</link>"
        f"<description>{title}.</description></item>"
        for title, page in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>desk</title>'
        f"<link>{{{{BASE}}}}/</link>{entries}</channel></rss>"
    ).encode()


OPEN = ("Lab ships its new model", "open.html")
INQUIRY = ("Regulator opens an inquiry", "inquiry.html")


def test_links_longer_than_a_stored_address_keep_their_stories(
    tmp_path: Path, slack: FakeSlack
) -> None:
    root = tmp_path / "site"
    (root / DEEP).mkdir(parents=True)
    (root / "feeds").mkdir()
    (root / DEEP / OPEN[1]).write_bytes(render("origin", "en", OPEN[0], OPEN_WEIGHT))
    (root / DEEP / INQUIRY[1]).write_bytes(render("origin", "en", INQUIRY[0], REGULATOR))
    (root / "feeds/desk.xml").write_bytes(_feed(OPEN))
    with serve(root) as site:
        links = [site.url(f"/{DEEP}/{page}") for _, page in (OPEN, INQUIRY)]
        keys = [canonical_url(link) for link in links]
        assert all(len(k) > MAX_URL for k in keys) and keys[0][:MAX_URL] == keys[1][:MAX_URL]
        config = write_one_term_config(tmp_path, site.base, [("desk", "/feeds/desk.xml")])
        first = run_monitor(config)
        (root / "feeds/desk.xml").write_bytes(_feed(INQUIRY, OPEN))
        second = run_monitor(config, force=True)
        (root / "feeds/desk.xml").write_bytes(_feed(OPEN, INQUIRY))  # read again, not a 304
        third = run_monitor(config, force=True)
        fetched = [p for p in site.paths_requested() if p.endswith(".html")]

    assert (first.feeds_failed, first.new_articles) == (0, 1)
    # the feed is read, not failed, and the regulator's story is a story of its own
    assert (second.feeds_failed, second.failures) == (0, ())
    assert (second.new_articles, second.already_seen) == (1, 1)
    assert (third.feeds_failed, third.new_articles, third.already_seen) == (0, 0, 2)
    assert sorted(p.rsplit("/", 1)[1] for p in fetched) == ["inquiry.html", "open.html"]
    posted = [str(p["blocks"]) for p in slack.top_level()]
    assert sum(INQUIRY[0] in p for p in posted) == 2  # open-source and policy
    assert sum(OPEN[0] in p for p in posted) == 1
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        assert len(store.list_articles(limit=10)) == 2
        assert set(store.known_articles(keys)) == set(keys)
    finally:
        store.close()


def test_a_long_link_whose_page_failed_is_read_again_at_its_own_address(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """A page that failed on the first pass is tried again from what the corpus kept of its
    link: a link of more than 2,000 characters kept as its first 2,000 was fetched cut (a 404,
    or another page), so what its teaser hid was never announced."""
    root = tmp_path / "site"
    (root / DEEP).mkdir(parents=True)
    (root / "feeds").mkdir()
    (root / DEEP / OPEN[1]).write_bytes(render("origin", "en", OPEN[0], OPEN_WEIGHT))
    (root / "feeds/desk.xml").write_bytes(_feed(OPEN))  # its teaser names no topic
    with serve(root) as site:
        config = write_retry_config(tmp_path, site, [("desk", "/feeds/desk.xml")])
        site.routes[f"/{DEEP}/{OPEN[1]}"] = {"status": 503}
        first = run_monitor(config)
        assert (first.new_articles, first.pages_failed, slack.top_level()) == (1, 1, [])
        del site.routes[f"/{DEEP}/{OPEN[1]}"]
        second = run_monitor(config)
        fetched = [p for p in site.paths_requested() if not p.startswith("/feeds/")]
        cut = site.url(f"/{DEEP}/{OPEN[1]}")[:MAX_URL]

    assert fetched == [f"/{DEEP}/{OPEN[1]}"] * 2
    assert (second.pages_retried, second.pages_recovered) == (1, 1)
    [post] = slack.top_level()
    assert post["channel"] == "#os" and OPEN[0] in str(post["blocks"])
    # the alert links the site (the whole link is too long for a message), never the cut one
    assert f"<{cut}|" not in str(post["blocks"])
    assert f"<{site.base}/|" in str(post["blocks"])
