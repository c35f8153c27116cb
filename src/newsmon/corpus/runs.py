"""The runs aggregate: one row per finished flow run, with its totals as a JSON summary."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from newsmon.clock import utcnow
from newsmon.corpus.engine import Database
from newsmon.corpus.schema import RunRow


class Runs:
    """The history of flow runs, for operators reading the database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record_run(self, flow: str, started_at: datetime, summary: Mapping[str, Any]) -> None:
        """Record a finished run; `summary` must be JSON-serialisable (stored as given)."""
        with self._db.session() as s:
            s.add(
                RunRow(
                    flow=flow, started_at=started_at, finished_at=utcnow(), summary=dict(summary)
                )
            )
