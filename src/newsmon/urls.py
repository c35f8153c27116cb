"""Page addresses: the address to show (`clean_url`) and the identity of a page (`canonical_url`).

The generic rules of URL equivalence come from w3lib (Scrapy's URL library): lower-case scheme
and host, IDNA host names, percent-encoding normalised (UTF-8, upper-case hex, only what must
be escaped), query parameters sorted by name then value, fragment dropped, `.`/`..` segments
resolved, IPv6 hosts normalised. newsmon adds what w3lib leaves to its users: default ports and
a trailing dot in the host go (a non-ASCII host is spelled as `hosts.host_key` spells it, so a
trailing `。` IDNA reads as a dot goes too), and tracking parameters (`newsmon.url_tracking`)
go. `canonical_url` then folds the variants of one page that news sites serve (http/https,
`www.`/`amp.` hosts, AMP renderings, a trailing slash), and keeps a fragment that names an
item of the page (`anchor`: `digest#item-2`), since feeds of digests, live blogs and threads
link their items so.

Canonical URLs are keys stored in the corpus: a change here re-keys articles, so
tests/unit/test_urls.py pins the results. courlan (installed with trafilatura) was not used:
its tracker pattern drops parameters that name documents (`gallery`, `*_uid`, `source`), it
keeps fragments and turns IDNA hosts back into Unicode.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import quote, unquote, unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from newsmon.bounds import clean_text
from newsmon.hosts import host_key
from newsmon.url_tracking import is_former_tracking_param, is_tracking_param

# Until 2026-12 every parameter beginning `pk_` was dropped as tracking; pages whose keys
# carry one were stored under a key without it (`former_canonical_urls`).
_FORMER_PREFIX = "pk_"
_DEFAULT_PORTS = {"http": 80, "https": 443}
# w3lib leaves `|`, `[` and `]` unescaped in paths; newsmon always escaped them, and stored
# keys must not change, so the path is escaped once more with newsmon's set of safe characters.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"

# Host prefixes that serve the same document as the bare host.
_HOST_ALIASES = ("www.", "amp.")
# A Java servlet's session id in the path (URL rewriting, `page.jsp;jsessionid=…`): the
# visitor's session, never the document; a feed generated anew gives each link another one.
_SESSION_PATH_PARAM = re.compile(r";jsessionid=[^/;]*", re.IGNORECASE)
# The same, its value apart: a credential (whoever has it is logged in as the visitor).
_SESSION_IN_PATH = re.compile(r"(;jsessionid=)([^/;?#]+)", re.IGNORECASE)
# Query parameters that only ask for the AMP rendering of the same page.
_AMP_FLAG_VALUES = frozenset({"", "1", "true", "y", "yes"})
# Fragments that name no item of a page but a place every page has (its top, its comments or
# comment form, its main content), WordPress's "read more" mark (`#more-123`): the page itself.
_PLACES = frozenset(
    {
        "top",
        "start",
        "page",
        "content",
        "main",
        "main-content",
        "maincontent",
        "article",
        "comments",
        "respond",
        "reply",
        "disqus_thread",
        "comment-form",
        "commentform",
        "share",
        "more",
    }
)
_READ_MORE = re.compile(r"more-\d+")
# A text fragment directive (`#:~:text=…`, `#item-2:~:text=…`): a highlight, not a place.
_DIRECTIVE = ":~:"
_FRAGMENT_SAFE = "/?:@!$&'()*+,;=-._~%"


# Query parameters whose values are credentials (an API key in a feed's URL), by name and by
# the end of a name, in any case (`X-Api-Key`, `auth_token`, `torrent_pass`): `shown_url` hides
# their values. Where the names come from: Sentry's default scrubbing list (password, passwd,
# secret, api_key, auth, credentials, mysql_pwd, private_key, token, session, sessionid); the
# signature and credential parameters of signed URLs (AWS SigV4 `X-Amz-Signature`,
# `X-Amz-Credential`, `X-Amz-Security-Token`; Google Cloud Storage V4 `X-Goog-Signature`,
# `X-Goog-Credential`; Azure SAS `sig`; CloudFront `Signature`); OAuth 2.0's `access_token`
# (RFC 6750); and the short forms of password (`pass`, `pwd`, `pw`) that feed readers, forums
# and trackers put in private feeds' URLs; session ids (`jsessionid`, PHP's `PHPSESSID`), which
# a page address copied from a logged-in browser carries.
SECRET_PARAMS = frozenset({"auth", "sig", "pass", "pw", "session", "sessionid"})
SECRET_ENDINGS = (
    "sessionid",
    "sessid",
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "_pass",
    "-pass",
    "signature",
    "credential",
    "credentials",
)


def _is_secret_param(name: str) -> bool:
    low = name.lower()
    return low in SECRET_PARAMS or low.endswith(SECRET_ENDINGS)


def shown_url(url: str) -> str:
    """`url` as messages, logs and listings show it: a user's password (`user:password@`, or
    the whole user part when it is one word, a token) and the values of query parameters that
    name a credential (`apikey=`, `access_token=`) become `***`; the rest stays as written. A
    URL urllib cannot read loses its whole user part."""
    return _hide_credentials(url, drop_user=False)


def without_user(url: str) -> str:
    """`url` without its user part, everything else as written: what a reader is shown of a
    stranger's link. ``https://www.bbc.co.uk@evil.example/`` leads to evil.example but reads
    as the BBC's, and a link's ``user:password`` is no one's business in a channel."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = len(rest)
    for mark in "/?#":
        found = rest.find(mark, 0, end)
        end = found if found >= 0 else end
    _user, at, host = rest[:end].rpartition("@")
    return f"{scheme}://{host}{rest[end:]}" if at else url


def without_credentials(url: str) -> str:
    """`url` with no user part and its credential query values hidden: the base a keyed
    feed's relative links are resolved against, so no article URL (stored, posted to Slack)
    carries the feed's key."""
    return _hide_credentials(url, drop_user=True)


_HIDDEN = "***"


def carries_hidden_credentials(url: str) -> bool:
    """Whether `url` holds a credential as `without_credentials` hid it (`apikey=***`): the
    address of a keyed feed itself, as an entry's `#…` link resolved against it gives, which
    would send the publisher a wrong key."""
    before, _hash, fragment = url.partition("#")
    pairs = [*before.partition("?")[2].split("&"), *_fragment_params(fragment)[1].split("&")]
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if eq and unquote_plus(value) == _HIDDEN and _is_secret_param(unquote_plus(key)):
            return True
    return False


def _fragment_params(fragment: str) -> tuple[str, str]:
    """A fragment as (what comes before its parameters, its parameters): OAuth's implicit
    grant writes its tokens there (`#access_token=…&token_type=bearer`, `#id_token=…`), a
    hash route after a `?` (`#/callback?access_token=…`). ("", "") when it has none."""
    head, qmark, params = fragment.partition("?")
    if qmark:
        return head + qmark, params
    return ("", fragment) if "=" in fragment else (fragment, "")


def _map_fragment(fragment: str, pair: Callable[[str], str | None]) -> str:
    """`fragment` with each of its parameters replaced by `pair(it)`, dropped when None."""
    head, params = _fragment_params(fragment)
    if not params:
        return fragment
    kept = [p for p in (pair(p) for p in params.split("&")) if p is not None]
    return head + "&".join(kept) if kept or not head.endswith("?") else head[:-1]


# A feed's key is looked for under any parameter name from this length on: a shorter value
# (`?apikey=1`) could be any parameter's (`?page=1`).
_KEY_ANY_NAME = 8


def credentials_of(url: str) -> frozenset[str]:
    """The secret values `url` carries: its user part's password (or the user part itself,
    a token) and the values of its credential query parameters."""
    rest = url.partition("://")[2]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    user, at, _host = authority.rpartition("@")
    found = {user.partition(":")[2] or user} if at else set()
    before, _hash, fragment = rest[len(authority) :].partition("#")
    path, _qmark, query = before.partition("?")
    found.update(unquote(m.group(2)) for m in _SESSION_IN_PATH.finditer(path))
    for pair in [*query.split("&"), *_fragment_params(fragment)[1].split("&")]:
        key, eq, value = pair.partition("=")
        if eq and value and _is_secret_param(unquote_plus(key)):
            found.add(unquote_plus(value))
    return frozenset(v for v in found if v)


def without_keys_of(link: str, feed_url: str) -> str:
    """`link` without the credentials of its feed's `feed_url`: no user part holding them, no
    query parameter whose value is one of them (a private feed writing the reader's key into
    every item's link); the rest as written. Anything else, a GUID that is no URL, as it is."""
    secrets = credentials_of(feed_url)
    scheme, sep, rest = link.partition("://")
    if not secrets or not sep:
        return link
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    tail = rest[len(authority) :]
    user, at, host = authority.rpartition("@")
    if at and (user.partition(":")[2] or user) in secrets:
        authority = host
    before, hash_, fragment = tail.partition("#")
    path, qmark, query = before.partition("?")
    path = _SESSION_IN_PATH.sub(lambda m: "" if unquote(m.group(2)) in secrets else m[0], path)

    def keyed(pair: str) -> bool:
        name, eq, value = pair.partition("=")
        value = unquote_plus(value)
        named = _is_secret_param(unquote_plus(name)) or len(value) >= _KEY_ANY_NAME
        return bool(eq) and value in secrets and named

    if qmark:
        query = "&".join(p for p in query.split("&") if not keyed(p))
    fragment = _map_fragment(fragment, lambda p: None if keyed(p) else p)
    hash_ = hash_ if fragment else ""
    return f"{scheme}://{authority}{path}{'?' if query else ''}{query}{hash_}{fragment}"


def _hide_credentials(url: str, *, drop_user: bool) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = len(rest)
    for mark in "/?#":
        found = rest.find(mark, 0, end)
        end = found if found >= 0 else end
    authority, tail = rest[:end], rest[end:]
    user, at, host = authority.rpartition("@")
    if at and drop_user:
        authority = host
    elif at:
        name, colon, _password = user.partition(":")
        try:
            urlsplit(url)
            readable = True
        except ValueError:
            readable = False
        authority = f"{name}:***@{host}" if colon and readable else f"***@{host}"
    before, hash_, fragment = tail.partition("#")
    path, qmark, query = before.partition("?")
    path = _SESSION_IN_PATH.sub(lambda m: m[1] + _HIDDEN, path)

    def hidden(pair: str) -> str:
        key, eq, _value = pair.partition("=")
        return f"{key}={_HIDDEN}" if eq and _is_secret_param(unquote_plus(key)) else pair

    if qmark:
        query = "&".join(hidden(p) for p in query.split("&"))
    fragment = _map_fragment(fragment, hidden)
    return f"{scheme}://{authority}{path}{qmark}{query}{hash_}{fragment}"


def _without(query: str, unwanted: Callable[[str, str], bool]) -> str:
    """The query without the parameters `unwanted(name, value)` picks; the others stay exactly
    as written (decoding and re-encoding would turn non-UTF-8 escapes into U+FFFD)."""
    kept = []
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if pair and not unwanted(unquote_plus(name), unquote_plus(value)):
            kept.append(pair)
    return "&".join(kept)


def _netloc(scheme: str, netloc: str, port: int | None) -> str:
    """The authority without the scheme's default port or a trailing dot on the host name."""
    host_port = netloc.rpartition("@")[2]
    userinfo = netloc[: len(netloc) - len(host_port)]
    host, port_part = host_port, ""
    if port is not None:
        host, _, digits = host_port.rpartition(":")
        if _DEFAULT_PORTS.get(scheme.lower()) != port:
            port_part = f":{digits}"
    if not host.endswith("]"):  # an IPv6 literal has no trailing dot to drop
        host = host.rstrip(".")
    if not host.isascii() and host_key(host).isascii():
        # `hosts.host_key`'s spelling: IDNA reads `。`, `．` and `｡` as dots, so a trailing one
        # was a trailing dot after w3lib's IDNA, another key than the plain host's
        host = host_key(host)
    return f"{userinfo}{host}{port_part}"


def site_root(url: str) -> str:
    """The address of `url`'s site ("https://host/"): what a link too long to keep or show
    leads to instead of a cut address (another page, or none). Never raises."""
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}/"
    except ValueError:  # the host part is no host: cut it out by hand
        return "/".join(url.split("/", 3)[:3]) + "/"


def clean_url(url: str, _tracking: Callable[[str, str], bool] = is_tracking_param) -> str:
    """The address to show and link: normalised by w3lib, without a default port, fragment or
    tracking parameters; the remaining query parameters sorted.

    The path keeps its case (servers treat it as case-sensitive). Unlike `canonical_url`, the
    result is still the page the publisher served (same scheme, host and AMP-ness).
    """
    text = clean_text(url).strip()
    try:
        parts = urlsplit(text)
        port = parts.port
        trimmed = urlunsplit(
            (parts.scheme, _netloc(parts.scheme, parts.netloc, port), parts.path, "", "")
        )
        query = _without(parts.query, _tracking)
        normal = urlsplit(canonicalize_url(f"{trimmed}?{query}" if query else trimmed))
    except ValueError:  # a junk port, a host urllib or w3lib refuses: kept as written
        return text
    return urlunsplit(normal._replace(path=quote(normal.path, safe=_PATH_SAFE)))


def _is_amp_param(key: str, value: str) -> bool:
    low_key, low_value = key.lower(), value.lower()
    if low_key == "amp":
        return low_value in _AMP_FLAG_VALUES
    return low_key in {"outputtype", "output", "format"} and low_value == "amp"


def _strip_amp_path(path: str) -> str:
    """/story/amp, /story/amp/, /story/amp.html, /story.amp.html, /story.amp, /amp/story.

    Only when something is left: `/amp` alone is a page of its own.
    """
    for suffix, replacement in (("/amp/", ""), ("/amp", ""), ("/amp.html", "")):
        if path.endswith(suffix) and len(path) > len(suffix):
            return path[: -len(suffix)] + replacement
    if path.endswith(".amp.html"):
        return path[: -len(".amp.html")] + ".html"
    if path.endswith(".amp") and len(path) > len("/.amp"):
        return path[: -len(".amp")]
    if path.startswith("/amp/") and len(path) > len("/amp/"):
        return path[len("/amp") :]
    return path


def former_link_key(url: str) -> str:
    """The key an earlier newsmon gave the page `url` links to: feed marks (`?from=rss`) kept.
    A row stored under it is found by the entry linking it, not announced again; keys from
    before that (`former_canonical_urls` of it) too."""
    return canonical_url(url, is_former_tracking_param)


def link_keys(url: str) -> tuple[str, ...]:
    """The keys the page `url` links to has had, this release's first: a row found under an
    earlier key several pages shared is this page when its link gives one of them."""
    return tuple(dict.fromkeys((canonical_url(url), former_link_key(url))))


def canonical_url(url: str, _tracking: Callable[[str, str], bool] = is_tracking_param) -> str:
    """The identity of a page: `clean_url` with the variants of one page folded together.

    On top of `clean_url`: http and https are one page, `www.` and `amp.` hosts are the bare
    host, AMP renderings (`/amp`, `/amp.html`, `.amp.html`, `?amp=1`, `/amp/…`) are the page,
    a servlet session id in the path (`;jsessionid=…`) goes, and a trailing slash is dropped.
    Different paths, hosts (other subdomains) and meaningful query parameters stay different,
    and so do items of one page (`digest#item-1`, `#item-2`: `anchor`); any other fragment goes.
    The result is a key, not always a fetchable address.
    """
    cleaned = clean_url(url, _tracking)
    try:
        parts = urlsplit(cleaned)
        known = parts.scheme in _DEFAULT_PORTS and parts.hostname
    except ValueError:  # what `clean_url` kept as written
        return cleaned
    if not known:
        return cleaned
    netloc = parts.netloc
    if "@" not in netloc:
        for alias in _HOST_ALIASES:
            if netloc.startswith(alias) and "." in netloc[len(alias) :]:
                netloc = netloc[len(alias) :]
                break
    path = _strip_amp_path(_SESSION_PATH_PARAM.sub("", parts.path))
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query = _without(parts.query, _is_amp_param)
    return urlunsplit(("https", netloc, path, query, anchor(url)))


def anchor(url: str) -> str:
    """The item of a page that `url`'s fragment names (`item-2` in `digest#item-2`, `post-7`,
    `p123`), escaped as a key holds it; "" when it names none: no fragment, a place every page
    has (`#top`, `#comments`, `#respond`, `#more-123`), a text highlight (`#:~:text=…`), or
    parameters (analytics written after `#`: `#xtor=RSS-3`, `#utm_source=rss`)."""
    fragment = url.partition("#")[2].partition(_DIRECTIVE)[0]
    if not fragment or ("=" in fragment and not fragment.startswith(("!", "/"))):
        return ""
    name = unquote_plus(fragment).strip().lower()
    if name in _PLACES or _READ_MORE.fullmatch(name):
        return ""
    return quote(clean_text(fragment), safe=_FRAGMENT_SAFE)


def pages_of_items(links: Iterable[str]) -> frozenset[str]:
    """The pages (`canonical_url` without the anchor) that two or more of a feed's `links`
    name different items of: a digest, a live blog, a thread. Their text is every item's, so
    an item's own is its entry's. A page one link names with an anchor (`story#section-2`,
    `#rss`) is an article like any other, and is read."""
    items: dict[str, set[str]] = {}
    for link in links:
        name = anchor(link)
        if name:
            items.setdefault(canonical_url(link.partition("#")[0]), set()).add(name)
    return frozenset(page for page, names in items.items() if len(names) > 1)


def item_of(link: str, pages: frozenset[str]) -> bool:
    """Whether `link` names an item of one of `pages` (`pages_of_items`)."""
    return bool(pages) and bool(anchor(link)) and canonical_url(link.partition("#")[0]) in pages


def former_canonical_urls(key: str) -> tuple[str, ...]:
    """The keys an earlier newsmon gave the page whose `canonical_url` is `key`, when it gave
    others: without its anchor (fragments were all dropped until 2026-12), and without the
    `pk_…` parameters it dropped as tracking. A key stored so may stand for other pages too
    (`digest#item-1` and `#item-2` were both `digest`, `view.php?pk_id=1` and `?pk_id=2` both
    `view.php`), so a row found by it is this page only when its own link gives `key`. With
    a trailing dot on the host, too: `dotted_hosts`, which `url_keys.lookup_keys` adds."""
    page, hash_, _ = key.partition("#")
    formers = [page] if hash_ else []
    try:
        scheme, netloc, path, query, _ = urlsplit(page)
    except ValueError:  # a key kept as written: it kept its parameters then too
        return tuple(formers)
    kept = _without(query, lambda name, _value: name.lower().startswith(_FORMER_PREFIX))
    if _FORMER_PREFIX in query.lower() and kept != query:
        formers.append(urlunsplit((scheme, netloc, path, kept, "")))
    return tuple(formers)


_ANY_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]{1,20})://[^\s<>\"']+")
_DATABASE_SCHEMES = ("postgres", "sqlite", "mysql")
_WEBHOOK_HOSTS = ("hooks.slack.com",)
# Slack's tokens: bot, user, app-level, configuration, refresh (xoxb-…, xoxp-…, xapp-…)
_SLACK_TOKEN = re.compile(r"\b(?:xox[a-z]|xapp)-[A-Za-z0-9-]+")


def hide_secrets(text: str) -> str:
    """`text` (an error's message, a server's answer) fit for logs, the runs table and Slack:
    database URLs out altogether, a Slack webhook URL (its path is the secret) and Slack tokens
    replaced, and every other URL shown as `shown_url` shows it (no password, no credential
    query values). Never raises: an address urllib cannot read loses its secrets too."""

    def shown(found: re.Match[str]) -> str:
        url = found.group(0)
        if found.group(1).lower().startswith(_DATABASE_SCHEMES):
            return "(database URL)"
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:  # `http://[SITE_URL]/…` in a server's words: no host, still hidden
            host = ""
        if host_key(host) in _WEBHOOK_HOSTS:  # `hooks.slack.com.` and full width too
            return "(Slack webhook URL)"
        return shown_url(url)

    return _SLACK_TOKEN.sub("(Slack token)", _ANY_URL.sub(shown, text))
