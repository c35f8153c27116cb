"""Configured feeds that are one feed: the same address spelled twice (a tracking parameter,
`www.`, another scheme), or a feed that moved onto another configured feed's address. Each
pass fetched both, and every story got an "also reported by" reply from the feed itself."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from newsmon.urls import canonical_url, shown_url


def feed_addresses(configured: str, stored: str | None) -> tuple[str, ...]:
    """Where a feed is read: as configured, and where a pass found it moved (`stored`). A keyed
    feed is stored with its key hidden (`apikey=***`), which any other key would match: only
    its configured address, key and all, names it."""
    if stored is None or stored == configured or shown_url(configured) != configured:
        return (configured,)
    return (configured, stored)


def twin_feeds(feeds: Iterable[tuple[str, Sequence[str]]]) -> dict[str, str]:
    """Of (name, addresses) in configuration order, each feed another one earlier has an
    address of, by name, with that earlier feed's name: the one that reads it."""
    first: dict[str, str] = {}  # an address's identity (`urls.canonical_url`): its first feed
    twins: dict[str, str] = {}
    for name, addresses in feeds:
        keys = [canonical_url(a) for a in addresses]
        owner = next((first[k] for k in keys if k in first), None)
        if owner is not None:
            twins[name] = owner
            continue
        for key in keys:
            first.setdefault(key, name)
    return twins
