"""Feed discovery for `newsmon feeds add`: from a URL to a validated feed, then into the config.

The bytes are a stranger's, as in a pass: each candidate is parsed in a worker process, within
`fetch.feed_parse_timeout_seconds` and `extract.worker_memory_mb` (newsmon.workers). In this
process a hostile feed cost ~30 s of CPU and ~1.3 GB, Ctrl-C could not stop it, and it was then
added to the configuration, to fail every pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import httpx
from pydantic import ValidationError

from newsmon.bounds import clean_text, one_line
from newsmon.config import Config, ConfigError, FeedConfig, load_config
from newsmon.feed_twins import feed_identity
from newsmon.feedlinks import find_feed_links, on_host_of, page_canonical
from newsmon.feeds import FeedParseError, ParsedFeed
from newsmon.fetch import FailureKind, Fetcher, FetchResult
from newsmon.hosts import server_key
from newsmon.language import RULE_LANGUAGES, detect_language
from newsmon.rules import Rules
from newsmon.urls import shown_url
from newsmon.workers import PagePool, WorkStopped
from newsmon.yamledit import append_to_list, plain_line
from newsmon.yamlfile import escape_env

# Feeds a page's <link rel="alternate"> may make us try: a site lists a few (comments,
# categories); a page listing thousands would otherwise cost a request, up to
# fetch.total_timeout, each.
MAX_CANDIDATES = 8

# Where sites keep a feed they do not advertise with <link rel="alternate"> (WordPress, static
# site generators, the Korean news CMSes' whole-site and section feeds), tried in this order on
# the page's host when the page links to no feed, up to the first that is a feed.
COMMON_PATHS = (
    "/feed/",
    "/rss",
    "/rss.xml",
    "/atom.xml",
    "/index.xml",
    "/feed.xml",
    "/rss/allArticle.xml",
    "/rss/S1N1.xml",
)
# Of those, the ones a section of a site has too (`/blog/feed/`, Hugo's `/posts/index.xml`),
# tried first in the page's sections: at most MAX_SECTIONS folders above the page, the
# outermost first (`/blog/` for `/blog/2024/post-123/`), never a folder of digits (a date:
# `/2024/feed/` is that year's archive). The page's own folder only when it is a top folder
# (`/blog/` given itself), after the root: WordPress's `/post/feed/` is that post's comment
# feed. At most 2 x 6 + 8 = 20 requests.
SECTION_PATHS = ("feed/", "rss", "rss.xml", "atom.xml", "index.xml", "feed.xml")
MAX_SECTIONS = 2
# An answer that says only "not here": the next common address is worth a request. Anything
# else (a timeout, a refused connection, a 5xx, the address policy) ends the search: the host
# would answer the next ones no better, each up to fetch.total_timeout.
_NOT_HERE = {FailureKind.HTTP_CLIENT, FailureKind.NOT_A_FEED}
# At a section, these say "not in this section" only: a section's broken plugin (5xx), slow
# handler or redirect the address policy refuses says little of the root of a host that has
# just served the page. The rest of that section is skipped; the root is still tried.
_NOT_IN_SECTION = {FailureKind.HTTP_SERVER, FailureKind.TIMEOUT, FailureKind.REFUSED}
# A linked feed's host that did not answer in time (or whose name did not resolve) would
# answer the page's next links no better: they are not asked, each up to fetch.total_timeout
# (8 stalled links kept `feeds add` silent for ~4 minutes).
_HOST_SILENT = {FailureKind.TIMEOUT, FailureKind.DNS}
# What the "none at ..." line shows of each address tried (20 of them): a path of 3,000-character
# folders made the line ~55,000 characters.
_SHOWN_PATH = 60


class DiscoveryError(Exception):
    """No usable feed at or behind the URL; the message says what was tried."""


def ascii_url(url: str) -> str:
    """`url` in printable ASCII: as it is if it is; else as it is requested (IDNA host, the
    rest percent-encoded as UTF-8: a NEL, a C1 control or a bidi override from a page or a
    Location header becomes `%C2%85`, ...); a URL httpx cannot read has every character
    outside printable ASCII percent-encoded."""
    if url.isascii() and url.isprintable():
        return url
    try:
        return str(httpx.URL(url))
    except (httpx.InvalidURL, ValueError, TypeError):
        return "".join(c if "!" <= c <= "~" else quote(c, safe="") for c in clean_text(url))


_FEED_SCHEME = re.compile(r"feed:(?://)?(?=https?://)|feed://", re.IGNORECASE)


def pasted(url: str) -> str:
    """The address a person pasted, as the http(s) one it means: surrounding spaces and line
    breaks trimmed; `feed://host/x` (what some browsers and sites show) is `http://host/x`,
    `feed:https://host/x` (and `feed://https://host/x`) is `https://host/x`. Any other
    `feed:` form is left as it is, to be refused by the scheme policy (only http and https
    are ever requested)."""
    url = url.strip()
    wrapped = _FEED_SCHEME.match(url)
    if wrapped is None:
        return url
    rest = url[wrapped.end() :]
    return rest if rest.lower().startswith(("http://", "https://")) else "http://" + rest


def said(url: str) -> str:
    """`url` as a message shows it: printable ASCII, credentials hidden, at most 200
    characters."""
    shown = shown_url(ascii_url(url))
    return shown if len(shown) <= 200 else shown[:199] + "…"


def _error(result: FetchResult) -> str:
    """The fetch's failure as one short line of printable text (a reason phrase is the
    server's)."""
    return one_line(result.error or "", 200) or "not a feed"


def _configured_url(asked: str, result: FetchResult) -> str:
    """The address to configure for a feed fetched from `asked`: where a chain of permanent
    redirects ended, else `asked` itself (a temporary redirect, to a signed CDN address or a
    redirector, is the publisher's to change), in printable ASCII."""
    return ascii_url(result.moved_to or asked)


def argument_problem(name: str | None, language: str | None) -> str | None:
    """What is wrong with a `--name` or `--language` for a new feed, or None."""
    try:
        FeedConfig.model_validate({"name": name or "x", "url": "https://x/", "language": language})
    except ValidationError as exc:
        fields = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        if "name" in fields:
            return (
                f"--name {plain_line(name or '')[:90]!r}: lower-case letters, digits, '.', '-'"
                " and '_', starting with a letter or digit, at most 80 characters"
            )
        return f"--language {plain_line(language or '')[:20]!r}: ko or en"
    return None


class Via(StrEnum):
    """How the feed was found from the URL given."""

    GIVEN = "given"  # the URL is the feed
    LINKED = "linked"  # the page links to it (<link rel="alternate">)
    COMMON_PATH = "common path"  # not linked: found at one of `common_paths` on the page's host


@dataclass(frozen=True)
class FoundFeed:
    url: str
    title: str | None
    entries: int
    language: str | None
    reached: str | None = None  # where the fetch ended, redirects (temporary ones too) followed
    via: Via = Via.GIVEN
    asked: str | None = None  # the address requested, before any redirect


def same_feed(url: str) -> str:
    """What two addresses of one feed have in common: a configured feed pasted again with
    tracking parameters, another scheme, `www.`, host case or a trailing slash would be polled
    twice and counted twice in health (`feed_twins.feed_identity`: a key, nothing stored)."""
    return feed_identity(url)


def configured_as(
    found: FoundFeed,
    feeds: Iterable[FeedConfig],
    moves: Mapping[str, tuple[str, str]] | None = None,
) -> FeedConfig | None:
    """The configured feed that `found` is, under any of its addresses (the one asked, where a
    permanent redirect led, where the fetch ended), or None. `moves` (`Feeds.moves`): where a
    pass found configured feeds moved; a move recorded for another URL than the one now
    configured is the old configuration's, not this feed's."""
    keys = {same_feed(u) for u in (found.asked, found.url, found.reached) if u}
    for feed in feeds:
        addresses = [feed.url]
        configured, moved = (moves or {}).get(feed.name, ("", ""))
        if configured and configured == shown_url(feed.url):
            addresses.append(moved)
        if any(same_feed(a) in keys for a in addresses):
            return feed
    return None


async def _as_feed(
    pool: PagePool, got: FetchResult, cap: int
) -> tuple[ParsedFeed | None, str | None]:
    """The feed in a fetched body, or None and why when the parse was stopped. As many entries
    as a pass reads (`cap`): parsing all 40,000 of a feed a pass reads in 0.2 s went over the
    budget, and the feed was not added."""
    try:
        parsed = await pool.parse_feed(
            got.content, got.final_url, got.charset, got.content_type, max_entries=cap
        )
    except FeedParseError:
        return None, None
    except WorkStopped as stopped:  # "feed parsing exceeded 20 s"
        return None, str(stopped)
    return (parsed if parsed.entries or parsed.title else None), None


def _pool(config: Config) -> PagePool:
    """One worker is enough for one candidate at a time (none with `workers: 0`); discovery
    classifies nothing, so the workers get no topic rules."""
    one = config.model_copy(update={"workers": 0 if config.workers == 0 else 1})
    return PagePool(Rules(topics=(), version="discovery"), one)


def _found(url: str, got: FetchResult, parsed: ParsedFeed, via: Via = Via.GIVEN) -> FoundFeed:
    sample = " ".join(f"{e.title} {e.summary}" for e in parsed.entries[:20])
    language = detect_language(sample)
    return FoundFeed(url, parsed.title, len(parsed.entries), language, got.final_url, via, got.url)


def _sections(page_path: str) -> tuple[list[str], list[str]]:
    """The page's sections tried before the root, and its own folder tried after it when the
    page's address is a top folder (`/blog/`)."""
    parts = [f for f in page_path.split("/") if f]
    # digits are a date (/2024/05/post/): /2024/feed/ is that year's archive, not a section
    usable = [not (f.isascii() and f.isdigit()) for f in parts]
    above = [
        "/" + "/".join(parts[: depth + 1]) + "/" for depth in range(len(parts) - 1) if usable[depth]
    ][:MAX_SECTIONS]
    # a top folder given itself is a section's front page (`/blog/`, `/news/`); a deeper one is
    # mostly a post (`/blog/2024/post-123/`), whose own feed is its comments
    own = [f"/{parts[0]}/"] if len(parts) == 1 and usable[0] and page_path.endswith("/") else []
    return above, own


def common_paths(page_path: str) -> list[str]:
    """Where a feed the page does not link to may be, in the order tried: SECTION_PATHS in
    the page's sections, then COMMON_PATHS at the host's root, then SECTION_PATHS in the
    page's own folder when it is one."""
    return [path for _, path in _probes(page_path)]


def _probes(page_path: str) -> list[tuple[str, str]]:
    """`common_paths`, each with the section it is in ("/" for the root)."""
    above, own = _sections(page_path)
    root = [("/", path) for path in COMMON_PATHS]
    return (
        [(s, s + p) for s in above for p in SECTION_PATHS]
        + root
        + [(s, s + p) for s in own for p in SECTION_PATHS]
    )


def _shown(path: str) -> str:
    """A probed path as the one line shows it: printable ASCII, at most _SHOWN_PATH
    characters, its end kept (the feed's name: `/wwww…ww/feed/`)."""
    text = "".join(c if "!" <= c <= "~" else quote(c, safe="") for c in path)
    if len(text) <= _SHOWN_PATH:
        return text
    return text[:20] + "…" + text[-(_SHOWN_PATH - 21) :]


async def _at_common_path(
    fetcher: Fetcher, pool: PagePool, page: FetchResult, user_url: str
) -> tuple[FoundFeed | None, str]:
    """The first feed at one of `common_paths` on the host the page was served from, or None
    and what was tried (one line). Each is fetched like a linked feed: the same size and time
    limits, and the address policy off the host the user named."""
    tried: list[str] = []
    skipped: list[str] = []  # "/blog/: HTTP 503 ..." for each section given up
    given_up: set[str] = set()
    # the folders of the page itself: an AMP variant's (/post/amp/) own folder is the post's,
    # whose /post/feed/ is its comment feed
    canonical = page_canonical(page.content, page.final_url)
    own = canonical if canonical and on_host_of(canonical, page.final_url) else page.final_url
    for section, path in _probes(urlsplit(own).path or "/"):
        if section in given_up:
            continue
        address = urljoin(page.final_url, path)
        got = await fetcher.get(address, max_bytes=fetcher.config.max_feed_bytes, user_url=user_url)
        kind, why = got.failure, _error(got)
        if got.ok:
            parsed, stopped = await _as_feed(pool, got, fetcher.config.max_entries_per_feed)
            if parsed is not None:
                return _found(_configured_url(address, got), got, parsed, Via.COMMON_PATH), ""
            kind = FailureKind.OVER_BUDGET if stopped else FailureKind.NOT_A_FEED
            why = one_line(stopped, 200) if stopped else "not a feed"
        if kind in _NOT_HERE:
            tried.append(_shown(path))
        elif section != "/" and kind in _NOT_IN_SECTION:
            given_up.add(section)
            skipped.append(f"{_shown(path)}: {why}")
        else:
            where = ", ".join(tried) or "no address"
            return None, f"none at {where}; stopped at {_shown(path)}: {why}"
    gave_up = f"; gave up {', '.join(skipped)}" if skipped else ""
    return None, f"none at {', '.join(tried) or 'no address'}{gave_up}"


async def discover(url: str, config: Config, language: str | None = None) -> FoundFeed:
    """The feed at or behind `url`. Of the feeds a page links to, the first that reads, or
    with `language` (`--language`) the first that reads as that language, if any does: a
    site linking its Korean feed before its English one had the Korean one configured as
    English."""
    url = pasted(url)
    fetch = config.fetch
    fetcher = Fetcher(fetch)
    pool = _pool(config)
    try:
        page = await fetcher.get(url, max_bytes=fetch.max_feed_bytes, trusted=True)
        if not page.ok:
            raise DiscoveryError(f"cannot fetch {said(url)}: {_error(page)}")
        direct, stopped = await _as_feed(pool, page, fetch.max_entries_per_feed)
        if direct is not None and page.content_type not in ("text/html", "application/xhtml+xml"):
            return _found(_configured_url(url, page), page, direct)
        # one more than is tried: enough to say there are others
        candidates = find_feed_links(page.content, page.final_url, limit=MAX_CANDIDATES + 1)
        tried: list[str] = []
        other_language: FoundFeed | None = None  # the first feed read, not in `language`
        silent: set[str] = set()  # hosts of links that timed out (`_HOST_SILENT`)
        for candidate in candidates[:MAX_CANDIDATES]:
            if (host := server_key(candidate)) in silent:  # `１２７．０．０．１`, `Host.`
                continue
            # a link the page chose: the address policy applies off the host the user named
            got = await fetcher.get(candidate, max_bytes=fetch.max_feed_bytes, user_url=url)
            why = _error(got)
            if got.failure in _HOST_SILENT:
                silent.add(host)
            if got.ok:
                parsed, parse_stopped = await _as_feed(pool, got, fetch.max_entries_per_feed)
                if parsed is not None:
                    found = _found(_configured_url(candidate, got), got, parsed, Via.LINKED)
                    if language is None or found.language == language:
                        return found
                    other_language = other_language or found
                    continue
                why = one_line(parse_stopped, 200) if parse_stopped else "not a feed"
            tried.append(f"{said(candidate)} ({why})")
        if other_language is not None:
            return other_language
        if direct is not None:
            return _found(_configured_url(url, page), page, direct)
        more = " and more it links to, not tried" if len(candidates) > len(tried) else ""
        detail = "; tried " + ", ".join(tried) + more
        if not candidates:
            common, none_there = await _at_common_path(fetcher, pool, page, url)
            if common is not None:
                return common
            detail = f" and it links to no feed ({none_there})"
        what = f"could not be read ({one_line(stopped, 200)})" if stopped else "is not a feed"
        raise DiscoveryError(f"{said(url)} {what}{detail}")
    finally:
        pool.close()
        await fetcher.aclose()


def _slug(found: FoundFeed, language: str | None) -> str:
    host = (urlsplit(found.url).hostname or "feed").removeprefix("www.")
    base = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-")
    return (base[:60] or "feed") + (f"-{language}" if language else "")


def _free_name(found: FoundFeed, taken: set[str], language: str | None) -> str:
    """A name for the feed that no configured feed has: its host's (as before, so a site's
    first feed is named as it always was), else with its path (`hani-co-kr-rss-s1n1-ko` for a
    second feed of a site), else numbered (`-2`, `-3`, ...). At most 80 characters. It ends in
    the feed's `language` as configured (`--language`, else the guess), never another."""
    first = _slug(found, language)
    lang = f"-{language}" if language else ""
    host = first.removesuffix(lang)
    stem = re.sub(r"\.(xml|rss|atom|rdf|json|php|aspx?|jsp|html?)$", "", urlsplit(found.url).path)
    where = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    with_path = f"{host}-{where}"[: 80 - len(lang)].rstrip("-") + lang if where else first
    for name in (first, with_path):
        if name not in taken:
            return name
    number = 2
    while f"{first}-{number}" in taken:
        number += 1
    return f"{first}-{number}"


def add_to_config(
    path: Path, found: FoundFeed, *, name: str | None = None, language: str | None = None
) -> FeedConfig:
    """Append the feed to the configuration's `feeds:` list, keeping the file's comments and
    layout (block or flow style); the file is replaced only by a version that validates and
    whose URL, once loaded, is the discovered one, character for character."""
    # a guess outside the configurable languages (a Japanese feed) is written as none
    lang = language or (found.language if found.language in RULE_LANGUAGES else None)
    taken = {f.name for f in load_config(path).feeds}
    chosen = name or _free_name(found, taken, lang)
    entry = FeedConfig.model_validate({"name": chosen, "url": found.url, "language": lang})
    if entry.name in taken:
        raise ValueError(f"a feed named {entry.name!r} exists; choose one with --name")
    # The URL came from the network: written so that `${...}` in it stays text (`$${`),
    # never a reference to the environment (a token would be sent to that host).
    item = {"name": entry.name, "url": escape_env(entry.url)}
    if entry.language:
        item["language"] = entry.language
    title = plain_line(found.title)[:70] if found.title else None  # the page's words, as text
    append_to_list(path, "feeds", item, comment=title, check=lambda p: _added(p, entry))
    return entry


def _added(path: Path, entry: FeedConfig) -> None:
    """The new file loads, and the feed reads back as discovered (nothing expanded)."""
    got = {f.name: f.url for f in load_config(path).feeds}
    if got.get(entry.name) != entry.url:
        raise ConfigError(f"{path}: feeds: {entry.name}: the URL would not read back as found")
