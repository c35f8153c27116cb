"""Running a write's transaction again when the database lost or aborted it: a dropped
connection (its COMMIT may have happened: the write must be safe to run twice), or a deadlock
or serialization failure PostgreSQL broke by rolling it back whole (nothing was written)."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

# SQLSTATEs of a transaction PostgreSQL rolled back whole to break a conflict between two:
# serialization_failure, deadlock_detected. Nothing of it was written: it may simply run again.
_ROLLED_BACK_STATES = frozenset({"40001", "40P01"})
_CONFLICT_RERUNS, _CONFLICT_PAUSE = 3, 0.05


def rerun_if_dropped(method: Callable[P, R]) -> Callable[P, R]:
    """For a write whose transaction may run twice: run it once more when the database dropped
    the connection under it (a failover or restart, pgbouncer, `idle_in_transaction_session_
    timeout`). SQLAlchemy has thrown that connection away and pre-ping checks the others, so
    the second try gets a live one; a pass no longer crashes, and a post Slack accepted is no
    longer left unrecorded, for one lost connection. A database still down fails it again.
    Also again (up to 3 times, after a short pause) when PostgreSQL rolled the transaction back
    to break a deadlock or a serialization conflict with another pass or command: before, that
    stopped delivery for the pass (the post left to be looked up in Slack next pass)."""

    @functools.wraps(method)
    def again(*args: P.args, **kwargs: P.kwargs) -> R:
        dropped = conflicts = 0
        while True:
            try:
                return method(*args, **kwargs)
            except DBAPIError as exc:
                reason = type(exc.orig or exc).__name__
                if exc.connection_invalidated and not dropped:
                    dropped += 1
                    log.warning(
                        "database connection lost during %s (%s); trying once more",
                        method.__name__,
                        reason,
                    )
                elif _rolled_back(exc) and conflicts < _CONFLICT_RERUNS:
                    conflicts += 1
                    log.warning(
                        "%s rolled back by the database (%s: %s); trying again",
                        method.__name__,
                        reason,
                        _first_line(exc.orig or exc),
                    )
                    time.sleep(_CONFLICT_PAUSE * conflicts)
                else:
                    raise

    return again


def _rolled_back(exc: DBAPIError) -> bool:
    """Whether PostgreSQL aborted the transaction for a deadlock or serialization failure."""
    return getattr(exc.orig, "sqlstate", None) in _ROLLED_BACK_STATES


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
