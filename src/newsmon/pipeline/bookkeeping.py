"""Writes a pass makes about its work rather than the work itself (a feed's failure, claims
handed back), which a failing database must not turn into the loss of that work."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import ParamSpec

from sqlalchemy.exc import SQLAlchemyError

from newsmon.pipeline.outcomes import error_line

log = logging.getLogger(__name__)
P = ParamSpec("P")


async def best_effort(
    what: str, write: Callable[P, object], *args: P.args, **kwargs: P.kwargs
) -> bool:
    """Run `write` in a thread; when the database refuses it (SQLite locked past its busy
    timeout by another process, PostgreSQL down), one warning line and False instead of an
    exception: a batch that raised lost every feed's outcome, read or not, and claims not
    handed back lapse by themselves."""
    try:
        await asyncio.to_thread(write, *args, **kwargs)
    except SQLAlchemyError as exc:
        log.warning("%s not recorded: %s", what, error_line(exc))
        return False
    return True
