"""`newsmon feeds` and `newsmon feeds add`: each feed's health, and adding a feed to the
configuration.

Registered on the `newsmon` command by importing this module (newsmon.cli does).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError

from newsmon.bounds import short_url
from newsmon.cli import (
    EXIT_CONFIG,
    EXIT_UNHEALTHY,
    ConfigOption,
    FailingHoursOption,
    JsonOption,
    SilentDaysOption,
    _config,
    _fail,
    _fmt,
    _store,
    app,
    default_note,
)
from newsmon.config import Config, ConfigError, config_path
from newsmon.corpus import Store
from newsmon.corpus.records import StoreError
from newsmon.feed_twins import configured_twins
from newsmon.hosts import host_key
from newsmon.urls import shown_url

feeds_app = typer.Typer(
    help="Feed health, and adding feeds.",
    no_args_is_help=False,
    pretty_exceptions_show_locals=False,
)
app.add_typer(feeds_app, name="feeds")


@feeds_app.callback(invoke_without_command=True)
def feeds(
    ctx: typer.Context,
    config: ConfigOption = None,
    as_json: JsonOption = False,
    failing_hours: FailingHoursOption = 24,
    silent_days: SilentDaysOption = 7,
) -> None:
    """Each feed's health: last success, last error, entries seen, next check.

    Exits 1 when an enabled feed has been failing for more than --failing-hours.
    """
    from newsmon.health import FeedState, FeedVerdict, HealthPolicy, judge_feed

    if ctx.invoked_subcommand is not None:
        return
    cfg = _config(config)
    store = _store(cfg, read_only=True)
    policy = HealthPolicy.of(failing_hours, silent_days)
    now = datetime.now(UTC)
    try:
        health = {h.name: h for h in store.feed_health(pages_since=now - policy.pages_window)}
    finally:
        store.close()
    moves = {n: (h.config_url, h.url) for n, h in health.items() if h.config_url}
    twins = configured_twins([f for f in cfg.feeds if f.enabled], moves)  # read as another
    verdicts = {  # a twin is not fetched: what it last did is old news, not its state
        n: FeedVerdict(h, FeedState.TWIN) if n in twins else judge_feed(h, now, policy)
        for n, h in health.items()
    }
    too_long = [
        f.name
        for f in cfg.feeds
        if f.enabled and f.name in verdicts and verdicts[f.name].state is FeedState.FAILING_TOO_LONG
    ]
    if as_json:
        out = []
        for feed in cfg.feeds:
            v = verdicts.get(feed.name)
            shown = shown_url(feed.url)
            item = v.as_dict() if v else {"name": feed.name, "url": shown, "state": None}
            if not feed.enabled:
                item["state"] = "disabled"
            elif v is None:
                item["state"] = FeedState.NEVER_CHECKED.value
            item["configured_url"] = shown
            item["same_feed_as"] = twins.get(feed.name)
            out.append(item)
        removed = sorted(set(health) - {f.name for f in cfg.feeds})
        typer.echo(json.dumps({"feeds": out, "unconfigured": removed}, indent=2))
        if too_long:
            raise typer.Exit(EXIT_UNHEALTHY)
        return
    for feed in cfg.feeds:
        h = health.get(feed.name)
        v = verdicts.get(feed.name)
        if feed.name in twins:
            first = twins[feed.name]
            shown = short_url(shown_url(feed.url))
            typer.echo(f"{feed.name:<28} {'same feed as ' + first:<20} {shown}")
            typer.echo(
                f"    not fetched ({first} reads it): remove one of them from the configuration"
            )
            continue
        if not feed.enabled:
            state = "disabled in config"
        elif not h or not h.last_checked_at:
            state = "never checked"
        elif h.consecutive_failures:
            state = f"failing ({h.failure_kind or 'soft'}, {h.consecutive_failures}x)"
        elif v is not None and v.state is FeedState.SILENT and v.since:
            state = f"silent since {_fmt(v.since)[:10]}"
        else:
            state = "ok"
        typer.echo(f"{feed.name:<28} {state:<20} {short_url(shown_url(feed.url))}")
        if not h or not h.last_checked_at:
            continue
        typer.echo(
            f"    last success: {_fmt(h.last_success_at)}  entries seen: {h.entries_seen}  "
            f"articles: {h.articles}  consecutive failures: {h.consecutive_failures}"
        )
        due_now = h.next_check_at is None or h.next_check_at <= now
        when = "next pass" if due_now else _fmt(h.next_check_at)
        note = h.schedule_note if h.schedule_note and h.schedule_note != "every pass" else ""
        typer.echo(f"    next check: {when}" + (f" ({note})" if note else ""))
        if h.last_error:
            typer.echo(f"    last error ({_fmt(h.last_error_at)}): {h.last_error}")
        if h.entry_failure_passes:
            typer.echo(
                f"    entries failing: in {h.entry_failure_passes} passes in a row, since "
                f"{_fmt(h.entries_failing_since)} (not stored; tried again every pass)"
            )
        if h.pages_waiting:
            typer.echo(
                f"    pages to try again: {h.pages_waiting} (stored from their teasers meanwhile)"
            )
        if h.recent_unread:
            typer.echo(
                f"    pages not downloaded: {h.recent_unread} of {h.recent_articles} articles in "
                f"{policy.pages_window.days} days are their teasers (last: {h.last_page_error})"
            )
        if h.url != h.config_url and h.config_url == shown_url(feed.url):  # keyed: key hidden
            # where another configured feed is already: updating it would configure it twice
            again = [n for n, first in twins.items() if first == feed.name]
            advice = f", where {', '.join(again)} is configured too: remove one of them"
            advice = advice if again else ": update the configuration"
            typer.echo(f"    moved permanently to {short_url(shown_url(h.url))}{advice}")
    removed = sorted(set(health) - {f.name for f in cfg.feeds})
    if removed:
        typer.echo(f"(in the corpus but no longer configured: {', '.join(removed)})")
    if too_long:
        typer.echo(f"failing for more than {failing_hours:g} h: {', '.join(too_long)}")
        raise typer.Exit(EXIT_UNHEALTHY)


def recorded_moves(cfg: Config) -> dict[str, tuple[str, str]]:
    """Where passes found configured feeds moved (`Feeds.moves`), so that a feed pasted at its
    new address is known as configured. Read only from a corpus that exists and is readable:
    adding a feed neither creates nor migrates one, and is not stopped by one it cannot read."""
    url = make_url(cfg.database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or not Path(database).is_file():
            return {}
    try:
        store = Store.open(cfg.database_url, read_only=True)
    except StoreError:
        return {}
    try:
        return store.feeds.moves()
    except SQLAlchemyError:
        return {}
    finally:
        store.close()


@feeds_app.command("add")
def feeds_add(
    url: Annotated[str, typer.Argument(help="A feed URL, or a web page that links to its feed")],
    name: Annotated[
        str | None, typer.Option(help="Feed name " + default_note("from the site"))
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="ko or en " + default_note("guessed"))
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Find a site's feed, check that it parses, and add it to the configuration file."""
    from newsmon.discover import (
        DiscoveryError,
        Via,
        add_to_config,
        argument_problem,
        configured_as,
        discover,
        pasted,
        said,
    )

    problem = argument_problem(name, language)
    if problem:
        raise _fail(EXIT_CONFIG, problem)
    from newsmon.cli_rules import url_problem

    url = pasted(url)
    if not url.lower().startswith(("http://", "https://")):  # was exit 1, as a site down
        raise _fail(
            EXIT_CONFIG, f"cannot add {said(url)}: only http:// or https:// URLs are accepted"
        )
    bad = url_problem(url)
    if bad:  # `http://[::1` ended in a ValueError traceback from the HTTP client
        raise _fail(EXIT_CONFIG, f"cannot add {short_url(shown_url(url))}: {bad}")
    cfg = _config(config)
    path = config_path(config)
    try:
        found = asyncio.run(discover(url, cfg, language))
    except DiscoveryError as exc:
        raise _fail(1, str(exc)) from None
    same = configured_as(found, cfg.feeds, recorded_moves(cfg))
    if same is not None:
        shown = f"{said(found.url)} is already configured as {same.name}"
        raise _fail(1, shown + ("" if same.url == found.url else f" ({said(same.url)})"))
    try:
        entry = add_to_config(path, found, name=name, language=language)
    except (ConfigError, ValueError) as exc:
        raise _fail(EXIT_CONFIG, f"not added: {exc}") from None
    typer.echo(
        f"added {entry.name}: {said(entry.url)} ({found.entries} entries"
        f"{', language ' + entry.language if entry.language else ''}) to {path}"
    )
    if found.via is Via.COMMON_PATH:
        typer.echo(
            f"note: not linked from the page; found at {urlsplit(entry.url).path}, "
            "a usual address for a site's feed (check it is the one you want)"
        )
    given, chosen = urlsplit(url).hostname, urlsplit(entry.url).hostname
    if given and chosen and host_key(given) != host_key(chosen):  # `ＹＮＡ.co.kr` is `yna.co.kr`
        # a configured feed's host is trusted like one typed: say that the page chose it
        typer.echo(
            f"note: the feed is on {said(chosen)}, a host the page at {said(given)} chose; "
            "passes fetch it as configured (check it is the publisher's)"
        )
