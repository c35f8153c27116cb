"""The key releases before 2026-12 gave a page when a link to it wrote its host ending in a
full stop IDNA reads as a dot (`www.yna.co.kr。/view/1`: `https://yna.co.kr./view/1`): a
story they stored so is under that key. Every lookup of a stored story by its key
(`corpus.url_keys.lookup_keys`, through `urls.former_canonical_urls`) looks there too, so a
feed's pass, `backfill --urls` and a page stored while it was fetched agree on it."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

_SCHEMES = ("http", "https")


def with_dotted_host(key: str) -> str | None:
    """`key` with a trailing dot on its host. Only a link gives it, so a row under it is the
    page when its link gives `key` (`url_keys.stands_for`). None for a key without a host name
    (a text's), an IPv6 literal's, or one kept as written (unparsable, another scheme)."""
    if not key.startswith(_SCHEMES):  # a text's key: no parsing on the way
        return None
    try:
        parts = urlsplit(key)
        port, host = parts.port, parts.hostname
    except ValueError:
        return None
    user, at, host_port = parts.netloc.rpartition("@")
    if not host or host.endswith(".") or host_port.startswith("[") or parts.scheme not in _SCHEMES:
        return None
    name, colon, digits = host_port.rpartition(":") if port is not None else (host_port, "", "")
    return urlunsplit(parts._replace(netloc=f"{user}{at}{name}.{colon}{digits}"))
