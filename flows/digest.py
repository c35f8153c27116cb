"""The `digest` flow: per channel, the period's stories in one digest, posted once."""

from __future__ import annotations

from datetime import timedelta

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.common import open_context
from newsmon.clock import utcnow
from newsmon.digest import window
from newsmon.pipeline.digests import DigestResult, run_digest
from newsmon.slack import CredentialError, make_sender


@flow(name="digest", log_prints=True)
def digest(
    since_hours: float = 24.0,
    channel: str | None = None,
    dry_run: bool = False,
    config_path: str | None = None,
    require_slack: bool = False,
) -> DigestResult:
    """Post each channel's digest of the last `since_hours`, ending at the last whole hour.

    A second run for the same period posts nothing; `dry_run` posts and records nothing and
    returns the messages. Slack refusing the credentials fails the run.
    """
    logger = get_run_logger()
    started = utcnow()
    ctx = open_context(config_path)
    try:
        since, until = window(started, timedelta(hours=since_hours), ctx.config.slack.zone())
        sender = make_sender(ctx.secrets, ctx.config.slack, required=require_slack and not dry_run)
        result = run_digest(ctx, sender, since, until, channel=channel, dry_run=dry_run)
        for line in result.lines():
            logger.info(line)
        if not dry_run:
            ctx.store.record_run("digest", started, result.as_dict())
            create_markdown_artifact(key="digest-summary", markdown="\n".join(result.lines()))
        if result.credential_error:
            raise CredentialError(result.credential_error)
        return result
    finally:
        ctx.close()
