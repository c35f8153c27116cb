"""One spelling for each host name: feeds and aggregators write the same host in Unicode
(`한국일보.kr`), punycode (`xn--…`), full width (`ＹＮＡ.co.kr`, which browsers and IDNA read as
`yna.co.kr`), capitals or with a trailing dot, and every comparison of hosts (whose site a story
is, which host's politeness limit a request counts against) must see one host.

The form is the one canonical URLs store (`urls.canonical_url`, through w3lib): NFKC, `。` a
dot, then IDNA 2003 (Python's `idna` codec, what w3lib uses), lower case, no trailing dot.
"""

from __future__ import annotations

import encodings.idna
import functools
import unicodedata
from urllib.parse import urlsplit, urlunsplit

# What NFKC leaves of the full stops IDNA reads as dots (`．` is `.`, `｡` is `。`): WHATWG URL
# host parsing (UTS 46 mapping) makes it a dot before anything else, whatever IDNA then says
_STOPS = str.maketrans({"\u3002": "."})
# characters of a host spelled label by label when IDNA refuses it whole (a label over 63
# characters): a DNS name's longest; past it, kept as NFKC made it (punycode's work is
# quadratic: ~40 ms for 250 distinct characters, once per host, cached)
_LONGEST = 253


@functools.lru_cache(maxsize=4096)
def host_key(host: str) -> str:
    """`host` in ASCII (IDNA), lower case, without a trailing dot; its full stops (`。`) dots
    even where IDNA refuses the name (`_by_label`). IP addresses are left as they are."""
    name = unicodedata.normalize("NFKC", host).translate(_STOPS)
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            name = _by_label(name)
    name = name.lower()
    return name if name.endswith("]") else name.rstrip(".")


def _by_label(name: str) -> str:
    """`name`, which IDNA 2003 refuses whole (a label over 63 characters, an empty label), as a
    browser spells it (WHATWG URL: UTS 46 without DNS length checks): each label on its own, a
    long one as `xn--` and its punycode. Kept as it is when a label is refused for what it
    holds, or the name is longer than `_LONGEST`."""
    if len(name) > _LONGEST:
        return name
    labels = []
    for label in name.split("."):
        try:
            labels.append(label if label.isascii() else _label(label))
        except UnicodeError:
            return name
    return ".".join(labels)


def _label(label: str) -> str:
    """One non-ASCII label as IDNA 2003 spells it (nameprep, `xn--` and punycode), without its
    length limit: what a browser gives a label IDNA refuses as too long."""
    prepped = encodings.idna.nameprep(label)
    return prepped if prepped.isascii() else "xn--" + prepped.encode("punycode").decode("ascii")


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
