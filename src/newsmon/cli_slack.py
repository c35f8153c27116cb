"""`newsmon alerts` and `newsmon digest`: the Slack outbox as an operator sees it, and the
periodic digests; `newsmon slack check`: whether the bot can post where the configuration says.

Registered on the `newsmon` command by importing this module (newsmon.cli does).
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Annotated

import typer

from newsmon.bounds import one_line
from newsmon.channels import channel_spelling
from newsmon.cli import (
    EXIT_CONFIG,
    EXIT_CREDENTIALS,
    EXIT_PASS_FAILED,
    EXIT_UNHEALTHY,
    MAX_COUNT,
    ConfigOption,
    _check,
    _config,
    _fail,
    _flow_outcome,
    _rules,
    _store,
    app,
)
from newsmon.clock import utcnow
from newsmon.config import ConfigError, Secrets, check_channels
from newsmon.corpus.holds import HoldReason
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.retries import NotRequeued, Retried, parse_ids

EXIT_NOT_REQUEUED = 1  # `alerts retry`: a named id re-queued nothing (said on its own line)
ALERT_STATUSES = ("pending", "sending", "sent", "failed", "skipped", "blocked")
_REASONS = ", ".join(HoldReason)
alerts_app = typer.Typer(
    help="Queued alerts and their thread replies: list them, re-queue failed ones."
)
app.add_typer(alerts_app, name="alerts")


@alerts_app.callback(invoke_without_command=True)
def alerts_list(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(
            help="pending, sending, sent, failed, skipped or blocked (pending in a "
            "channel Slack refuses)"
        ),
    ] = None,
    channel: Annotated[str | None, typer.Option(help="Only this channel")] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=MAX_COUNT, help="At most this many (alerts, and replies)")
    ] = 50,
    reason: Annotated[
        str | None, typer.Option(help=f"Only those held back (skipped) for it: {_REASONS}")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Alerts, newest first, with their attempts and last error, then their thread replies
    ("also reported by"); blocked channels and those waiting for Slack first. A held-back row
    shows why (`--reason`)."""
    if ctx.invoked_subcommand is not None:
        return
    if status is not None and status not in ALERT_STATUSES:
        raise _fail(EXIT_CONFIG, f"--status wants one of {', '.join(ALERT_STATUSES)}")
    if reason is not None and reason not in set(HoldReason):
        raise _fail(EXIT_CONFIG, f"--reason wants one of {_REASONS}")
    why = HoldReason(reason) if reason is not None else None
    if channel is not None:  # stored as configured: `news` (a shell drops `#news`) is `#news`
        try:
            channel = channel_spelling(channel)
        except ValueError as exc:
            raise _fail(EXIT_CONFIG, f"--channel: {exc}") from None
    cfg = _config(config)
    store = _store(cfg, read_only=True)
    try:
        blocks = store.outbox.channel_blocks()
        waits = store.slack_waits.listed()
        rows = store.list_alerts(status=status, channel=channel, limit=limit, reason=why)
        replies = store.replies.list_replies(
            blocks, status=status, channel=channel, limit=limit, reason=why
        )
        # a listing cut at --limit says so: 50 rows read as "that is all" hid the rest
        more = (
            store.outbox.count_listed(status=status, channel=channel, reason=why) - len(rows)
            if len(rows) == limit
            else 0
        )
        more_replies = (
            store.replies.count_listed(blocks, status=status, channel=channel, reason=why)
            - len(replies)
            if len(replies) == limit
            else 0
        )
    finally:
        store.close()
    zone = cfg.slack.zone()
    for block in blocks.values():
        if channel is None or block.channel == channel:
            typer.echo(
                f"channel {block.channel} blocked since {_local(block.since, zone)}: {block.reason}"
            )
    for wait in waits:  # not a failure: its alerts and replies stay pending, no attempt counted
        if channel is None or wait.channel == channel:
            typer.echo(
                f"channel {wait.channel} waits for Slack (Retry-After) until "
                f"{_local(wait.until, zone)} (since {_local(wait.since, zone)}): its posts "
                "wait for then"
            )
    if not rows and not replies:
        typer.echo("no alerts")
        return
    for a in rows:
        state = f"blocked ({a.blocked})" if a.blocked else _state(a.status, a.hold_reason)
        typer.echo(
            f"#{a.id:<5} {state:<10} {a.channel:<18} attempts {a.attempts}  "
            f"{one_line(a.title or '', 70) or '(no title)'}"
        )
        _details(
            a.created_at, a.sent_at, a.next_attempt_at, a.status, a.last_error, zone, a.failed_at
        )
    if more > 0:
        typer.echo(f"… and {more} more alert(s) (use --limit)")
    for r in replies:  # health's alerts_failed counts those that gave up
        state = f"blocked ({r.blocked})" if r.blocked else _state(r.status, r.hold_reason)
        typer.echo(  # r7, not #7: `alerts retry 7` would re-queue alert #7, another story
            f"reply r{r.id:<5} {state:<10} {r.channel:<18} attempts {r.attempts}  "
            f"also reported by {r.source[:40]}, under alert #{r.alert_id}"
        )
        _details(
            r.created_at, r.sent_at, r.next_attempt_at, r.status, r.last_error, zone, r.failed_at
        )
    if more_replies > 0:
        typer.echo(f"… and {more_replies} more thread reply(ies) (use --limit)")


def _state(status: AlertStatus, reason: HoldReason | None) -> str:
    """A row's status, and why when it is held back: what `--reason` filters on."""
    return f"{status} ({reason})" if reason is not None else str(status)


def _details(
    created: datetime,
    sent: datetime | None,
    next_try: datetime | None,
    status: str,
    error: str | None,
    zone: tzinfo,
    gave_up: datetime | None = None,
) -> None:
    """The indented second line of an alert or reply: when, and its last error. When it gave
    up is what `alerts retry --within` counts from."""
    details = [f"queued {_local(created, zone)}"]
    if sent:
        details.append(f"sent {_local(sent, zone)}")
    if gave_up and str(status) == "failed":
        details.append(f"gave up {_local(gave_up, zone)}")
    if next_try and str(status) == "pending":
        details.append(f"next try {_local(next_try, zone)}")
    if error:
        details.append(f"last error: {error[:160]}")
    typer.echo("       " + " · ".join(details))


def _local(value: datetime | None, zone: tzinfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if value else "-"


@alerts_app.command("retry")
def alerts_retry(
    ids: Annotated[
        list[str] | None,
        typer.Argument(
            help="Alert ids (7), and thread replies' as `newsmon alerts` lists them (r7)",
            show_default=False,
        ),
    ] = None,
    failed: Annotated[
        bool,
        typer.Option(
            "--failed", help="Re-queue every failed alert and thread reply (and the named ids)"
        ),
    ] = False,
    within: Annotated[
        str | None,
        typer.Option(help="Only alerts that gave up within this long: 24h, 90m, 7d"),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Re-queue alerts (failed, skipped or waiting for a retry) and thread replies (failed or
    waiting for a retry): the next pass sends them, each story once a channel; `--failed` holds
    back stories older than alerts.max_age_hours (their ids send them anyway); ids with
    `--failed` re-queue both, the ids as named alone.

    `--failed` re-queues the thread replies that gave up too. `--within` keeps an outage's
    alerts from bringing back stories that failed long ago. An id that re-queues nothing says
    what it names, and the command exits 1."""
    from datetime import timedelta

    from newsmon.digest import parse_duration

    if not ids and not failed:
        raise _fail(EXIT_CONFIG, "name alert ids (7) or thread replies' (r7), or --failed")
    try:
        named = parse_ids(ids or [])
    except ValueError as exc:
        raise _fail(EXIT_CONFIG, str(exc)) from None
    try:
        since = utcnow() - parse_duration(within) if within is not None else None
    except ValueError as exc:
        raise _fail(EXIT_CONFIG, f"--within: {exc}") from None
    except OverflowError:  # longer than the calendar: a traceback before
        raise _fail(EXIT_CONFIG, f"--within: {within!r} reaches before year 1") from None
    cfg = _config(config)
    if not cfg.alerts.enabled:  # a pass holds new alerts back then; a retry sends none either
        raise _fail(
            EXIT_CONFIG,
            "alerts are off (alerts.enabled: false): nothing re-queued; turn them on to send these",
        )
    hours = cfg.alerts.max_age_hours
    max_age = timedelta(hours=hours) if hours is not None else None
    store = _store(cfg)
    try:
        done = store.retries.retry(named, failed=failed, since=since, max_age=max_age)
    finally:
        store.close()
    for left in done.not_requeued:
        typer.echo(_not_requeued(left, within))
    typer.echo(_retried(done, hours))
    if done.not_requeued:  # a script that named ids must see that some did nothing
        raise typer.Exit(EXIT_NOT_REQUEUED)


def _retried(done: Retried, max_age_hours: float | None) -> str:
    """The summary line: what was re-queued, and what was held back and how to send it."""
    line = f"re-queued {done.alerts} alert(s)"
    if done.replies:
        line += f", {done.replies} thread reply(ies)"
    if done.alerts or done.replies:
        line += ": the next pass sends them"
    if done.too_old:
        shown = " ".join(str(i) for i in done.too_old[:_SHOWN])
        more = len(done.too_old) - _SHOWN
        line += (
            f"; held back {len(done.too_old)} failed alert(s) of stories older than "
            f"{max_age_hours:g} h (alerts.max_age_hours), as a pass would: "
            f"`newsmon alerts retry {shown}` sends them anyway"
            + (f" (and {more} more: `newsmon alerts --status skipped`)" if more > 0 else "")
        )
    if done.copies:
        line += (
            f"; held back {len(done.copies)} whose story another alert announced in its "
            "channel (`newsmon alerts --status skipped`)"
        )
    return line


_SHOWN = 10  # held-back ids named in the summary line


def _not_requeued(left: NotRequeued, within: str | None) -> str:
    """One line: a named alert or reply that re-queued nothing, what it is, what would work."""
    what = f"reply r{left.id}" if left.reply else f"alert #{left.id}"
    if left.status is None:
        why = "no such " + ("thread reply" if left.reply else "alert")
    elif left.status is AlertStatus.FAILED and within:
        why = f"failed before the last {within}"
    elif left.status is AlertStatus.SKIPPED and left.reply:
        why = _DROPPED.get(left.held, "dropped: see `newsmon alerts`")
    elif left.announced_by is not None:
        why = f"held back, its story is announced in its channel by alert #{left.announced_by}"
    elif within and left.status in _NEVER_GAVE_UP:
        why = (
            f"{left.status}: --within {within} counts from when it gave up and it did not; "
            "name it without --within"
        )
    else:
        why = str(left.status)
    line = f"{what}: not re-queued, {why}"
    if left.failed_replies:
        shown = " ".join(f"r{r}" for r in left.failed_replies)
        line += f"; its thread replies that gave up: `newsmon alerts retry {shown}`"
    return line


# Re-queuable, yet never gave up (no `failed_at`): `--within` always leaves them out.
_NEVER_GAVE_UP = (AlertStatus.SKIPPED, AlertStatus.PENDING)

# Why a named reply was dropped, and what would bring it back.
_DROPPED: dict[HoldReason | None, str] = {
    HoldReason.NOT_POSTED: "dropped, its alert is not posted: re-queuing the alert brings it back",
    HoldReason.THREAD_GONE: "dropped for good, its thread is gone (the story's message deleted)",
}

_ZONE_MARGIN = timedelta(days=2)  # room for `slack.timezone` and whole days around a period


@app.command()
def digest(
    since: Annotated[
        str, typer.Option(help="Period length (24h, 90m, 7d) of a channel with no digest in 7 days")
    ] = "24h",
    channel: Annotated[str | None, typer.Option(help="Only this channel")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the digests; post and record nothing")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Post each channel's digest of the period ending at the last whole hour (flow `digest`);
    a second call for the same period posts nothing. Exits 5 when a digest is left for a later
    call (Slack failing or asking to wait) or went out without a part Slack refused."""
    from newsmon.digest import parse_duration

    try:
        length = parse_duration(since)
        utcnow() - length - _ZONE_MARGIN  # the period's start, in any zone, is a date
    except ValueError as exc:
        raise _fail(EXIT_CONFIG, f"--since: {exc}") from None
    except OverflowError:  # longer than the calendar: the flow crashed on it before (exit 6)
        raise _fail(EXIT_CONFIG, f"--since: {since!r} reaches before year 1") from None
    if channel is not None:  # stored as configured: `news` (a shell drops `#news`) is `#news`
        try:
            channel = channel_spelling(channel)
        except ValueError as exc:
            raise _fail(EXIT_CONFIG, f"--channel: {exc}") from None
    path = _check(config, read_only=dry_run)
    from flows.digest import digest as digest_flow

    from newsmon.slack import ConsoleSender

    with _flow_outcome("digest"):
        result = digest_flow(
            since_hours=length.total_seconds() / 3600,
            channel=channel,
            dry_run=dry_run,
            config_path=path,
            retry_seconds=(),  # at a terminal: say it now; run it again (README "Digests")
        )
    for message in result.previews:
        ConsoleSender().post(message)
    for line in result.lines():
        typer.echo(line)


slack_app = typer.Typer(help="Slack itself: can the bot post where the configuration says?")
app.add_typer(slack_app, name="slack")


@slack_app.command("check")
def slack_check(
    timeout: Annotated[
        float,
        typer.Option(
            min=1,
            max=3600,
            help="Seconds in all: Slack answering slowly or asking to wait longer ends the "
            "check then (exit 5), naming the channels not checked",
        ),
    ] = 120.0,
    config: ConfigOption = None,
) -> None:
    """With SLACK_BOT_TOKEN, ask Slack who the bot is and whether it can post to every channel
    the configuration posts to (topics' alerts and digests, `slack.ops_channel`): found, not
    archived, the bot a member. Posts nothing. Warns of a channel whose history the token
    cannot read (a lost post cannot be looked up there). Exits 0 when all can be posted to, 1
    when one cannot (or cannot be checked for want of a read scope), 2 when Slack's TLS
    certificate is not accepted (SSL_CERT_FILE), 4 when the token is refused or not set, 5
    when Slack does not answer within `--timeout`."""
    from newsmon.slack.check import Outcome, channel_uses, check

    cfg = _config(config)
    labels = _rules(config, None, None).labels
    secrets = Secrets.from_env()
    try:
        check_channels(cfg, labels)
    except ConfigError as exc:
        raise _fail(EXIT_CONFIG, f"bad configuration: {exc}") from None
    if not secrets.slack_bot_token:
        webhook = " (SLACK_WEBHOOK_URL posts to its own channel and cannot be checked)"
        raise _fail(
            EXIT_CREDENTIALS,
            "SLACK_BOT_TOKEN is not set: nothing to check"
            + (webhook if secrets.slack_webhook_url else ""),
        )
    report = check(
        secrets.slack_bot_token,
        channel_uses(labels, cfg.slack),
        base_url=secrets.slack_api_url,
        timeout=cfg.slack.timeout,
        deadline=timeout,
    )
    for line in report.lines():
        typer.echo(line)
    code = {
        Outcome.ALL_POSTABLE: 0,
        Outcome.CHANNELS_REFUSED: EXIT_UNHEALTHY,
        Outcome.TOKEN_REFUSED: EXIT_CREDENTIALS,
        Outcome.UNTRUSTED: EXIT_CONFIG,  # a configuration problem, not the token's
        Outcome.UNREACHABLE: EXIT_PASS_FAILED,
    }[report.outcome]
    if code:
        raise typer.Exit(code)
