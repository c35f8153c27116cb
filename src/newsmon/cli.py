"""The `newsmon` command: run a pass, backfill, and look into the corpus.

Exit status (README "Command line" is the reference, tied to this code by its tests): 0 when
the pass completed (even with some feeds failing); 1 when `eval` finds a figure under its floor,
`health` a problem, `feeds` a feed failing for too long, `feeds add` no feed it can read (or one
configured already), `alerts retry` a named id that re-queued nothing, `slack check` a channel
it cannot post to or check; 2 for a bad configuration or argument (`slack check`: Slack's TLS
certificate not accepted, `SSL_CERT_FILE`); 3 for an unusable database; 4 when Slack rejects
the credentials; 5 when the pass ran but failed (every feed failed, delivery blocked for
several passes; every page of a `backfill --urls` tried failed), `digest` left a digest for
later or sent one without a part, `slack check` got no answer in time; 6 when it crashed or
timed out (a Prefect API that does not answer, a Prefect home it cannot write included); 7
when a command that only reads finds the corpus's schema behind or ahead of this newsmon's,
or `migrate --to` a revision it does not know; 130 on Ctrl-C; 143 when `run`, `backfill` or
`digest` is stopped by SIGTERM; 141 when the output's reader went away.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

# Prefect's anonymous usage telemetry stays off unless the operator turns it on.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Prefect's ephemeral API gives up after 20 s; a busy 2-core machine can take longer to start it.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

from newsmon.cli_usage import NoArgsIsHelpError, UsageError, usage_line
from newsmon.config import Config, ConfigError, Secrets, check_channels, config_path, load_config
from newsmon.corpus import Store
from newsmon.corpus.records import SchemaError, StoreError

if TYPE_CHECKING:
    from newsmon.rules import Rules

EXIT_BELOW_FLOOR, EXIT_CONFIG, EXIT_DATABASE = 1, 2, 3
EXIT_UNHEALTHY = 1  # health problems, feeds failing for too long
EXIT_CREDENTIALS = 4  # Slack rejected the credentials, or none is set and Slack is required
EXIT_PASS_FAILED, EXIT_CRASHED = 5, 6
EXIT_SCHEMA = 7  # a read-only command met a schema behind or ahead of this code's
EXIT_INTERRUPTED = 128 + signal.SIGINT  # Ctrl-C, as a shell reports it
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE  # the output's reader went away
EXIT_TERMINATED = 128 + signal.SIGTERM  # a flow's command stopped by SIGTERM (kill, systemd)

# Bounds of numeric options: beyond them a number overflowed SQL integers or the calendar (a
# traceback); within them, any use. Ids and counts fit PostgreSQL's integer.
MAX_COUNT = 2**31 - 1
MAX_DAYS = 36_500.0  # a hundred years


class _Commands(TyperGroup):
    """Every command: a database error met once the corpus is open (a connection dropped, a
    locked or damaged file) is one line and exit status 3, as a corpus that cannot be opened
    is, and never a traceback, which would also print the SQL and its values."""

    def invoke(self, ctx: Any) -> Any:  # click's Context, which typer 0.29 vendors
        from sqlalchemy.exc import SQLAlchemyError

        from newsmon.pipeline.outcomes import error_line

        try:
            return super().invoke(ctx)
        except UsageError as exc:  # a subcommand's: parsed here, inside the group's invoke
            raise _usage_error(exc) from None
        except SQLAlchemyError as exc:
            raise _fail(EXIT_DATABASE, f"database error: {error_line(exc)}") from None
        except KeyboardInterrupt:  # Ctrl-C: said, and the shell's status for it
            raise _fail(EXIT_INTERRUPTED, "interrupted") from None
        except BrokenPipeError:
            # the reader left (`newsmon feeds | head -1`): click's exit 1 read as "unhealthy"
            # under pipefail; 141 is what a tool killed by SIGPIPE gives. Nothing more to write.
            with suppress(OSError):  # io.UnsupportedOperation: no file under a test runner
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(EXIT_BROKEN_PIPE) from None

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Bytes that are not UTF-8 reach Python as lone surrogates, which no database, YAML
        or Slack call can take: refused here, before any command does anything (exit 2)."""
        for arg in args:
            try:
                arg.encode("utf-8")
            except UnicodeEncodeError:
                shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                raise _fail(EXIT_CONFIG, f"argument {shown!r} is not valid UTF-8") from None
        try:
            return super().parse_args(ctx, args)
        except UsageError as exc:
            raise _usage_error(exc) from None


def _usage_error(exc: UsageError) -> BaseException:
    """Typer's "no arguments: the help" passes through; other mistakes are one line, exit 2."""
    return exc if isinstance(exc, NoArgsIsHelpError) else _fail(EXIT_CONFIG, usage_line(exc))


app = typer.Typer(
    cls=_Commands,
    add_completion=False,
    # A traceback's local variables would print the token and the database password.
    pretty_exceptions_show_locals=False,
    no_args_is_help=True,
    help="Monitor AI news feeds for open-source, AI-safety and policy stories.",
)


def default_note(text: str) -> str:
    """`[default: text]` for an option's help. Escaped: the help is Rich markup, which took the
    bare brackets for a style tag and dropped them, so `--help` never showed these defaults."""
    return rf"\[default: {text}]"


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Configuration file " + default_note("$NEWSMON_CONFIG or config/newsmon.yaml"),
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


def _store(config: Config, *, read_only: bool = False) -> Store:
    """The corpus, migrated first unless `read_only`: a command that only reads (a probe, maybe
    under a read-only role) must not alter the schema under a pass of the previous version."""
    try:
        return Store.open(config.database_url, read_only=read_only)
    except SchemaError as exc:
        raise _fail(EXIT_SCHEMA, str(exc)) from None
    except StoreError as exc:
        raise _fail(EXIT_DATABASE, str(exc)) from None


def _validated(path: Path | None) -> tuple[Config, Rules]:
    """The configuration and its topic rules, checked against each other (exit 2 if not)."""
    from newsmon.rules import load_rules

    config = _config(path)
    try:
        rules = load_rules(config.topics_path())
    except ConfigError as exc:
        raise _fail(EXIT_CONFIG, f"bad topic rules: {exc}") from None
    try:
        check_channels(config, rules.labels, webhook=Secrets.from_env().webhook_only)
    except ConfigError as exc:
        raise _fail(EXIT_CONFIG, f"bad configuration: {exc}") from None
    return config, rules


def _check(path: Path | None, *, read_only: bool = False) -> str:
    """Validate config, rules and database before Prefect spends seconds starting up.
    `read_only` (a dry run that writes nothing): the corpus is neither migrated nor checked
    for writing, and a schema behind or ahead exits 7 as for the commands that only read."""
    config, _ = _validated(path)
    store = _store(config, read_only=read_only)
    try:
        if not read_only:
            store.check_writable()
    except StoreError as exc:
        raise _fail(EXIT_DATABASE, str(exc)) from None
    finally:
        store.close()
    return str(config_path(path))


@contextmanager
def _flow_outcome(what: str) -> Iterator[None]:
    """A flow's exceptions as exit statuses and one line (Prefect has logged the traceback);
    a Prefect API that refuses or stays silent is one line before any flow starts.
    A flow stopped by SIGINT or SIGTERM (`flows.common.stop_on_signals`: it recorded its
    crash) is one line and the shell's status for the signal, whatever Prefect raised."""
    from flows.common import STOPPING, Stopping, prefect_api, prefect_home

    from newsmon.prefect_api import PROBE_SECONDS, home_problem, probe_api

    api_url, request_timeout = prefect_api()
    if api_url and (problem := probe_api(api_url, min(PROBE_SECONDS, request_timeout)).problem()):
        raise _fail(EXIT_CRASHED, problem)
    if not api_url and (problem := home_problem(prefect_home())):  # a temporary local API's
        raise _fail(EXIT_CRASHED, problem)
    stopping = Stopping(temporary_server=not api_url)

    def terminated(signum: int, frame: object) -> None:
        """SIGTERM outside an async flow's body: a sync flow's (Prefect records the crash,
        then hands the signal on here) or Prefect starting up. Killed by it instead, the
        command left its temporary Prefect server running, and a caller reading its output
        through a pipe waiting for ever."""
        stopping.stop(signal.SIGTERM)
        stopping.signal = signal.SIGTERM  # the last word here, as before
        raise _Terminated

    token = STOPPING.set(stopping)
    before = signal.signal(signal.SIGTERM, terminated)
    try:
        with _flow_errors(what), stopping:
            yield
    except BaseException:
        if stopping.signal is None:
            raise
        if stopping.signal is signal.SIGINT:
            raise _fail(EXIT_INTERRUPTED, "interrupted") from None
        raise _fail(EXIT_TERMINATED, "terminated") from None
    finally:
        signal.signal(signal.SIGTERM, before)
        STOPPING.reset(token)


class _Terminated(BaseException):
    """SIGTERM reached the command while it ran a flow."""


@contextmanager
def _flow_errors(what: str) -> Iterator[None]:
    from sqlalchemy.exc import SQLAlchemyError

    from newsmon.pipeline.digests import DigestsUnfinished
    from newsmon.pipeline.outcomes import error_line
    from newsmon.slack import CredentialError
    from newsmon.verdict import PagesFailed, PassFailed
    from newsmon.verdict_lines import verdicts_in_one_line

    try:
        with verdicts_in_one_line(PassFailed, PagesFailed, DigestsUnfinished):
            yield
    except CredentialError as exc:  # the pass is recorded; no alert was marked
        raise _fail(
            EXIT_CREDENTIALS,
            f"Slack delivery stopped, no alert was marked sent: {exc} "
            "(check SLACK_BOT_TOKEN / SLACK_WEBHOOK_URL)",
        ) from None
    except PassFailed as exc:
        for line in exc.totals.cli_lines():
            typer.echo(line)
        raise _fail(EXIT_PASS_FAILED, f"the {what} failed: {exc}") from None
    except PagesFailed as exc:  # recorded (unless a dry run): every page tried failed
        for line in exc.result.cli_lines():
            typer.echo(line)
        raise _fail(EXIT_PASS_FAILED, f"the {what} failed: {exc}") from None
    except DigestsUnfinished as exc:  # recorded: digests left for later, or parts refused
        for line in exc.result.lines():
            typer.echo(line)
        raise _fail(EXIT_PASS_FAILED, f"the {what} failed: {exc}") from None
    except SchemaError as exc:  # a dry run met a schema it must not migrate
        raise _fail(EXIT_SCHEMA, str(exc)) from None
    except StoreError as exc:
        raise _fail(EXIT_DATABASE, str(exc)) from None
    except SQLAlchemyError as exc:
        reason = error_line(exc)
        raise _fail(EXIT_DATABASE, f"database error during the {what}: {reason}") from None
    except TimeoutError as exc:
        raise _fail(EXIT_CRASHED, f"the {what} timed out: {error_line(exc)}") from None
    except Exception as exc:
        raise _fail(EXIT_CRASHED, f"the {what} crashed: {error_line(exc, 1000)}") from None


def _fmt(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else "-"


@app.command()
def run(
    config: ConfigOption = None,
    force: Annotated[
        bool, typer.Option(help="Poll every feed now, even those not due or backing off")
    ] = False,
) -> None:
    """One monitoring pass (the Prefect flow `monitor`)."""
    path = _check(config)
    from flows.monitor import monitor

    with _flow_outcome("pass"):
        totals = asyncio.run(monitor(config_path=path, force=force))
    for line in totals.cli_lines():
        typer.echo(line)


@app.command()
def backfill(
    sources: Annotated[
        list[str] | None,
        typer.Argument(help="With --urls: page URLs, or files listing them one a line"),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="First day (YYYY-MM-DD, UTC; or 2025-03-04T00:00:00+09:00 for that zone's day)"
        ),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Last day, inclusive " + default_note("today"))
    ] = None,
    urls: Annotated[
        bool, typer.Option("--urls", help="Fetch, store and classify the given pages instead")
    ] = False,
    feed: Annotated[
        str | None,
        typer.Option(help="Only articles this feed carried (with --urls: store them as its)"),
    ] = None,
    topic: Annotated[
        list[str] | None,
        typer.Option(help="Only re-classify this topic's matches (repeatable)"),
    ] = None,
    alerts: Annotated[
        bool,
        typer.Option("--alerts/--no-alerts", help="Send alerts never sent before (default: none)"),
    ] = False,
    any_age: Annotated[
        bool,
        typer.Option(
            "--any-age", help="With --alerts: also stories older than alerts.max_age_hours"
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Show new and lost matches per article; write and send nothing"
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Re-classify stored articles with the current topic rules (the Prefect flow `backfill`),
    or with --urls fetch, store and classify given pages (the flow `backfill-urls`)."""
    from newsmon.progress import TerminalBar, watching

    if dry_run and alerts:
        raise _fail(EXIT_CONFIG, "--dry-run sends nothing: drop --alerts")
    if any_age and (urls or not alerts):
        raise _fail(EXIT_CONFIG, "--any-age goes with --alerts, without --urls")
    if alerts and not _config(config).alerts.enabled:  # queued now, posted when they are on
        raise _fail(
            EXIT_CONFIG, "alerts are off (alerts.enabled: false): turn them on for --alerts"
        )
    if urls:
        _backfill_urls(sources or [], feed, topic, alerts, dry_run, config)
        return
    if sources:
        raise _fail(EXIT_CONFIG, "page URLs go with --urls")
    if since is None:
        raise _fail(EXIT_CONFIG, "--since is required (or --urls with pages)")
    from newsmon.pipeline.backfill_args import (
        BackfillArgumentError,
        first_seen_range,
        parse_moment,
    )

    try:
        since_day = parse_moment(since, "--since")
        until_day = None if until is None else parse_moment(until, "--until")
    except BackfillArgumentError as exc:
        raise _fail(EXIT_CONFIG, str(exc)) from None
    try:
        first_seen_range(since_day, until_day)
    except BackfillArgumentError as exc:
        raise _fail(EXIT_CONFIG, f"bad range: {exc}") from None
    path = _check(config, read_only=dry_run)
    cfg = _config(config)
    if feed is not None and feed not in {f.name for f in cfg.feeds}:
        raise _fail(EXIT_CONFIG, f"no feed named {feed!r} in {path}")
    if topic:
        unknown = sorted(set(topic) - set(_rules(config, None, None).labels))
        if unknown:
            raise _fail(EXIT_CONFIG, f"no such topic in the rules: {', '.join(unknown)}")
    from flows.backfill import backfill as backfill_flow

    bar = TerminalBar()
    try:
        with watching(bar), _flow_outcome("backfill"):
            result = backfill_flow(
                since=since_day,
                until=until_day,
                alerts=alerts,
                config_path=path,
                dry_run=dry_run,
                feed=feed,
                topics=topic,
                any_age=any_age,
            )
    finally:
        bar.finish()
    for line in result.cli_lines():
        typer.echo(line)


def _backfill_urls(
    sources: list[str],
    feed: str | None,
    topic: list[str] | None,
    alerts: bool,
    dry_run: bool,
    config: Path | None,
) -> None:
    from newsmon.pipeline import PageUrl, UrlListError, read_url_list
    from newsmon.progress import TerminalBar, watching

    if topic:
        raise _fail(EXIT_CONFIG, "--topic filters stored articles; pages get every topic")
    try:
        pages = read_url_list(sources)
    except UrlListError as exc:
        raise _fail(EXIT_CONFIG, str(exc)) from None
    if not pages:
        raise _fail(EXIT_CONFIG, "--urls wants page URLs or files listing them")
    path = _check(config, read_only=dry_run)
    if feed is not None and feed not in {f.name for f in _config(config).feeds}:
        raise _fail(EXIT_CONFIG, f"no feed named {feed!r} in {path}")
    from flows.backfill import backfill_urls

    bar = TerminalBar()
    try:
        with watching(bar), _flow_outcome("backfill"):
            result = asyncio.run(
                backfill_urls(  # as PageUrls: Prefect keeps its parameters, keys hidden
                    urls=[PageUrl(page) for page in pages],
                    alerts=alerts,
                    config_path=path,
                    dry_run=dry_run,
                    feed=feed,
                )
            )
    finally:
        bar.finish()
    for line in result.cli_lines():
        typer.echo(line)


FailingHoursOption = Annotated[
    float,
    typer.Option(
        "--failing-hours",
        min=0,
        max=MAX_DAYS * 24,
        help="A feed failing for longer than this is a problem",
    ),
]
SilentDaysOption = Annotated[
    float,
    typer.Option(
        "--silent-days",
        min=0,
        max=MAX_DAYS,
        help="A working feed with no new article for longer is a problem (0: never)",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output")]


def _rules(config: Path | None, rules: Path | None, korean: str | None) -> Rules:
    from newsmon.rules import KOREAN_MODES, load_rules

    if korean is not None and korean not in KOREAN_MODES:
        raise _fail(EXIT_CONFIG, f"--korean wants one of {', '.join(KOREAN_MODES)}")
    path = rules if rules is not None else _config(config).topics_path()
    try:
        return load_rules(path, korean=korean)
    except ConfigError as exc:
        raise _fail(EXIT_CONFIG, f"bad topic rules: {exc}") from None


# Each of these modules registers its commands on `app` when imported.
from newsmon import (  # noqa: E402
    cli_config,
    cli_corpus,
    cli_feeds,
    cli_health,
    cli_migrate,
    cli_rules,
    cli_slack,
)

__all__ = [
    "app",
    "cli_config",
    "cli_corpus",
    "cli_feeds",
    "cli_health",
    "cli_migrate",
    "cli_rules",
    "cli_slack",
]
