"""A canonical URL as the corpus stores it: `articles.canonical_url` holds 2,000 characters.

A longer key used to be cut to 2,000 by the column, so two pages whose keys differ only past
that were one page (the second story never announced), and a lookup by the whole key found
the row under another key (the feed's pass failed on it). A longer key is now stored as its
first characters, `#` and a SHA-1 of the whole key (a canonical URL's own `#` starts an
item's anchor, `newsmon.urls.anchor`); keys of 2,000 characters or fewer are stored as they
are. Rows stored before under a cut key are still found by it, as are rows stored under a key
an earlier newsmon gave the page (when their own link says they are that page).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from newsmon.corpus.schema import MAX_URL
from newsmon.dotted_hosts import with_dotted_host
from newsmon.urls import former_canonical_urls, link_keys

_DIGEST_CHARS = 40  # SHA-1, hexadecimal


def stored_key(key: str) -> str:
    """`key` as stored: as it is when it fits, else its first characters and its hash."""
    if len(key) <= MAX_URL:
        return key
    digest = hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{key[: MAX_URL - _DIGEST_CHARS - 1]}#{digest}"


@dataclass(frozen=True)
class Wanted:
    """A canonical URL asked for, under one of the stored keys it is looked for by."""

    asked: str
    own: bool  # its own stored key: a row under it wins
    verify: bool  # an earlier key several pages shared: only the row whose link gives `asked`


def lookup_keys(keys: Sequence[str], *, dotted: bool = True) -> dict[str, list[Wanted]]:
    """The stored keys to look for, each with what it stands for: the stored key of each
    canonical URL; for one too long to fit, also the cut key rows stored before had; and the
    key an earlier newsmon gave the page (`newsmon.urls.former_canonical_urls`), and each of
    those with a trailing dot on the host, the key a link written `host。` had before 2026-12
    (`newsmon.dotted_hosts`): every lookup of a stored story by its key reads this. `dotted`
    False: without the dotted keys, which `ArticleViews.known_articles` asks for only for the
    keys found under no other (they would double the keys asked for every ordinary link)."""
    wanted: dict[str, list[Wanted]] = {}
    for key in keys:
        wanted.setdefault(stored_key(key), []).append(Wanted(key, own=True, verify=False))
        if len(key) > MAX_URL:
            wanted.setdefault(key[:MAX_URL], []).append(Wanted(key, own=False, verify=False))
        formers = former_canonical_urls(key)
        # `host。` before 2026-12
        dotted_keys = (with_dotted_host(k) for k in (key, *formers) if dotted)
        for former in dict.fromkeys([*formers, *filter(None, dotted_keys)]):
            wanted.setdefault(stored_key(former), []).append(Wanted(key, own=False, verify=True))
    return wanted


def stands_for(wanted: Wanted, link: str) -> bool:
    """Whether a row stored with `link` under a key `wanted` was looked for by is its page: its
    link gives the key asked for, as newsmon keys it now or keyed it before (`link_keys`: an
    entry's former key, `?from=rss` kept, is asked for too, and its row may be under a key
    from before that)."""
    return not wanted.verify or wanted.asked in link_keys(link)
