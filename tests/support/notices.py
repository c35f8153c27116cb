"""Time for health notices in flow tests, whose passes are seconds apart."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from newsmon.config import load_config
from newsmon.corpus import Store
from newsmon.corpus.schema import HealthProblemRow
from newsmon.notices import RESOLVE_QUIET


def age_absences(config: Path, by: timedelta = RESOLVE_QUIET) -> None:
    """The open problems' runs of passes without them began `by` earlier: what a pass finds
    that long later (passes here are seconds apart), without waiting. By default what a
    scheduled pass after the one that missed a problem finds: it may resolve it."""
    store = Store.open(load_config(config).database_url)
    try:
        with store.session() as s:
            for row in s.query(HealthProblemRow).filter(HealthProblemRow.absent_since.is_not(None)):
                assert row.absent_since is not None
                row.absent_since -= by
    finally:
        store.close()
