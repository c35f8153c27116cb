"""`newsmon articles` and `newsmon prune`: what the corpus holds, and its index's retention.

Registered on the `newsmon` command by importing this module (newsmon.cli does).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import typer

from newsmon.bounds import one_line
from newsmon.cli import (
    EXIT_CONFIG,
    EXIT_DATABASE,
    MAX_COUNT,
    MAX_DAYS,
    ConfigOption,
    _config,
    _fail,
    _fmt,
    _store,
    app,
    default_note,
)
from newsmon.corpus.records import ClusterView, StoreError


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(EXIT_CONFIG, f"{option} wants a date as YYYY-MM-DD, got {value!r}") from None


@app.command()
def articles(
    topic: Annotated[str | None, typer.Option(help="Only articles matching this topic")] = None,
    since: Annotated[str | None, typer.Option(help="First seen on or after YYYY-MM-DD")] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_COUNT, help="At most this many")] = 50,
    cluster: Annotated[
        int | None,
        typer.Option(
            max=MAX_COUNT, help="Show the story this article belongs to: every copy and source"
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """List stored articles, newest first, with their topics (or one story's cluster)."""
    cfg = _config(config)
    day = _day(since, "--since")
    store = _store(cfg, read_only=True)
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
            f"{one_line(a.title or '', 90) or '(no title)'}{dup}"
        )
        shown = f"{a.feed or '-'} · {a.language or '?'} · text from {a.text_source}"
        typer.echo(f"       {shown} · {one_line(a.url)}")


@app.command()
def prune(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count the articles that would leave; change nothing")
    ] = False,
    days: Annotated[
        float | None,
        typer.Option(
            min=0,
            max=MAX_DAYS,
            help="Articles first seen more than this many days ago " + default_note("retention"),
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Take old stories out of the near-duplicate index now, all of them (each pass does a
    share: `dedup.prune_per_pass`). Articles, their hashes and signatures stay."""
    from newsmon.clock import utcnow
    from newsmon.index_days import retention_too_short
    from newsmon.pipeline import pending_prune, prune_index

    cfg = _config(config)
    too_short = retention_too_short(days, cfg.alerts.max_age_hours)
    if too_short:
        raise _fail(EXIT_CONFIG, f"--days {too_short}")
    keep = days if days is not None else cfg.index_days()
    if keep is None:
        typer.echo(
            "retention is off (dedup.index_days: null, or no alerts.max_age_hours): "
            "nothing to do; --days N prunes anyway"
        )
        return
    store = _store(cfg, read_only=dry_run)
    try:
        if dry_run:
            count, before = pending_prune(store, keep, utcnow())
            typer.echo(f"{count} articles first seen before {_fmt(before)} would leave the index")
            return
        pruned = prune_index(store, keep, utcnow(), 0)
    except StoreError as exc:
        raise _fail(EXIT_DATABASE, str(exc)) from None
    finally:
        store.close()
    typer.echo(f"{pruned.dropped} articles first seen before {_fmt(pruned.before)} left the index")


def _print_cluster(view: ClusterView) -> None:
    head = view.head
    topics = ",".join(view.topics) or "-"
    # titles and links as strangers wrote them: one line, nothing a terminal would act on
    typer.echo(f"story #{head.id}  [{topics}]  {one_line(head.title or '') or '(no title)'}")
    typer.echo(
        f"  {len(view.members)} stored copies, {len(view.sightings)} other links; "
        f"sources: {', '.join(view.sources) or '-'}"
    )
    for m in view.members:
        how = "first seen" if m.id == head.id else f"{m.duplicate_reason} duplicate"
        if m.similarity is not None and m.id != head.id:
            how += f", similarity {m.similarity:.2f}"
        typer.echo(f"  #{m.id:<5} {_fmt(m.first_seen_at)}  {m.feed or '-':<20} {how}")
        typer.echo(f"         {one_line(m.url)}")
        if m.id != head.id and m.title != head.title:
            typer.echo(f"         title: {one_line(m.title or '', 90) or '(no title)'}")
    for sighting in view.sightings:
        typer.echo(
            f"  link   {_fmt(sighting.seen_at)}  {sighting.feed or '-':<20} "
            f"same page as #{sighting.article_id}"
        )
        typer.echo(f"         {one_line(sighting.url)}")
