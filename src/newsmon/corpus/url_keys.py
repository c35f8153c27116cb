"""A canonical URL as the corpus stores it: `articles.canonical_url` holds 2,000 characters.

A longer key used to be cut to 2,000 by the column, so two pages whose keys differ only past
that were one page (the second story never announced), and a lookup by the whole key found
the row under another key (the feed's pass failed on it). A longer key is now stored as its
first characters, `#` (never in a canonical URL: fragments are dropped) and a SHA-1 of the
whole key; keys of 2,000 characters or fewer are stored as they are. Rows stored before under
a cut key are still found by it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from newsmon.corpus.schema import MAX_URL

_DIGEST_CHARS = 40  # SHA-1, hexadecimal


def stored_key(key: str) -> str:
    """`key` as stored: as it is when it fits, else its first characters and its hash."""
    if len(key) <= MAX_URL:
        return key
    digest = hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{key[: MAX_URL - _DIGEST_CHARS - 1]}#{digest}"


def lookup_keys(keys: Sequence[str]) -> dict[str, list[str]]:
    """The stored keys to look for, each with the keys asked for that it stands for: the
    stored key of each, and for a key too long to fit also the cut key rows stored before
    had (after the stored key, so a row stored under its own key wins)."""
    wanted: dict[str, list[str]] = {}
    for key in keys:
        wanted.setdefault(stored_key(key), []).append(key)
    for key in keys:
        if len(key) > MAX_URL:
            wanted.setdefault(key[:MAX_URL], []).append(key)
    return wanted
