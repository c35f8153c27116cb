"""The `digest` flow: per channel, the period's stories in one digest, posted once.

Like every flow, a run is in the runs table from its start (`running`) to its end: `completed`,
`failed` when Slack refused the credentials (or none is set and Slack is required, alerts
on), a
digest was left for a later call (an outage, a lost answer, a long Retry-After) or went out
without a part Slack refused for its content (said once: not tried again), `crashed`
with the reason when an exception, a timeout or a cancellation stopped it. A dry run records
nothing.
"""

from __future__ import annotations

from datetime import timedelta

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.common import (
    DIGEST_TIMEOUT,
    artifact,
    flow_run_id,
    open_context,
    record_crash,
    record_lost_process,
)
from newsmon.clock import utcnow
from newsmon.corpus.records import RunStatus
from newsmon.pipeline.digests import (
    DigestResult,
    DigestsUnfinished,
    digest_period,
    retry_left,
    run_digest,
)
from newsmon.slack import ConsoleSender, CredentialError, Sender, make_sender

# A digest left for a later call (Slack failing, a lookup it could not make, a long
# Retry-After) is tried again 1, 5 and 15 minutes after the run's first try, while a try can
# start within two thirds of the run's timeout (20 of 30 minutes, the rest left to post it):
# the next call is usually the next day's.
RETRY_SECONDS = (60.0, 240.0, 600.0)


@flow(
    name="digest",
    log_prints=True,
    timeout_seconds=DIGEST_TIMEOUT,
    on_crashed=[record_lost_process],
    on_cancellation=[record_lost_process],
)
def digest(
    since_hours: float = 24.0,
    channel: str | None = None,
    dry_run: bool = False,
    config_path: str | None = None,
    require_slack: bool = False,
    retry_seconds: tuple[float, ...] = RETRY_SECONDS,
) -> DigestResult:
    """Post each channel's digest up to the last whole hour, from where its last digest ended
    (within 7 days; else the last `since_hours`): a late, early or manual run drops or repeats
    no story.

    A second run for the same period posts nothing; `dry_run` posts and records nothing and
    returns the messages. A digest left for a later call is tried again after each of
    `retry_seconds` in turn (same period, after the parts posted). Slack refusing the
    credentials, or a digest still left, fails the run once it is recorded.
    """
    logger = get_run_logger()
    started = utcnow()
    ctx = open_context(config_path, read_only=dry_run)
    run_id = (
        None if dry_run else ctx.store.runs.start_run("digest", started, flow_run_id=flow_run_id())
    )
    try:
        since, until = digest_period(ctx, timedelta(hours=since_hours))
        try:
            # with alerts off a digest posts nothing (`run_digest`), a dry run only prints:
            # neither needs a credential, whatever slack.required says (a pass needs none then)
            if dry_run or not ctx.config.alerts.enabled:
                sender: Sender = ConsoleSender()
            else:
                sender = make_sender(ctx.secrets, ctx.config.slack, required=require_slack)
        except CredentialError as exc:  # none set, and Slack is required: a failed run
            if run_id is not None:
                ctx.store.runs.finish_run(run_id, RunStatus.FAILED, None, str(exc))
                run_id = None
            raise
        result = run_digest(ctx, sender, since, until, channel=channel, dry_run=dry_run)
        if not dry_run:
            room = DIGEST_TIMEOUT * 2 / 3 - (utcnow() - started).total_seconds()

            def waiting(delay: float) -> None:
                logger.warning("%s; trying again in %.0fs", result.unfinished_line(), delay)

            retry_left(ctx, sender, result, retry_seconds, room=room, waiting=waiting)
        for line in result.lines():
            logger.info(line)
        refused = result.credential_error
        left = result.failure_line() if not refused else None
        if run_id is not None:
            status = RunStatus.FAILED if refused or left else RunStatus.COMPLETED
            ctx.store.runs.finish_run(run_id, status, result.as_dict(), refused or left)
            run_id = None  # recorded: what follows cannot turn it into a crash
            with artifact("digest-summary"):
                create_markdown_artifact(key="digest-summary", markdown="\n".join(result.lines()))
        if refused:
            raise CredentialError(refused)
        if left:
            raise DigestsUnfinished(result)
        return result
    except BaseException as exc:
        if run_id is not None:
            record_crash(ctx, run_id, exc)
        raise
    finally:
        ctx.close()
