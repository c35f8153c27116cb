"""One spelling for each host name: feeds and aggregators write the same host in Unicode
(`한국일보.kr`), punycode (`xn--…`), full width (`ＹＮＡ.co.kr`, which browsers and IDNA read as
`yna.co.kr`), capitals or with a trailing dot, and every comparison of hosts (whose site a story
is, which host's politeness limit a request counts against) must see one host.

The form is the one canonical URLs store (`urls.canonical_url`, through w3lib): NFKC, `。` a
dot, then IDNA 2003 (Python's `idna` codec, what w3lib uses), lower case, no trailing dot.
"""

from __future__ import annotations

import encodings.idna
import encodings.punycode
import functools
import unicodedata
from urllib.parse import urlsplit, urlunsplit

# What NFKC leaves of the full stops IDNA reads as dots (`．` is `.`, `｡` is `。`): WHATWG URL
# host parsing (UTS 46 mapping) makes it a dot before anything else, whatever IDNA then says
_STOPS = str.maketrans({"\u3002": "."})
# characters of a host spelled label by label (`_by_label`), which is IDNA's spelling wherever
# IDNA takes the name and a browser's where it refuses a label over 63 characters: a DNS
# name's longest; past it, IDNA's spelling or as NFKC made it
_LONGEST = 253
# characters of a label nameprep leaves non-ASCII from which IDNA refuses it: `xn--` and at
# least a character of punycode each make 64
_REFUSED_LABEL = 60


@functools.lru_cache(maxsize=4096)
def host_key(host: str) -> str:
    """`host` in ASCII (IDNA), lower case, without a trailing dot; its full stops (`。`) dots
    even where IDNA refuses the name (`_by_label`). IP addresses are left as they are."""
    name = unicodedata.normalize("NFKC", host).translate(_STOPS)
    if not name.isascii():
        name = _by_label(name) if len(name) <= _LONGEST else _by_idna(name)
    name = name.lower()
    return name if name.endswith("]") else name.rstrip(".")


def _by_idna(name: str) -> str:
    """`name`, longer than a DNS name, in IDNA 2003 when IDNA takes it, else as it is. A label
    IDNA refuses for its length is seen before its punycode is computed (see `_punycode`)."""
    for label in name.split("."):
        if len(label) >= _REFUSED_LABEL and not label.isascii():
            prepped = encodings.idna.nameprep(label)
            if len(prepped) >= _REFUSED_LABEL and not prepped.isascii():
                return name
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


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
    return prepped if prepped.isascii() else "xn--" + _punycode(prepped)


def _punycode(label: str) -> str:
    """`label.encode("punycode")` (RFC 3492) in O(n log n): the codec scans the label once per
    distinct character, ~14 ms for 253 distinct ones (a crafted host, twice per host through
    IDNA's refusal: ~30 ms each). A character's insertion index is how many characters before
    it are no greater than it, counted in a Fenwick tree of the positions seen so far."""
    basic = "".join(char for char in label if char.isascii()).encode("ascii")
    tree = [0] * (len(label) + 1)

    def add(at: int) -> None:
        at += 1
        while at <= len(label):
            tree[at] += 1
            at += at & -at

    def before(at: int) -> int:  # positions seen before `at`
        seen = 0
        while at > 0:
            seen += tree[at]
            at -= at & -at
        return seen

    places: dict[str, list[int]] = {}
    for at, char in enumerate(label):
        if char.isascii():
            add(at)
        else:
            places.setdefault(char, []).append(at)
    deltas: list[int] = []
    old_char, old_index, seen = 0x80, -1, len(basic)
    for char in sorted(places):
        delta = (seen + 1) * (ord(char) - old_char)
        for same, at in enumerate(places[char]):
            index = before(at) + same
            deltas.append(delta + index - old_index - 1)
            old_index, delta = index, 0
        for at in places[char]:
            add(at)
        seen += len(places[char])
        old_char = ord(char)
    digits = encodings.punycode.generate_integers(len(basic), deltas)
    return (basic + b"-" + digits if basic else digits).decode("ascii")


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
