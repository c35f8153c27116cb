"""What both flows share: opening a run's context (configuration, rules, corpus)."""

from __future__ import annotations

from newsmon.config import load_config
from newsmon.pipeline import Context


def open_context(config_path: str | None) -> Context:
    """Load configuration and open the corpus; a bad config, or a database that cannot be
    migrated or written, fails the flow here with one line."""
    ctx = Context.open(load_config(config_path))
    try:
        ctx.store.check_writable()
    except BaseException:
        ctx.close()
        raise
    return ctx
