"""A feed document's entry identities (`pipeline.entry_keys`): items sharing a link or a GUID
told apart, one item listed twice kept one. Pure: entries as the parser returns them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from newsmon.corpus.records import KnownArticle
from newsmon.dedup import entry_fingerprint, entry_identity
from newsmon.feeds import FeedEntry
from newsmon.pipeline.entry_keys import (
    identify,
    known_articles,
    renamed,
    renamed_candidates,
    taken_over,
    wanted,
)

PAGE = "https://news.example/live"


def entry(
    title: str, link: str | None = PAGE, guid: str | None = None, text: str = ""
) -> FeedEntry:
    return FeedEntry(guid, link, title, text or f"{title}: the story", None, None)


def test_one_entry_at_a_link_keeps_the_link_s_key() -> None:
    found = identify([entry("A", guid="a")], "f")
    assert list(found.entries) == ["https://news.example/live"] and not found.shared


def test_items_sharing_a_link_get_keys_of_their_own_guids() -> None:
    found = identify([entry("A", guid="a"), entry("B", guid="b")], "f")
    assert len(found.entries) == 2
    assert all(k.startswith(f"{PAGE}#item-") for k in found.entries)
    assert found.items == frozenset({PAGE})
    # an edited item keeps its key: its GUID names it
    edited = identify([entry("A, corrected", guid="a"), entry("B", guid="b")], "f")
    assert set(edited.entries) == set(found.entries)


def test_items_sharing_a_guid_without_links_get_their_text_s_key() -> None:
    found = identify([entry("A", None, "1"), entry("B", None, "1")], "f")
    assert len(found.entries) == 2 and not found.items
    assert all(k.startswith("urn:newsmon:entry:") for k in found.entries)


def test_an_item_listed_twice_is_one_entry() -> None:
    same = identify([entry("A", guid="x"), entry("A", guid="y"), entry("A", guid="x")], "f")
    assert list(same.entries) == [PAGE]
    # listed twice with its summary cut in one listing: one item, its link read as ever
    cut = identify([entry("A", text="A: the whole summary"), entry("A", text="A: the")], "f")
    assert list(cut.entries) == [PAGE] and not cut.items


def test_the_row_under_a_shared_key_is_only_its_own_item_s() -> None:
    a, b = entry("A", guid="a"), entry("B", guid="b")
    found = identify([a, b], "f")
    assert PAGE in wanted(found)
    row = KnownArticle(7, 1, PAGE, entry_fingerprint(*a.key_text()), guid="a")
    known = known_articles({PAGE: row}, found)
    assert [e.title for k, e in found.entries.items() if k in known] == ["A"]
    # GUIDs that are all one (the section's address): the row is the item with its text
    s1, s2 = entry("A", PAGE, PAGE), entry("B", PAGE, PAGE)
    shared = identify([s1, s2], "f")
    row = KnownArticle(7, 1, PAGE, entry_fingerprint(*s2.key_text()), guid=PAGE)
    known = known_articles({PAGE: row}, shared)
    assert [e.title for k, e in shared.entries.items() if k in known] == ["B"]


def test_an_entry_is_also_looked_for_by_the_key_it_had_before() -> None:
    """A link with a feed mark (`?from=rss`) or read another way before (`former_link`: a
    feedproxy link) is keyed anew; its row stored then is found by the key it had, not
    announced again."""
    marked = entry("a", "https://example.com/a.html?from=rss")
    proxied = replace(
        entry("b", "https://example.com/b.html"), former_link="https://feedproxy.example/~r/b"
    )
    identified = identify([marked, proxied, entry("c", "https://example.com/c.html")], "f")
    assert identified.keyed == {
        "https://example.com/a.html": "https://example.com/a.html?from=rss",
        "https://example.com/b.html": "https://feedproxy.example/~r/b",
    }
    row = KnownArticle(1, 1, "https://example.com/a.html?from=rss", "fp")
    found = {"https://example.com/a.html?from=rss": row}
    assert "https://example.com/a.html?from=rss" in wanted(identified)
    assert known_articles(found, identified) == {"https://example.com/a.html": row}


def test_items_told_apart_are_also_looked_for_by_the_key_of_their_repaired_text() -> None:
    """The release deployed on 2026-12-01 keyed an item told apart by its text repaired of
    double encoding: a live blog's update it stored is found under that key."""
    import hashlib

    twice = [
        FeedEntry(None, PAGE, t, s, None, None, repaired_key_text=(f"{t} fixed", f"{s} fixed"))
        for t, s in (("A", "a"), ("B", "b"))
    ]
    identified = identify(twice, "f")
    text_key = entry_identity(None, "f", None, "A fixed\na fixed")
    deployed = f"{PAGE}#item-{hashlib.sha1(text_key.encode()).hexdigest()[:16]}"
    assert deployed in wanted(identified) and deployed not in identified.entries
    row = KnownArticle(7, 1, deployed, entry_fingerprint("A fixed", "a fixed"))
    known = known_articles({deployed: row}, identified)
    assert [e.title for k, e in identified.entries.items() if k in known] == ["A"]
    assert not taken_over(identified, known)  # the row's fingerprint is the item's, as then


DAY = datetime(2025, 2, 17, tzinfo=UTC)


def test_an_item_without_a_link_under_a_new_guid_is_its_stored_row() -> None:
    """A CMS renaming the item each time it writes the feed, or adding its link later: the
    same date and words under a new key are the stored item (before, stored and announced again every pass); a later
    date, other words, or the stored GUID still listed beside it are new items."""
    old = FeedEntry("cms-1", None, "A", "A: the story", DAY, None)
    row = KnownArticle(
        7,
        1,
        "https://news.example/",
        entry_fingerprint(*old.key_text()),
        "feed",
        guid="cms-1",
        published_at=DAY,
    )

    def found(*entries: FeedEntry) -> list[str]:
        ids = identify(entries, "f")
        keys = renamed_candidates(ids, {})
        return [ids.entries[k].guid or "" for k in renamed(ids, keys, [row], {})]

    new = replace(old, guid="cms-2")
    assert found(new) == ["cms-2"]
    assert found(replace(new, published=DAY + timedelta(days=1))) == []
    assert found(replace(new, summary="A: another story")) == []
    assert found(replace(old, title="B", summary="B: x"), new) == []  # the stored GUID listed
    # listed with its link at last (its GUID kept, or none): the stored item too
    assert found(replace(old, link=PAGE)) == ["cms-1"]
    assert found(replace(old, guid=None, link=PAGE)) == [""]
