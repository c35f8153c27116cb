"""The identities of one feed document's entries, and the stored articles they name.

An entry is its link's canonical URL (`dedup.entry_identity`), or without a link its GUID or
text. CMSs give several items one of those: a permalink GUID naming the section
(`<guid>https://site/news/</guid>` and no `<link>`), a live blog whose updates all link the
page, `<guid isPermaLink="false">1</guid>` on every item. Those items had one key: the first
was stored and the others were never announced, or were taken for its edits. Entries of one
document sharing a key with other text are told apart here; one item listed twice (the same
text) stays one entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from newsmon.corpus.records import KnownArticle
from newsmon.corpus.set_aside import set_aside_key
from newsmon.dedup import entry_fingerprint, entry_identity
from newsmon.feeds import FeedEntry
from newsmon.urls import former_link_key, pages_of_items, without_keys_of

# an item's anchor in a key newsmon gives it (`page#item-<digest>`): `urls.anchor` names it
ITEM_ANCHOR = "item-"


@dataclass
class Identified:
    """A feed document's entries by identity, with what to look for them by besides."""

    entries: dict[str, FeedEntry] = field(default_factory=dict)
    # the identity an entry had before (a keyed feed's key in its link or GUID, its link as
    # read then, feed marks in it, a link-less entry's or an item's text repaired:
    # `_former_identity`, `_deployed_item_key`): its row when none is under its own
    keyed: dict[str, str] = field(default_factory=dict)
    # the identity the entry shares with other items of the document: a row stored under it
    # (while the entry was alone there, or before items were told apart) is the entry's when
    # it has the entry's GUID (when each item has its own), else date or text (`_row_owner`)
    shared: dict[str, tuple[str, bool]] = field(default_factory=dict)
    # pages the entries name items of: not read, each entry's own text is its item
    items: frozenset[str] = frozenset()


def identify(entries: Iterable[FeedEntry], feed: str, feed_url: str | None = None) -> Identified:
    """The entries' identities; `feed_url` is a keyed feed's URL, whose credentials are taken
    out of links and GUIDs (a corpus written before holds its stories under the keyed form)."""
    groups: dict[str, list[tuple[FeedEntry, str | None]]] = {}
    for entry in entries:
        former = _former_identity(entry, feed, feed_url is not None)
        if feed_url is not None:
            entry = _without_feed_key(entry, feed_url)
        groups.setdefault(_identity(entry, feed), []).append((entry, former))
    out = Identified()
    pages: set[str] = set()
    for identity, group in groups.items():
        apart, own_guids = _told_apart(identity, group, feed)
        if len(apart) == 1:  # one item (perhaps listed twice): the key it always had
            entry, former = group[0]
            out.entries[identity] = entry
            if former is not None and former != identity:
                out.keyed[identity] = former
            continue
        if "://" in identity:
            pages.add(identity.partition("#")[0])
        for key, entry in apart.items():
            out.entries[key] = entry
            out.shared[key] = (identity, own_guids)
            deployed = _deployed_item_key(identity, entry, feed, own_guids)
            if deployed is not None and deployed != key:
                out.keyed[key] = deployed
    links = (e.link for e in out.entries.values() if e.link)
    out.items = pages_of_items(links) | pages
    return out


def fingerprinted_as(stored: str | None, entry: FeedEntry) -> bool:
    """Whether a row's stored entry fingerprint is the entry's: its text as read (this
    release), or as the release deployed on 2026-12-01 (a5335bd) took it, double encoding
    repaired first. Compared with the first only, an unchanged entry that release stored
    looked edited after the upgrade (its page read again). None: never fingerprinted."""
    texts = (entry.key_text(), entry.repaired_key_text)
    return stored is not None and any(stored == entry_fingerprint(*t) for t in texts if t)


def _identity(entry: FeedEntry, feed: str) -> str:
    return entry_identity(entry.link, feed, entry.guid, "\n".join(entry.key_text()))


def _former_identity(entry: FeedEntry, feed: str, keyed: bool) -> str | None:
    """The identity an earlier newsmon gave the entry (its link as read then, a keyed feed's
    key and feed marks such as `?from=rss` in it; without link and GUID, its text as the
    release deployed on 2026-12-01 keyed it, double encoding repaired): a row stored then is
    under it. None when it can be none but its own (no other link read before, no query, not
    a keyed feed, text keyed as it always was). A host written ending in `。` had a trailing
    dot in its key: a lookup by key that finds nothing else looks there (`dotted_hosts`)."""
    if not entry.link and not entry.guid and entry.repaired_key_text is not None:
        return entry_identity(None, feed, None, "\n".join(entry.repaired_key_text))
    link = entry.former_link or entry.link
    if not keyed and entry.former_link is None and (not link or "?" not in link):
        return None
    return former_link_key(link) if link else _identity(entry, feed)


def _told_apart(
    identity: str, group: Sequence[tuple[FeedEntry, str | None]], feed: str
) -> tuple[dict[str, FeedEntry], bool]:
    """The group's items by a key each: one per text (the first of its listings), or without
    GUIDs of their own, per title. Their GUIDs name them when each has its own (an edited item
    keeps its key; said by the flag), else their text does."""
    by_text: dict[str, FeedEntry] = {}
    for entry, _ in group:
        by_text.setdefault(_text_key(entry, feed), entry)
    guids = [e.guid for e in by_text.values()]
    own_guids = all(guids) and len(set(guids)) == len(guids)
    if not own_guids:  # without GUIDs of their own, one title is one item (a summary cut once)
        by_title: dict[str, tuple[str, FeedEntry]] = {}
        for key, entry in by_text.items():
            by_title.setdefault(entry_identity(None, feed, None, entry.key_text()[0]), (key, entry))
        by_text = dict(by_title.values())
    if len(by_text) == 1:
        return {identity: group[0][0]}, False
    apart = {}
    for text_key, entry in by_text.items():
        if "://" not in identity:  # no link: the entry's text, as an entry without a GUID
            apart[text_key] = entry
            continue
        apart[_item_key(identity, entry.guid if own_guids and entry.guid else text_key)] = entry
    return apart, own_guids


def _item_key(identity: str, basis: str) -> str:
    """The key of an item told apart at the page `identity`, by its GUID or text key."""
    digest = hashlib.sha1(basis.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    joint = "-" if "#" in identity else "#" + ITEM_ANCHOR
    return f"{identity}{joint}{digest}"


def _deployed_item_key(identity: str, entry: FeedEntry, feed: str, own_guids: bool) -> str | None:
    """The key the release deployed on 2026-12-01 (a5335bd) gave an item told apart by its
    text, when its publisher encoded it twice: that release keyed the text repaired, so a
    live blog's updates it stored are under those keys (before, each was stored and
    announced again). None: the item is told apart by its GUID, or its text was not repaired."""
    if entry.repaired_key_text is None or (own_guids and entry.guid):
        return None
    text_key = entry_identity(None, feed, None, "\n".join(entry.repaired_key_text))
    return _item_key(identity, text_key) if "://" in identity else text_key


def _text_key(entry: FeedEntry, feed: str) -> str:
    """The entry's identity were it without link and GUID: its feed and folded text."""
    return entry_identity(None, feed, None, "\n".join(entry.key_text()))


def _without_feed_key(entry: FeedEntry, feed_url: str) -> FeedEntry:
    """`entry` with its link and GUID free of the credentials in its feed's URL: each would be
    stored, and the link posted to Slack (the page is fetched without them, as a relative
    link of a keyed feed is)."""
    link = without_keys_of(entry.link, feed_url) if entry.link else entry.link
    guid = without_keys_of(entry.guid, feed_url) if entry.guid else entry.guid
    return (
        entry if (link, guid) == (entry.link, entry.guid) else replace(entry, link=link, guid=guid)
    )


def known_articles(
    found: dict[str, KnownArticle], identified: Identified
) -> dict[str, KnownArticle]:
    """The stored articles of the entries, by identity, from the rows `found` under
    `wanted(identified)`: a keyed feed's entry also by the identity it had with the key in it,
    an item told apart by the key it shared (its own row there, and only its own)."""
    known = {key: found[key] for key in identified.entries if key in found}
    for key, former in identified.keyed.items():
        if key not in known and former in found:
            known[key] = found[former]
    groups: dict[str, list[str]] = {}
    for key, (shared, _) in identified.shared.items():
        groups.setdefault(shared, []).append(key)
    for shared, keys in groups.items():
        # the row under the key, and one set aside from it (a story whose CMS reused its key)
        for row in filter(None, (found.get(shared), found.get(set_aside_key(shared)))):
            unknown = [(k, identified.entries[k]) for k in keys if k not in known]
            owner = _row_owner(row, unknown, by_guid=identified.shared[keys[0]][1])
            if owner is not None:
                known[owner] = row
    return known


def renamed_candidates(identified: Identified, known: dict[str, KnownArticle]) -> list[str]:
    """Dated entries found under no key, with a link or a GUID: their CMS may give them a new
    GUID every pass, or a link they were first listed without (`renamed`)."""
    return [
        key
        for key, entry in identified.entries.items()
        if key not in known
        and key not in identified.shared
        and (entry.link or entry.guid)
        and entry.published is not None
    ]


def renamed(
    identified: Identified,
    keys: Sequence[str],
    rows: Sequence[KnownArticle],
    known: dict[str, KnownArticle],
) -> dict[str, KnownArticle]:
    """The stored articles of entries (`keys`, `renamed_candidates`) that are a stored
    link-less article of their feed (`rows`) under a new key: the same date and the same
    title and summary as the feed wrote them. Some CMSs give an item a new GUID each time
    they write the feed, or list a breaking item first without its link and add the link
    later; keyed anew, the item was stored and announced again (a headline or one line is too
    short for the text rules, and one feed's items under one headline are its next issues).
    A standing item repeated later (a daily line) has another date, and two items listed
    together (releases under one headline, dated by day) each keep their GUID in the feed:
    new items. Each row is one entry's, and none already known under another key."""
    taken = {row.id for row in known.values()}
    listed = {entry.guid for entry in identified.entries.values() if entry.guid}
    out: dict[str, KnownArticle] = {}
    for key in keys:
        entry = identified.entries[key]
        row = next(
            (
                r
                for r in rows
                if r.id not in taken
                and (r.guid not in listed or r.guid == entry.guid)
                and r.published_at == entry.published
                and fingerprinted_as(r.entry_fingerprint, entry)
            ),
            None,
        )
        if row is not None:
            out[key] = row
            taken.add(row.id)
    return out


def taken_over(identified: Identified, known: dict[str, KnownArticle]) -> list[str]:
    """Items told apart whose row holds another item's words (a newer item, alone at the link
    or listed first before items were told apart, was taken for an edit of it): re-read first,
    so that the newer item is not judged a copy of words the row held only for it."""
    return [
        key
        for key in identified.shared
        if key in known
        and not fingerprinted_as(known[key].entry_fingerprint, identified.entries[key])
    ]


def wanted(identified: Identified) -> list[str]:
    """Every key the entries' stored articles may be under."""
    keys = dict.fromkeys([*identified.entries, *identified.keyed.values()])
    for shared, _ in identified.shared.values():
        keys.update(dict.fromkeys([shared, set_aside_key(shared)]))
    return list(keys)


def _row_owner(
    row: KnownArticle, entries: Sequence[tuple[str, FeedEntry]], by_guid: bool
) -> str | None:
    """The key of the entry a row stored under a key several items share is (None: none of
    them): the one with its GUID (`by_guid`: each item has its own), else the only one with its
    date, else the one with its title and summary as the feed wrote them. The date goes before
    the text: before items were told apart, a newer item listed first was taken for an edit of
    the row (its title and fingerprint became the newer item's, its date and alert stayed the
    first's), and the item announced must keep the row, not be announced again."""
    if by_guid and row.guid is not None:
        return next((k for k, e in entries if e.guid == row.guid), None)
    dated = [k for k, e in entries if row.published_at and e.published == row.published_at]
    if len(dated) == 1:
        return dated[0]
    text = [k for k, e in entries if fingerprinted_as(row.entry_fingerprint, e)]
    return text[0] if text else None
