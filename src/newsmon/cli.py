"""The `newsmon` command: run a pass, backfill, and look into the corpus.

Exit status: 0 when the pass completed (even with some feeds failing), 2 for a bad
configuration, 3 for an unusable database.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

# Prefect's anonymous usage telemetry stays off unless the operator turns it on.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from newsmon.config import Config, ConfigError, config_path, load_config
from newsmon.store import ClusterView, Store, StoreError

EXIT_CONFIG, EXIT_DATABASE = 2, 3

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Monitor AI news feeds for open-source, AI-safety and policy stories.",
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Configuration file [default: $NEWSMON_CONFIG or config/newsmon.yaml]",
    ),
]


def _fail(code: int, message: str) -> typer.Exit:
    typer.echo(f"newsmon: {message}", err=True)
    return typer.Exit(code)


def _config(path: Path | None) -> Config:
    try:
        return load_config(config_path(path))
    except ConfigError as exc:
        raise _fail(EXIT_CONFIG, f"bad configuration: {exc}") from None


def _store(config: Config) -> Store:
    try:
        return Store.open(config.database_url)
    except StoreError as exc:
        raise _fail(EXIT_DATABASE, str(exc)) from None


def _check(path: Path | None) -> str:
    """Validate config, rules and database before Prefect spends seconds starting up."""
    from newsmon.classify import load_rules

    config = _config(path)
    try:
        load_rules(config.topics_path())
    except ConfigError as exc:
        raise _fail(EXIT_CONFIG, f"bad topic rules: {exc}") from None
    _store(config).close()
    return str(config_path(path))


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(EXIT_CONFIG, f"{option} wants a date as YYYY-MM-DD, got {value!r}") from None


def _fmt(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else "-"


@app.command()
def run(config: ConfigOption = None) -> None:
    """One monitoring pass (the Prefect flow `monitor`)."""
    path = _check(config)
    from flows.monitor import monitor

    totals: dict[str, Any] = monitor(config_path=path)
    _print_totals(totals)


def _print_totals(totals: dict[str, Any]) -> None:
    matches = ", ".join(f"{k} {v}" for k, v in totals["matches"].items()) or "none"
    typer.echo(
        f"\nfeeds: {totals['feeds_ok']} ok, {totals['feeds_failed']} failed | "
        f"new articles: {totals['new_articles']} | duplicates: {totals['duplicates']} | "
        f"matches: {matches} | alerts sent: {totals['alerts_sent']} ({totals['sender']}), "
        f"pending: {totals['alerts_pending']}"
    )
    for feed, error in totals["failures"].items():
        typer.echo(f"  failed: {feed}: {error}")
    for error in totals["delivery_errors"][:5]:
        typer.echo(f"  Slack: {error}")


@app.command()
def backfill(
    since: Annotated[str, typer.Option(help="First day (YYYY-MM-DD, UTC) of articles first seen")],
    until: Annotated[str | None, typer.Option(help="Last day, inclusive [default: today]")] = None,
    alerts: Annotated[
        bool,
        typer.Option("--alerts/--no-alerts", help="Send alerts never sent before (default: none)"),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Re-classify stored articles with the current topic rules (the Prefect flow `backfill`)."""
    since_day = _day(since, "--since")
    until_day = _day(until, "--until")
    assert since_day is not None
    if until_day and until_day < since_day:
        raise _fail(EXIT_CONFIG, "--until is before --since")
    path = _check(config)
    from flows.backfill import backfill as backfill_flow

    result = backfill_flow(since=since_day, until=until_day, alerts=alerts, config_path=path)
    added = ", ".join(f"+{k} {v}" for k, v in result["added"].items()) or "none"
    removed = ", ".join(f"-{k} {v}" for k, v in result["removed"].items()) or "none"
    typer.echo(
        f"\nre-classified {result['articles']} articles ({result['changed']} changed): "
        f"added {added}; removed {removed}; alerts sent: {result['alerts_sent']}"
    )


@app.command()
def articles(
    topic: Annotated[str | None, typer.Option(help="Only articles matching this topic")] = None,
    since: Annotated[str | None, typer.Option(help="First seen on or after YYYY-MM-DD")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many")] = 50,
    cluster: Annotated[
        int | None,
        typer.Option(help="Show the story this article belongs to: every copy and source"),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """List stored articles, newest first, with their topics (or one story's cluster)."""
    cfg = _config(config)
    day = _day(since, "--since")
    store = _store(cfg)
    if cluster is not None:
        try:
            view = store.cluster(cluster)
        finally:
            store.close()
        if view is None:
            raise _fail(EXIT_CONFIG, f"no article #{cluster}")
        _print_cluster(view)
        return
    try:
        rows = store.list_articles(
            topic=topic,
            since=datetime.combine(day, datetime.min.time(), tzinfo=UTC) if day else None,
            limit=limit,
        )
    finally:
        store.close()
    if not rows:
        typer.echo("no articles")
        return
    for a in rows:
        topics = ",".join(a.topics) or "-"
        dup = f" (copy of #{a.duplicate_of_id})" if a.duplicate_of_id else ""
        typer.echo(
            f"#{a.id:<5} {_fmt(a.published_at or a.first_seen_at)}  [{topics}]  "
            f"{(a.title or '(no title)')[:90]}{dup}"
        )
        typer.echo(
            f"       {a.feed or '-'} · {a.language or '?'} · text from {a.text_source} · {a.url}"
        )


def _print_cluster(view: ClusterView) -> None:
    head = view.head
    topics = ",".join(view.topics) or "-"
    typer.echo(f"story #{head.id}  [{topics}]  {head.title or '(no title)'}")
    typer.echo(
        f"  {len(view.members)} stored copies, {len(view.sightings)} other links; "
        f"sources: {', '.join(view.sources) or '-'}"
    )
    for m in view.members:
        how = "first seen" if m.id == head.id else f"{m.duplicate_reason} duplicate"
        if m.similarity is not None and m.id != head.id:
            how += f", similarity {m.similarity:.2f}"
        typer.echo(f"  #{m.id:<5} {_fmt(m.first_seen_at)}  {m.feed or '-':<20} {how}")
        typer.echo(f"         {m.url}")
        if m.id != head.id and m.title != head.title:
            typer.echo(f"         title: {(m.title or '(no title)')[:90]}")
    for sighting in view.sightings:
        typer.echo(
            f"  link   {_fmt(sighting.seen_at)}  {sighting.feed or '-':<20} "
            f"same page as #{sighting.article_id}"
        )
        typer.echo(f"         {sighting.url}")


@app.command()
def feeds(config: ConfigOption = None) -> None:
    """Each feed's health: last success, last error, entries seen."""
    cfg = _config(config)
    store = _store(cfg)
    try:
        health = {h.name: h for h in store.feed_health()}
    finally:
        store.close()
    for feed in cfg.feeds:
        h = health.get(feed.name)
        state = (
            "disabled"
            if not feed.enabled
            else (
                "never checked"
                if not h or not h.last_checked_at
                else ("failing" if h.consecutive_failures else "ok")
            )
        )
        typer.echo(f"{feed.name:<28} {state:<13} {feed.url}")
        if h and h.last_checked_at:
            typer.echo(
                f"    last success: {_fmt(h.last_success_at)}  entries seen: {h.entries_seen}  "
                f"articles: {h.articles}  consecutive failures: {h.consecutive_failures}"
            )
            if h.last_error:
                typer.echo(f"    last error ({_fmt(h.last_error_at)}): {h.last_error}")
    removed = sorted(set(health) - {f.name for f in cfg.feeds})
    if removed:
        typer.echo(f"(in the corpus but no longer configured: {', '.join(removed)})")
