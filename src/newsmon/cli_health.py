"""`newsmon health` and `newsmon runs`: is the installation working, and what did its runs do.

Registered on the `newsmon` command by importing this module (newsmon.cli does).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

import typer

from newsmon.cli import (
    EXIT_UNHEALTHY,
    MAX_COUNT,
    MAX_DAYS,
    ConfigOption,
    FailingHoursOption,
    JsonOption,
    SilentDaysOption,
    _config,
    _fmt,
    _store,
    app,
)
from newsmon.corpus.records import Announced


def announced_name(problem: Announced) -> str:
    """An open problem as `newsmon health` names it, and whether it flaps (nothing more is said
    while it comes and goes) or was said steady after flapping."""
    from newsmon.notices import flapping

    name = f"{problem.kind} {problem.subject}" if problem.subject else problem.kind
    if problem.steady_at is not None:
        return f"{name} (steady since {_fmt(problem.present_since)} UTC, after flapping)"
    if flapping(problem):
        return f"{name} (flapping since {_fmt(problem.opened_at)} UTC)"
    return name


@app.command()
def health(
    config: ConfigOption = None,
    max_age_minutes: Annotated[
        float,
        typer.Option(
            "--max-age-minutes",
            min=1,
            max=MAX_DAYS * 24 * 60,
            help="A last completed pass older than this is stale",
        ),
    ] = 60,
    failing_hours: FailingHoursOption = 24,
    silent_days: SilentDaysOption = 7,
    unread_share: Annotated[
        float,
        typer.Option(
            "--unread-share",
            min=0,
            max=1,
            help="A feed with this share of its last 7 days' pages not downloaded is a "
            "problem (0: never)",
        ),
    ] = 0.5,
    as_json: JsonOption = False,
) -> None:
    """Is newsmon working? Last completed pass, feeds failing, silent or unread, alerts.

    Exits 1 when something is stale or stuck, for cron or a probe.
    """
    from newsmon.health import HealthPolicy
    from newsmon.pipeline.checkup import health_report

    cfg = _config(config)
    store = _store(cfg, read_only=True)
    policy = replace(
        HealthPolicy.of(failing_hours, silent_days, max_age_minutes), unread_share=unread_share
    )
    try:
        report = health_report(store, cfg, datetime.now(UTC), policy)
        notices = store.notices.state() if cfg.slack.ops_channel else None
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for line in report.lines():
            typer.echo(line)
        if notices is not None and (notices.announced or notices.waiting):
            named = ", ".join(announced_name(a) for a in notices.announced)
            waiting = f" ({notices.waiting} notice(s) not posted yet)" if notices.waiting else ""
            typer.echo(f"announced in {cfg.slack.ops_channel}: {named or 'nothing open'}{waiting}")
    if not report.healthy:
        raise typer.Exit(EXIT_UNHEALTHY)


@app.command()
def runs(
    config: ConfigOption = None,
    flow: Annotated[
        str | None,
        typer.Option(help="Only runs of this flow (monitor, backfill, backfill-urls, digest)"),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_COUNT, help="At most this many")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Recent flow runs, newest first: status, duration, what they did or why they failed."""
    from newsmon.health import describe_run

    cfg = _config(config)
    store = _store(cfg, read_only=True)
    try:
        records = store.runs.recent_runs(flow, limit=limit)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in records], indent=2))
        return
    if not records:
        typer.echo("no runs")
        return
    for r in records:
        took = f"{(r.finished_at - r.started_at).total_seconds():.0f} s" if r.finished_at else "-"
        typer.echo(
            f"#{r.id:<5} {_fmt(r.started_at)}  {r.flow:<9} {r.status.value:<9} {took:>7}  "
            f"{describe_run(r)}"
        )
