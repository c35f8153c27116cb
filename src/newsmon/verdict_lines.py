"""A flow that fails as a verdict (every feed failed, every page failed, a digest left for
later) is no crash: in the terminal it is one line, not the flow engine's traceback.

Prefect logs a flow's exception with `logger.exception` on the flow-run logger, so `make run`
offline printed the engine's whole stack above the summary, as if newsmon had broken. Only the
traceback goes: the line stays, the run still ends Failed with the verdict as its message."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

FLOW_RUN_LOGGER = "prefect.flow_runs"  # where Prefect's engine logs a flow's exception


class _NoVerdictTraceback(logging.Filter):
    def __init__(self, verdicts: tuple[type[BaseException], ...]) -> None:
        super().__init__()
        self.verdicts = verdicts

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], self.verdicts):
            record.exc_info = None
            record.exc_text = None
        return True


@contextmanager
def verdicts_in_one_line(*verdicts: type[BaseException]) -> Iterator[None]:
    """While a command runs a flow: the exceptions `verdicts` are logged without traceback
    (a filter on the logger, which survives Prefect setting its handlers up again)."""
    logger = logging.getLogger(FLOW_RUN_LOGGER)
    quiet = _NoVerdictTraceback(verdicts)
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)
