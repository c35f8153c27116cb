"""What the flows share: opening a run's context (configuration, rules, corpus) and naming the
pass among others that may run on the same corpus."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect.context import FlowRunContext

from newsmon.config import load_config
from newsmon.pipeline import Context, PassClaim


def open_context(config_path: str | None) -> Context:
    """Load configuration and open the corpus; a bad config or database fails the flow here."""
    ctx = Context.open(load_config(config_path))
    ctx.claim = PassClaim(started=pass_started())
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
