"""Configured feeds that are one feed: the same address spelled twice (a tracking parameter,
`www.`, another scheme), or a feed that moved onto another configured feed's address. Each
pass fetched both, and every story got an "also reported by" reply from the feed itself."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

from newsmon.config import FeedConfig
from newsmon.corpus.schema import MAX_URL
from newsmon.urls import _SESSION_PATH_PARAM, clean_url, credentials_of, shown_url


def feed_identity(url: str) -> str:
    """What the spellings of one feed's address have in common: `urls.clean_url` (host case,
    default port, tracking parameters, parameter order), http or https, `www.`, a servlet
    session id and a trailing slash. Not `urls.canonical_url`'s AMP folding: a feed has no AMP
    rendering, so `/rss/amp`, `amp.host` or `/amp/feed.xml` is another feed (a section, a
    subdomain), which was left unread as a twin or refused by `feeds add`. A key, not stored."""
    cleaned = clean_url(url)
    try:
        parts = urlsplit(cleaned)
        known = parts.scheme in ("http", "https") and parts.hostname
    except ValueError:  # what `clean_url` kept as written
        return cleaned
    if not known:
        return cleaned
    netloc = parts.netloc
    if "@" not in netloc and netloc.startswith("www.") and "." in netloc[len("www.") :]:
        netloc = netloc[len("www.") :]
    path = _SESSION_PATH_PARAM.sub("", parts.path).rstrip("/") or "/"
    return urlunsplit(("https", netloc, path, parts.query, ""))


def shown_move(moved: str, configured: str) -> str:
    """Where a feed moved, as stored and shown: `shown_url`, and each credential of its
    configured address hidden wherever the new one writes it (a key in the path: `/v2/KEY/`)."""
    out = shown_url(moved)
    for secret in credentials_of(configured):
        for form in sorted({secret, quote(secret, safe=""), quote_plus(secret)}, key=len)[::-1]:
            out = out.replace(form, "***")
    return out


def move_to_store(configured: str, moved: str | None, *, moved_back: bool) -> str | None:
    """The address a pass records its feed at (the feed's `url`), None to leave it. Unkeyed: a
    permanent move, fetched from then on, where the column holds it and it carries no
    credentials of its own (a server's `?access_token=…`); the configured address once a stored
    move stopped holding. A keyed feed is always fetched as configured (the corpus cannot hold
    its key), so its move is recorded with the key hidden only to be listed as a move by
    `newsmon feeds` and `health` (it was only in each pass's warning), and cleared when undone."""
    if shown_url(configured) != configured:
        shown = shown_move(moved, configured) if moved else shown_url(configured)
        return shown if len(shown) <= MAX_URL else shown_url(configured)
    if moved and shown_url(moved) == moved and len(moved) <= MAX_URL:
        return moved
    return configured if moved_back else None


def feed_addresses(configured: str, stored: str | None) -> tuple[str, ...]:
    """Where a feed is read: as configured, and where a pass found it moved (`stored`). A keyed
    feed is stored with its key hidden (`apikey=***`), which any other key would match: only
    its configured address, key and all, names it."""
    if stored is None or stored == configured or shown_url(configured) != configured:
        return (configured,)
    return (configured, stored)


def twin_feeds(feeds: Iterable[tuple[str, Sequence[str]]]) -> dict[str, str]:
    """Of (name, addresses: as configured, then where it moved) in configuration order, each
    feed another one reads, by name, with the name of that one. An address is read by the
    first feed configured at it, else the first that moved there: a feed that moved onto
    another's address is its twin whatever their order (when the moved one took over, every
    story the other had stored got an "also reported by" reply from the feed itself)."""
    feeds = list(feeds)
    first: dict[str, str] = {}  # an address's identity (`feed_identity`): the feed reading it
    for name, addresses in feeds:
        first.setdefault(feed_identity(addresses[0]), name)
    for name, addresses in feeds:
        for address in addresses[1:]:
            first.setdefault(feed_identity(address), name)
    twins: dict[str, str] = {}
    for name, addresses in feeds:
        owners = (first.get(feed_identity(a), name) for a in addresses)
        # a twin's address is read by the feed that reads the twin (never by no one)
        owner = next((twins.get(o, o) for o in owners if twins.get(o, o) != name), None)
        if owner is not None:
            twins[name] = owner
    return twins


def configured_twins(
    feeds: Iterable[FeedConfig], moves: Mapping[str, tuple[str, str]]
) -> dict[str, str]:
    """`twin_feeds` of the configured `feeds` (the enabled ones, the whole configuration: a
    pass reads them in batches, and twins may be in two), each also at where a pass found it
    moved (`Feeds.moves`, a move recorded for the URL now configured)."""
    out = []
    for feed in feeds:
        configured, moved = moves.get(feed.name, ("", ""))
        stored = moved if configured and configured == shown_url(feed.url) else None
        out.append((feed.name, feed_addresses(feed.url, stored)))
    return twin_feeds(out)


def moved_onto(name: str, moved: str | None, feeds: Iterable[FeedConfig]) -> FeedConfig | None:
    """The other enabled configured feed at the address feed `name` just moved to, if any: in
    the pass that finds the move, `configured_twins` (from recorded moves) cannot know yet."""
    key = feed_identity(moved) if moved else None
    others = (f for f in feeds if f.enabled and f.name != name)
    return next((f for f in others if feed_identity(f.url) == key), None) if key else None
