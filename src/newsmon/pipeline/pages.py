"""Backfill of given pages: fetch, extract, classify and store URLs an operator names (a story
someone pasted, an archive page) through the pass's own entry code, announced only on request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

from newsmon import clusters
from newsmon.clock import utcnow
from newsmon.config import FeedConfig
from newsmon.feeds import FeedEntry
from newsmon.fetch import Fetcher
from newsmon.pipeline.context import Context
from newsmon.pipeline.entries import analyse_page, fetch_page, store_entry
from newsmon.pipeline.listed_pages import ListedPages
from newsmon.pipeline.new_articles import new_article
from newsmon.pipeline.outcomes import EntryFate, error_line
from newsmon.pipeline.replay import queue_for
from newsmon.turns import NoTimeForWork, OutOfTime
from newsmon.urls import canonical_url, shown_url, without_keys_of

# Articles stored from given pages are attributed to this pseudo-feed unless `--feed` names one.
PAGES_FEED = "backfill"


class PageUrl(SecretStr):
    """A given page's address as a flow parameter: Prefect keeps a flow run's parameters in its
    database and shows them in its UI, and a page may carry its key (`?apikey=`,
    `user:password@`). Prefect stores a secret parameter as its `str`, here the `shown_url`
    form (the operator still sees which page); the flow reads the address with
    `get_secret_value`."""

    def __str__(self) -> str:
        return shown_url(self.get_secret_value())

    def __repr__(self) -> str:
        return f"PageUrl({str(self)!r})"


class UrlListError(ValueError):
    """A `--urls` argument that is neither an http(s) URL nor a readable file of them."""


def read_url_list(sources: Iterable[str]) -> list[str]:
    """URLs from arguments that are URLs or files of URLs (one a line, `#` starts a comment);
    duplicates dropped, order kept. Anything but an http(s) URL with a host (`ftp://…`, an
    unclosed IPv6 bracket, a port out of range) is refused with where it is, before any page
    is fetched."""
    urls: list[str] = []
    for source in sources:
        if source.startswith(("http://", "https://")):
            problem = url_problem(source)
            if problem:
                raise UrlListError(f"{problem}: {source!r}")
            urls.append(source)
            continue
        try:
            lines = Path(source).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UrlListError(f"cannot read {source}: {exc.strerror or exc}") from None
        for number, raw in enumerate(lines, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            problem = url_problem(line)
            if problem:
                raise UrlListError(f"{source}:{number}: {problem}: {line!r}")
            urls.append(line)
    return list(dict.fromkeys(urls))


def url_problem(url: str) -> str | None:
    """Why `url` is not a page address to fetch, or None."""
    if not url.startswith(("http://", "https://")):
        return "not an http(s) URL"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is no number or out of range
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if not parts.hostname:
        return "no host in the URL"
    return None


@dataclass(frozen=True)
class PageOutcome:
    """What became of one given page."""

    url: str
    fate: str  # new, duplicate, stored already, failed, or (dry run) would store/duplicate
    title: str | None = None
    topics: tuple[str, ...] = ()
    alerts_queued: int = 0
    error: str | None = None


def each_page_once(urls: Sequence[str]) -> tuple[list[str], list[int]]:
    """The pages of `urls`, each once under its first address (one canonical URL: a tracking
    variant, a trailing slash, its key, which the page is stored without), and where each given
    URL's page is among them: a page listed twice is fetched once, and a dry run reports the
    second address as the real run does."""
    pages: list[str] = []
    index: dict[str, int] = {}
    where = []
    for url in urls:
        key = canonical_url(without_keys_of(url, url))
        if key not in index:
            index[key] = len(pages)
            pages.append(url)
        where.append(index[key])
    return pages, where


def as_listed(
    urls: Sequence[str], where: Sequence[int], outcomes: Sequence[PageOutcome]
) -> list[PageOutcome]:
    """An outcome for every given URL (see `each_page_once`): a page's later addresses are
    `stored already` when its first was stored or would be, else they failed as it did."""
    listed, told = [], set()
    for url, i in zip(urls, where, strict=True):
        first = outcomes[i]
        if i not in told:
            told.add(i)
            listed.append(first)
        elif first.fate == "failed":
            listed.append(replace(first, url=url))
        else:
            listed.append(PageOutcome(url, "stored already", None, first.topics))
    return listed


def _entry(url: str) -> FeedEntry:
    return FeedEntry(guid=None, link=url, title="", summary="", published=None, author=None)


async def backfill_pages(
    ctx: Context,
    fetcher: Fetcher,
    urls: Sequence[str],
    *,
    feed: FeedConfig | None = None,
    announce: bool = False,
    dry_run: bool = False,
    done: Callable[[int], None] = lambda n: None,
    pages_until: float | None = None,
    listed: ListedPages | None = None,
) -> list[PageOutcome]:
    """Each URL once: a stored page is not fetched again (with `announce`, its alerts never
    sent are queued); a new one is fetched and stored like a feed entry, its alerts queued
    with `announce` and held back otherwise. `dry_run` stores nothing. `done` hears how many
    pages are finished. A page whose host's turn has not come by `pages_until` (the event
    loop's time), or whose extraction no worker took in the task's time, fails: listed
    again, it is fetched then. A dry run compares each page with the corpus and with the
    pages of the list it would store (`listed`, shared by a run's batches)."""
    if not urls:
        return []
    listed = listed if listed is not None else ListedPages()
    now = utcnow()
    # A page given with its key (`?apikey=`, `user:password@`) is fetched with it, but stored,
    # keyed and announced without it, as a keyed feed's entries are; an article stored with
    # the key (before this) is still found by that identity.
    links = [without_keys_of(u, u) for u in urls]
    source = feed or FeedConfig(name=PAGES_FEED, url=links[0])
    # no feed was read to tell the zone of the pages' bare dates: configured, or each page's own
    guess_zone = source.language is None  # `language: en` says UTC
    feed_id = None
    if feed is not None and not dry_run:
        state = await asyncio.to_thread(ctx.store.sync_feed, feed.name, feed.url, feed.language)
        feed_id = state.id
    keys = [canonical_url(link) for link in links]
    keyed = [canonical_url(u) for u in urls]
    known = await asyncio.to_thread(ctx.store.known_articles, list({*keys, *keyed}))
    finished = 0

    async def one(url: str, link: str, key: str, former: str) -> PageOutcome:
        nonlocal finished
        try:
            stored = known.get(key) or known.get(former)
            if stored is not None:
                return await asyncio.to_thread(_known, ctx, url, stored.id, announce, dry_run)
            async with fetcher.turns.turn(url, pages_until):  # its host's turn; body held
                page = await fetch_page(ctx, fetcher, url, trusted=True)
                if not page.ok:
                    return PageOutcome(url, "failed", error=page.error or f"HTTP {page.status}")
                analysis = await analyse_page(
                    ctx,
                    page,
                    _entry(link),
                    source.language,
                    fetcher,
                    zone=source.date_zone,
                    guess_zone=guess_zone,
                )
                if dry_run:  # the dedup decision alone: a copy is announced by its story
                    topics = tuple(m.topic for m in analysis.matches)
                    article = new_article(None, source, _entry(link), key, page, analysis, now)
                    joins = await asyncio.to_thread(ctx.store.find_cluster, article)
                    if joins is None:  # nor a copy of a page before it in the list?
                        when = clusters.story_time(article.published_at, utcnow())
                        joins = await asyncio.to_thread(
                            listed.join_or_add, article, when, bool(topics)
                        )
                    fate = "would duplicate" if joins else "would store"
                    return PageOutcome(url, fate, analysis.extracted.title, topics)
                result = await asyncio.to_thread(
                    store_entry,
                    ctx,
                    feed_id,
                    source,
                    _entry(link),
                    key,
                    page,
                    analysis,
                    now,
                    announce=announce,
                )
            if result.fate is EntryFate.SEEN:  # a pass stored it while we fetched it
                return await asyncio.to_thread(_stored_meanwhile, ctx, url, key, announce)
            fate = {EntryFate.NEW: "new", EntryFate.DUPLICATE: "duplicate"}.get(
                result.fate, "stored already"
            )
            return PageOutcome(url, fate, None, result.topics, result.alerts_queued)
        except OutOfTime as late:  # never requested: its host was busy with the list's others
            why = f"not requested: the task's time ran out while it waited for {late.host}'s turn"
            return PageOutcome(url, "failed", error=f"{why}; list it again")
        except NoTimeForWork as late:
            return PageOutcome(
                url, "failed", error=f"{late.work} not started in the task's time; list it again"
            )
        except Exception as exc:  # this page's alone: the other pages go on, as a feed's do
            return PageOutcome(url, "failed", error=error_line(exc))
        finally:
            finished += 1
            done(finished)

    given = zip(urls, links, keys, keyed, strict=True)
    return list(await asyncio.gather(*(one(*page) for page in given)))


def _known(ctx: Context, url: str, article_id: int, announce: bool, dry_run: bool) -> PageOutcome:
    topics = tuple(m.topic for m in ctx.store.matches_of(article_id))
    queued = queue_for(ctx, article_id, topics) if announce and not dry_run else 0
    return PageOutcome(url, "stored already", None, topics, queued)


def _stored_meanwhile(ctx: Context, url: str, key: str, announce: bool) -> PageOutcome:
    """A page a pass stored while the backfill fetched it is a stored page, as if known at
    the start: with `announce` its alerts never sent are queued (the pass may have held them
    back, too old), which the operator asked for."""
    stored = ctx.store.known_articles([key]).get(key)
    if stored is None:  # gone again (pruned): nothing to announce
        return PageOutcome(url, "stored already")
    return _known(ctx, url, stored.id, announce, dry_run=False)
