"""Entries that link to anchors of one page (a digest, a live blog, a changelog: `digest.html#item-1`,
`#item-2`) through the real `monitor` flow and a loopback site: each item is a story of its own,
stored and announced once, from its own text (the page is every item's); the same page under a
fragment that only scrolls or tracks (`#comments`, `#:~:text=…`, `#xtor=RSS-3`) is still one story;
and an item stored before anchors were told apart (under the page's key) is not announced again."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from newsmon.devsite import serve
from newsmon.urls import canonical_url
from tests.flows.test_monitor_flow import run_monitor
from tests.flows.test_near_duplicates_flow import _feed, _item
from tests.flows.test_page_retry_flow import OPEN_WEIGHT, write_one_term_config
from tests.support.dedup_set import render
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")

ITEMS = {
    "item-1": ("Lab ships an open-weight model", "The lab released open-weight checkpoints."),
    "item-2": ("Regulator opens an inquiry", "The regulator will look into the training data."),
    "item-3": ("Second lab goes open-weight too", "Another open-weight release, with its code."),
}
DIGEST = (
    "<!doctype html><html><head><title>Weekly digest</title></head><body><article>"
    + "".join(
        f"<h2 id='{anchor}'>{title}</h2><p>{summary} " + " ".join(OPEN_WEIGHT) + "</p>"
        for anchor, (title, summary) in ITEMS.items()
    )
    + "</article></body></html>"
)


def digest_feed(anchors: list[str]) -> bytes:
    items = [_item(ITEMS[a][0], f"{{{{BASE}}}}/digest.html#{a}", ITEMS[a][1]) for a in anchors]
    return _feed("digest", items)


def posted(slack: FakeSlack) -> list[tuple[str, str]]:
    """(title, channel) of each alert posted."""
    out = []
    for post in slack.top_level():
        title = re.match(r"\*<[^|>]+\|([^>]+)>", post["blocks"][0]["text"]["text"])
        assert title, post["blocks"][0]
        out.append((title.group(1), post["channel"]))
    return sorted(out)


def test_items_of_one_page_are_stories_of_their_own(tmp_path: Path, slack: FakeSlack) -> None:
    root = tmp_path / "site"
    (root / "feeds").mkdir(parents=True)
    (root / "digest.html").write_text(DIGEST, encoding="utf-8")
    with serve(root) as site:
        config = write_one_term_config(tmp_path, site.base, [("digest", "/feeds/digest.xml")])
        (root / "feeds/digest.xml").write_bytes(digest_feed(["item-2", "item-1"]))
        first = run_monitor(config)
        (root / "feeds/digest.xml").write_bytes(digest_feed(["item-3", "item-2", "item-1"]))
        second = run_monitor(config, force=True)

    assert (first.new_articles, second.new_articles, second.already_seen) == (2, 1, 2)
    assert posted(slack) == sorted(
        [(ITEMS["item-1"][0], "#os"), (ITEMS["item-2"][0], "#policy"), (ITEMS["item-3"][0], "#os")]
    )


def test_a_fragment_that_only_scrolls_or_tracks_is_the_same_story(
    tmp_path: Path, slack: FakeSlack
) -> None:
    root = tmp_path / "site"
    (root / "feeds").mkdir(parents=True)
    (root / "story.html").write_bytes(render("origin", "en", "Lab ships", OPEN_WEIGHT))
    fragments = ["", "#comments", "#respond", "#:~:text=open-weight", "#xtor=RSS-3", "#top"]
    with serve(root) as site:
        config = write_one_term_config(tmp_path, site.base, [("desk", "/feeds/desk.xml")])
        totals = []
        for fragment in fragments:
            link = f"{{{{BASE}}}}/story.html{fragment}"
            item = _item("Lab ships", link, "An open-weight launch.")
            (root / "feeds/desk.xml").write_bytes(_feed("desk", [item]))
            totals.append(run_monitor(config, force=True))
        pages = [p for p in site.paths_requested() if p.startswith("/story")]

    assert [t.new_articles for t in totals] == [1] + [0] * (len(fragments) - 1)
    assert [t.already_seen for t in totals] == [0] + [1] * (len(fragments) - 1)
    assert pages == ["/story.html"]
    assert posted(slack) == [("Lab ships", "#os")]


def test_an_item_stored_under_the_page_s_key_is_not_announced_again(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """Before anchors were told apart, `#item-1` was stored under the page's key: after the
    upgrade it is still known (no second alert), and `#item-2`, never stored, is announced."""
    root = tmp_path / "site"
    (root / "feeds").mkdir(parents=True)
    (root / "digest.html").write_text(DIGEST, encoding="utf-8")
    with serve(root) as site:
        config = write_one_term_config(tmp_path, site.base, [("digest", "/feeds/digest.xml")])
        (root / "feeds/digest.xml").write_bytes(digest_feed(["item-3", "item-1"]))
        first = run_monitor(config)
        page_key = canonical_url(f"{site.base}/digest.html")
        with sqlite3.connect(tmp_path / "corpus.db") as db:  # the key it had before
            db.execute(
                "UPDATE articles SET canonical_url = ? WHERE canonical_url LIKE '%#item-1'",
                (page_key,),
            )
        (root / "feeds/digest.xml").write_bytes(digest_feed(["item-2", "item-3", "item-1"]))
        second = run_monitor(config, force=True)
        (root / "feeds/digest.xml").write_bytes(digest_feed(["item-1", "item-2", "item-3"]))
        third = run_monitor(config, force=True)  # not a 304: the feed changed

    assert first.new_articles == 2
    assert (second.new_articles, second.already_seen, second.updated) == (1, 2, 0)
    assert (third.new_articles, third.already_seen) == (0, 3)
    assert posted(slack) == sorted(
        [(ITEMS["item-1"][0], "#os"), (ITEMS["item-2"][0], "#policy"), (ITEMS["item-3"][0], "#os")]
    )


def test_an_edited_item_is_updated_from_its_own_text(tmp_path: Path, slack: FakeSlack) -> None:
    """An item's edit (its feed changed the entry) is read from the entry, as the item was:
    the page, which holds every item, is never requested and never becomes its text."""
    root = tmp_path / "site"
    (root / "feeds").mkdir(parents=True)
    (root / "digest.html").write_text(DIGEST, encoding="utf-8")
    edited = "The regulator will look into the training data and the licences."
    with serve(root) as site:
        config = write_one_term_config(tmp_path, site.base, [("digest", "/feeds/digest.xml")])
        (root / "feeds/digest.xml").write_bytes(digest_feed(["item-2", "item-1"]))
        run_monitor(config)
        link = "{{BASE}}/digest.html#item-"
        first = _item(ITEMS["item-1"][0], link + "1", ITEMS["item-1"][1])
        (root / "feeds/digest.xml").write_bytes(
            _feed("digest", [_item(ITEMS["item-2"][0], link + "2", edited), first])
        )
        second = run_monitor(config, force=True)
        pages = [p for p in site.paths_requested() if not p.startswith("/feeds/")]
    with sqlite3.connect(tmp_path / "corpus.db") as db:
        query = "SELECT text, text_source FROM articles WHERE canonical_url LIKE '%#item-2'"
        texts = db.execute(query).fetchall()

    assert (second.new_articles, second.updated) == (0, 1)
    assert texts == [(edited, "feed-summary")]
    assert pages == []
    assert posted(slack) == sorted([(ITEMS["item-1"][0], "#os"), (ITEMS["item-2"][0], "#policy")])


def test_an_article_linked_with_an_anchor_of_its_own_is_read(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """One entry linking an article at an anchor (`story.html#section-2`, `#rss`) is not a
    digest's item: its page is read, and a topic only the page names is found."""
    root = tmp_path / "site"
    (root / "feeds").mkdir(parents=True)
    (root / "story.html").write_bytes(render("origin", "en", "Lab ships", OPEN_WEIGHT))
    with serve(root) as site:
        config = write_one_term_config(tmp_path, site.base, [("desk", "/feeds/desk.xml")])
        item = _item("Lab ships", "{{BASE}}/story.html#section-2", "A launch.")
        (root / "feeds/desk.xml").write_bytes(_feed("desk", [item]))
        totals = run_monitor(config)
        pages = [p for p in site.paths_requested() if p.startswith("/story")]
    with sqlite3.connect(tmp_path / "corpus.db") as db:
        sources = db.execute("SELECT text_source FROM articles").fetchall()

    assert totals.new_articles == 1
    assert pages == ["/story.html"]
    assert sources == [("page",)]
    assert posted(slack) == [("Lab ships", "#os")]
