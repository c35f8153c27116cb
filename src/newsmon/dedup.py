"""Identity of a story: a canonical URL and a hash of its normalised body.

Pure functions, so the same rules hold in the pipeline, the backfill and the tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

# Query parameters that identify a campaign or a click, never the document.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "ref_src",
        "ref_url",
        "spm",
        "cmpid",
        "ncid",
        "ocid",
        "sr_share",
        "s_cid",
        "at_medium",
        "at_campaign",
    }
)
TRACKING_PREFIXES = ("utm_", "itm_", "pk_", "mtm_", "hsa_", "oly_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Minimum length below which a body is too thin to identify a story by its hash.
MIN_HASHABLE_CHARS = 200


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop default port, fragment and tracking parameters.

    The path keeps its case (servers treat it as case-sensitive); remaining query
    parameters are sorted so their order does not create a new identity.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii") if host and not host.isascii() else host
    try:
        port = parts.port
    except ValueError:  # a junk port: keep the URL as written rather than guess
        return url.strip()
    netloc = host
    if port and _DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{host}:{port}"
    if parts.username or parts.password:
        netloc = f"{parts.username or ''}{':' + parts.password if parts.password else ''}@{netloc}"
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~") or "/"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def entry_identity(link: str | None, feed_url: str, guid: str | None, text: str) -> str:
    """What makes a feed entry itself: its canonical link, or for an entry without one, a
    stable name from its feed and its GUID (or, lacking that, its text)."""
    if link:
        return canonical_url(link)
    basis = guid or normalise_text(text)
    digest = hashlib.sha1(f"{canonical_url(feed_url)}\n{basis}".encode()).hexdigest()[:20]
    return f"urn:newsmon:entry:{digest}"


_SPACE = re.compile(r"\s+")
_PUNCT_CATEGORIES = ("P", "S")


def normalise_text(text: str) -> str:
    """Fold the differences that copying a story introduces: width, case, punctuation, spacing."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(" " if unicodedata.category(ch)[0] in _PUNCT_CATEGORIES else ch for ch in text)
    return _SPACE.sub(" ", text).strip()


def content_hash(text: str | None) -> str | None:
    """SHA-256 of the normalised body; None when the body is too short to identify a story."""
    if not text:
        return None
    norm = normalise_text(text)
    if len(norm) < MIN_HASHABLE_CHARS:
        return None
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()
