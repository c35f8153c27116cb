"""One spelling for each host name: feeds and aggregators write the same host in Unicode
(`한국일보.kr`), punycode (`xn--…`), full width (`ＹＮＡ.co.kr`, which browsers and IDNA read as
`yna.co.kr`), capitals or with a trailing dot, and every comparison of hosts (whose site a story
is, which host's politeness limit a request counts against) must see one host.

The form is the one canonical URLs store (`urls.canonical_url`, through w3lib): NFKC, then
IDNA 2003 (Python's `idna` codec, what w3lib uses), lower case, no trailing dot.
"""

from __future__ import annotations

import contextlib
import functools
import unicodedata
from urllib.parse import urlsplit, urlunsplit


@functools.lru_cache(maxsize=4096)
def host_key(host: str) -> str:
    """`host` in ASCII (IDNA), lower case, without a trailing dot; a name IDNA refuses (a label
    over 63 characters) in NFKC lower case. IP addresses are left as they are."""
    name = unicodedata.normalize("NFKC", host)
    if not name.isascii():
        with contextlib.suppress(UnicodeError):  # kept as NFKC made it
            name = name.encode("idna").decode("ascii")
    name = name.lower()
    return name if name.endswith("]") else name.rstrip(".")


def fetchable(url: str) -> str:
    """`url` with a non-ASCII host in `host_key`'s spelling, the rest as written: httpx reads
    hosts by IDNA 2008 without the browsers' mapping, so `ＹＮＡ.co.kr` was an invalid URL."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return url
    if not host or host.isascii():
        return url
    user, at, host_port = parts.netloc.rpartition("@")
    port = host_port.rpartition(":")[2] if parts.port is not None else None
    netloc = f"{user}{at}{host_key(host)}" + (f":{port}" if port is not None else "")
    return urlunsplit(parts._replace(netloc=netloc))


def server_key(url: str) -> str:
    """`url`'s host by `host_key` and its port as written: one server under any spelling of
    its host (what a failure or a timeout is remembered by). `url` itself when unparsable."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return url
    key = host_key(host or "")
    return key if port is None else f"{key}:{port}"
