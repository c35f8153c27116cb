"""The key releases before 2026-12 gave a page when a link to it wrote its host ending in a
full stop IDNA reads as a dot (`www.yna.co.kr。/view/1`: `https://yna.co.kr./view/1`): a
story they stored so is under that key. Every lookup of a stored story by its key
(`corpus.url_keys.lookup_keys`) looks there too when no row is under the key's own or an
earlier key (`ArticleViews.known_articles`), so a feed's pass, `backfill --urls` and a page
stored while it was fetched agree on it, whichever spelling of the link they read.
"""

from __future__ import annotations

import re

# a canonical URL's scheme, authority and the rest: one match, no parsing (every key found
# under no other passes here: a feed's new entries, a backfill's new pages)
_KEY = re.compile(r"(https?://)([^/?#]*)(.*)", re.DOTALL)
_PORT = re.compile(r":[0-9]*")


def with_dotted_host(key: str) -> str | None:
    """`key` with a trailing dot on its host. Only a link gives it, so a row under it is the
    page when its link gives `key` (`url_keys.stands_for`). None for a key without a host name
    (a text's), an IPv6 literal's, or one not http(s)."""
    match = _KEY.fullmatch(key)
    if match is None:
        return None
    scheme, netloc, rest = match.groups()
    user, at, host_port = netloc.rpartition("@")
    if host_port.startswith("["):
        return None
    name, colon, digits = host_port.partition(":")
    if not name or name.endswith(".") or (colon and not _PORT.fullmatch(colon + digits)):
        return None
    return f"{scheme}{user}{at}{name}.{colon}{digits}{rest}"
