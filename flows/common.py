"""What the flows share: opening a run's context (and naming the pass among others on the same
corpus), timeouts, and recording how a run ended."""

from __future__ import annotations

import asyncio
import math
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from signal import Signals
from typing import Any, TypeVar, cast
from uuid import UUID

from prefect import get_run_logger
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun, State
from prefect.context import FlowRunContext, TaskRunContext
from prefect.exceptions import ObjectNotFound, TerminationSignal
from prefect.logging.loggers import flow_run_logger
from prefect.settings import get_current_settings
from prefect.utilities.annotations import quote

from newsmon.config import config_path, load_config
from newsmon.corpus import Store
from newsmon.corpus.records import RunStatus
from newsmon.cpubudget import backstop
from newsmon.pipeline import Context, PassClaim
from newsmon.pipeline.claims import new_owner
from newsmon.pipeline.outcomes import error_line
from newsmon.turns import deadline_in, downloads_until, task_times, work_until
from newsmon.urls import hide_secrets

T = TypeVar("T")


def unwalked(value: T) -> T:
    """`value` as a task's argument, passed as it is instead of walked.

    Prefect visits every task argument to any depth (dataclasses, models, collections) for
    futures to resolve, twice per task: a pass's `Context` holds the compiled topic rules, tens
    of thousands of objects, and walking them was half the CPU time of a small pass (~0.5 s of
    1.1 s). Nothing newsmon gives a task holds a future; Prefect takes `quote` off before the
    task's function runs, so the task sees `value` itself.
    """
    return cast(T, quote(value))


def timeout_setting(name: str, default: float) -> float:
    """Seconds from the environment variable `name` (the worker's), else `default`.

    Read at import: Prefect fixes a flow's or task's timeout when it is decorated.
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not math.isfinite(value) or value <= 0:  # inf crashed every pass (`abandon_after`)
        raise ValueError(f"{name} must be a positive, finite number of seconds, got {raw!r}")
    return value


# Defaults: a pass is scheduled every 20 minutes with CANCEL_NEW, so a hung one must end well
# before it has cost more than one or two scheduled runs.
MONITOR_TIMEOUT = timeout_setting("NEWSMON_MONITOR_TIMEOUT_SECONDS", 30 * 60)
FEEDS_TASK_TIMEOUT = timeout_setting("NEWSMON_FEEDS_TASK_TIMEOUT_SECONDS", 10 * 60)
DELIVERY_TIMEOUT = timeout_setting("NEWSMON_DELIVERY_TIMEOUT_SECONDS", 5 * 60)
BACKFILL_TIMEOUT = timeout_setting("NEWSMON_BACKFILL_TIMEOUT_SECONDS", 3 * 60 * 60)
DIGEST_TIMEOUT = timeout_setting("NEWSMON_DIGEST_TIMEOUT_SECONDS", 30 * 60)
BACKFILL_TASK_TIMEOUT = timeout_setting("NEWSMON_BACKFILL_TASK_TIMEOUT_SECONDS", 15 * 60)


def prefect_api() -> tuple[str | None, float]:
    """The Prefect API a flow started now would use (None: a temporary local one) and
    Prefect's request timeout, from the environment or the Prefect profile."""
    settings = get_current_settings()
    return settings.api.url, settings.api.request_timeout


def prefect_home() -> Path:
    """Where Prefect keeps its state here (a temporary local API's database among it)."""
    return Path(get_current_settings().home)


@contextmanager
def task_budget(ctx: Context, default: float) -> Iterator[float]:
    """The running task's times (`newsmon.turns.task_times`; `default`: its timeout outside a
    task run) in force for the block: every download ends, and no CPU work starts, early
    enough for the task to end in time with its results. Yields the event loop's time after
    which no page gets its turn. A task of pages on slow hosts then fails them alone instead
    of timing out with its whole batch."""
    run = TaskRunContext.get()
    seconds = run.task.timeout_seconds if run and run.task.timeout_seconds else default
    fetch = ctx.config.fetch
    times = task_times(
        seconds,
        download=fetch.total_timeout,
        parse=fetch.feed_parse_timeout_seconds,
        extract=backstop(ctx.config.extract.page_timeout_seconds),  # CPU time: wall at most
    )
    with downloads_until(deadline_in(times.downloads)), work_until(deadline_in(times.work)):
        yield deadline_in(times.pages)


@contextmanager
def artifact(key: str) -> Iterator[None]:
    """Around writing an artifact: one the Prefect API refuses (a restart, an outage) is a
    warning. It costs the artifact, never the run: written after a run is recorded, it turned
    a completed backfill into a crash, or a posted digest's flow run into a Failed one."""
    try:
        yield
    except Exception as exc:
        get_run_logger().warning("%s artifact not written: %s", key, error_line(exc, limit=300))


def open_context(config_path: str | None, *, read_only: bool = False) -> Context:
    """Load configuration and open the corpus; a bad config, or a database that cannot be
    migrated or written, fails the flow here with one line. `read_only` (a dry run that writes
    nothing): neither migrated nor checked for writing; a schema not this code's is a
    SchemaError."""
    ctx = Context.open(load_config(config_path), read_only=read_only)
    try:
        if not read_only:
            ctx.store.check_writable()
    except BaseException:
        ctx.close()
        raise
    ctx.claim = PassClaim(owner=new_owner(flow_run_id()), started=pass_started())
    ctx.store.flow_run = flow_run_id()  # its outbox claims then name it, like its feed claims
    if ctx.store.flow_run:
        RUN_HERE.add(ctx.store.flow_run)
    return ctx


def pass_started() -> datetime:
    """When this pass began, for claims: the flow run's scheduled start, so the runs that a
    schedule starts for one slot (several workers) agree on it however late each one starts;
    now, outside a flow run."""
    run = FlowRunContext.get()
    when = run.flow_run.expected_start_time if run and run.flow_run else None
    if when is None:
        return datetime.now(UTC)
    return datetime.fromtimestamp(when.timestamp(), UTC)


def flow_run_id() -> str | None:
    """The Prefect flow run this code runs in, for the runs table (None outside one)."""
    run = FlowRunContext.get()
    return str(run.flow_run.id) if run and run.flow_run else None


# The flow runs this process runs. Prefect's engine runs `on_crashed` in the dying process too,
# where a post of its delivery may still be in flight: only the runner's call (the process gone)
# gives back the run's alerts, replies, digests and notices (`record_lost_process`).
RUN_HERE: set[str] = set()


def record_lost_process(flow: Any, flow_run: FlowRun, state: State) -> None:
    """`on_crashed` and `on_cancellation` hook of every flow, which the worker runs when the
    flow run's process died (SIGKILL, out of memory) or is being cancelled.

    A process killed outright records nothing: its row stayed `running`, `newsmon health` said
    nothing for an hour and the first pass after twice the flow's timeout marked it abandoned.
    The worker knows at once, so the row is marked crashed now with Prefect's reason; a row the
    flow recorded itself (a cancellation it saw) is left as it is. Never raises: a corpus that
    cannot be reached leaves the row to that later pass."""
    logger = flow_run_logger(flow_run)
    named = flow_run.parameters.get("config_path")
    path = config_path(str(named) if named else None)
    home = os.environ.get("NEWSMON_HOME", "").strip()
    if home and not path.is_absolute():  # the pull step's directory, where the flow read it
        path = Path(home) / path
    reason = lost_reason(state)
    try:
        store = Store.open(load_config(path).database_url, migrate=False)
        try:
            marked = store.runs.crash_flow_run(str(flow_run.id), reason)
            freed = store.feeds.release_flow_run(str(flow_run.id))  # it could not: it died
            lapsed = 0
            if str(flow_run.id) not in RUN_HERE:  # gone: its posts are looked up first
                lapsed = store.lapse_flow_run(str(flow_run.id))
        finally:
            store.close()
    except Exception as exc:
        logger.warning("run not recorded as crashed in the corpus: %s", error_line(exc, 300))
        return
    for run_id in marked:
        logger.info("run #%s recorded as crashed in the corpus: %s", run_id, reason)
    if freed:
        logger.info("%d feed claim(s) the run held given back", freed)
    if lapsed:
        logger.info("%d alert, reply, digest or notice claim(s) of the run given back", lapsed)


def lost_reason(state: State) -> str:
    """The runs table's line for a run whose process ended without recording it: Prefect's
    state and message, without secrets."""
    said = hide_secrets(" ".join(f"{state.name}: {state.message or ''}".split()))[:500]
    return f"the flow run's process ended without recording its end (Prefect: {said})"


async def settle_lost_runs(store: Store, current: str | None) -> list[int]:
    """Mark crashed the rows still `running` whose Prefect flow run has ended.

    A worker lost with its flow run (the machine rebooted, the worker's unit killed) runs no
    hook: the row stayed `running` until the one-hour rule of `start_run`, `newsmon health`
    silent meanwhile. Prefect ends such a run itself (Crashed, by the automation in
    deployments/automations.yaml, once its heartbeats stop), so each pass asks it about the
    rows still open. A run Prefect does not know (a pass run by hand under another API) is
    left to the one-hour rule; a server that cannot be asked is logged and the pass goes on.
    """
    waiting = [fid for fid in store.runs.running_flow_runs() if fid != current]
    marked: list[int] = []
    if not waiting:
        return marked
    try:
        async with get_client() as client:
            for fid in waiting:
                try:
                    state = (await client.read_flow_run(UUID(fid))).state
                except (ObjectNotFound, ValueError):
                    continue
                if state is not None and state.is_final():
                    marked += store.runs.crash_flow_run(fid, lost_reason(state))
                    store.feeds.release_flow_run(fid)  # its feeds, taken still, are free
                    # Not its alerts, replies, digests or notices: Prefect also ends a run whose
                    # heartbeats stopped reaching it (a server restarted, a partition), its
                    # process maybe alive and posting; only the worker's hook saw it exit.
    except Exception as exc:
        get_run_logger().warning(
            "runs left open not checked with Prefect: %s", error_line(exc, limit=300)
        )
    return marked


def release_feed_claims(ctx: Context) -> None:
    """Give back the feed claims a pass that is over still holds: those of a batch that timed
    out, or of the whole pass when it timed out or was cancelled mid-feed. They were left to
    lapse (5 minutes), and a pass run at once after it (`newsmon run --force`, the natural
    reaction to a timeout) skipped those feeds as taken, unread. Best effort: a corpus that
    cannot be reached leaves them to lapse."""
    if ctx.claim is None:
        return
    try:
        released = ctx.store.feeds.release_owner(ctx.claim.owner)
    except Exception as failure:
        get_run_logger().warning(
            "feed claims not given back (they lapse within %d min): %s",
            ctx.claim.lease.total_seconds() // 60,
            error_line(failure, limit=300),
        )
        return
    if released:
        get_run_logger().info("%d feed claim(s) left by the pass given back", released)


@dataclass
class Stopping:
    """The signal that stopped a run started from the command line, once one has."""

    signal: signal.Signals | None = None
    # No PREFECT_API_URL: the flow reports to the temporary server Prefect started beside it.
    temporary_server: bool = False

    def stop(self, signum: Signals) -> bool:
        """Record the first signal (whether this was it). On a temporary server, Prefect's
        client stops retrying its requests from now on: systemd, a `timeout` wrapper or
        Ctrl-C signal the whole group, that server with it, and the crash's report to it was
        retried with backoff (`PREFECT_CLIENT_MAX_RETRIES`, 2+4+8+16+32 s) for ~70 s before
        the command ended, nearly systemd's 90 s before its SIGKILL. A server still up takes
        the report at once; one that is gone refuses it at once. A real server's settings
        (`PREFECT_API_URL`: a worker's runs must report) are left alone."""
        if self.signal is not None:
            return False
        self.signal = signum
        if self.temporary_server:
            get_current_settings().client.max_retries = 0
        return True

    def reason(self) -> str | None:
        if self.signal is None:
            return None
        said = " (Ctrl-C)" if self.signal is signal.SIGINT else ""
        return f"stopped by {self.signal.name}{said}"

    def __enter__(self) -> Stopping:
        return self

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        """Around the flow's call: once a signal stopped it, what Prefect raises after (its
        temporary server, stopped with the command by systemd or Ctrl-C, refusing the crash's
        report: "the pass crashed: ConnectError" after ~70 s) is `Stopped`, not a line of its
        own beside "terminated"."""
        if self.signal is not None and isinstance(exc, Exception):
            raise Stopped(self.signal) from exc


class Stopped(BaseException):
    """The flow ended after a signal stopped it, whatever it raised then."""


# Set by the `newsmon` command around the flows it runs in its own process; unset under a
# Prefect worker, whose runner cancels through Prefect's own SIGTERM handling.
STOPPING: ContextVar[Stopping | None] = ContextVar("newsmon_stopping", default=None)


def stop_on_signals() -> None:
    """In an async flow run by the `newsmon` command, SIGINT and SIGTERM cancel the flow's task.

    Prefect's SIGTERM handler raises wherever the event loop stands: asyncio took it for a
    socket's write error, so the feed being read was recorded failed ("ReadError"), the pass
    went on and exited 0 (or 5, "every feed failed"). Here both signals cancel the flow's task
    from the loop, so it records its crash and gives its claims back as on Ctrl-C; a second
    signal during that cleanup cancels nothing more. Called first in the flow's body; the
    handlers go with the command's event loop (`asyncio.run` removes them). Under a Prefect
    worker (no `STOPPING`) nothing changes: its runner cancels through Prefect's handler."""
    stopping = STOPPING.get()
    task = asyncio.current_task()
    if stopping is None or task is None:
        return

    def stop(signum: signal.Signals) -> None:
        if stopping.stop(signum):
            task.cancel()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)


def crash_reason(exc: BaseException) -> str:
    """One line for the runs table, without secrets (`error_line`): a timeout or cancellation
    says so, and a signal that stopped a run from the command line is named."""
    stopped = STOPPING.get()
    if stopped is not None and stopped.signal is not None:
        return stopped.reason() or ""
    if isinstance(exc, TerminationSignal):  # Prefect's SIGTERM handler, in a sync flow
        return Stopping(signal.Signals(exc.signal)).reason() or ""
    if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
        return f"cancelled or timed out ({type(exc).__name__})"
    return error_line(exc, limit=1000)


def record_crash(ctx: Context, run_id: int, exc: BaseException) -> None:
    """Mark the run crashed with its reason; a corpus that cannot take even that is logged."""
    try:
        ctx.store.runs.finish_run(run_id, RunStatus.CRASHED, error=crash_reason(exc))
    except Exception as failure:  # the original error is what the flow raises
        get_run_logger().error(
            "could not record the crash of run #%s: %s", run_id, error_line(failure, limit=1000)
        )
