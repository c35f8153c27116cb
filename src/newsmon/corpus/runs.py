"""The runs aggregate: one row per flow run, written when it starts and completed when it ends
(completed, failed or crashed, with the reason), so a pass that dies still leaves a trace."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from newsmon.clock import utcnow
from newsmon.corpus.engine import Database, rerun_if_dropped
from newsmon.corpus.records import RunRecord, RunStatus
from newsmon.corpus.schema import RunRow

MAX_ERROR = 2000


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


def _record(row: RunRow) -> RunRecord:
    return RunRecord(
        row.id,
        row.flow,
        RunStatus(row.status),
        row.started_at,
        row.finished_at,
        dict(row.summary or {}),
        row.error,
    )


class Runs:
    """The history of flow runs, for health checks and operators reading the database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record_run(
        self,
        flow: str,
        started_at: datetime,
        summary: Mapping[str, Any],
        *,
        status: RunStatus = RunStatus.COMPLETED,
        error: str | None = None,
    ) -> None:
        """Record a finished run; `summary` must be JSON-serialisable (stored as given)."""
        with self._db.session() as s:
            s.add(
                RunRow(
                    flow=flow,
                    started_at=started_at,
                    finished_at=utcnow(),
                    summary=dict(summary),
                    status=status,
                    error=error[:MAX_ERROR] if error else None,
                )
            )

    def start_run(
        self,
        flow: str,
        started_at: datetime | None = None,
        *,
        abandon_after: timedelta | None = None,
        flow_run_id: str | None = None,
    ) -> int:
        """A `running` row for a run that begins; `finish_run` completes it.

        `flow_run_id` names the Prefect flow run, for `crash_flow_run` (the worker's report
        of a process that died).

        With `abandon_after` (longer than the flow's timeout), the flow's runs still `running`
        that began longer ago than that are marked crashed: their process was killed (SIGKILL,
        the machine lost) before it could record its end, and would otherwise stay "stuck" in
        `newsmon health` until newer runs push them out of view, never explained.
        """
        started_at = started_at or utcnow()
        with self._db.session() as s:
            row = RunRow(
                flow=flow,
                started_at=started_at,
                finished_at=None,
                summary={},
                status=RunStatus.RUNNING,
                flow_run_id=flow_run_id,
            )
            s.add(row)
            s.flush()
            if abandon_after is not None:
                s.execute(
                    update(RunRow)
                    .where(
                        RunRow.flow == flow,
                        RunRow.status == RunStatus.RUNNING,
                        RunRow.started_at < started_at - abandon_after,
                        RunRow.id != row.id,
                    )
                    .values(
                        status=RunStatus.CRASHED,
                        error=(
                            f"no end was recorded within {_span(abandon_after)}: the process "
                            f"was killed or lost its database (found by run #{row.id})"
                        ),
                    )
                    .execution_options(synchronize_session=False)
                )
            return row.id

    @rerun_if_dropped
    def finish_run(
        self,
        run_id: int,
        status: RunStatus,
        summary: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "status": status,
            "finished_at": utcnow(),
            "error": error[:MAX_ERROR] if error else None,
        }
        if summary is not None:
            values["summary"] = dict(summary)
        with self._db.session() as s:
            s.execute(update(RunRow).where(RunRow.id == run_id).values(**values))

    @rerun_if_dropped
    def crash_flow_run(self, flow_run_id: str, error: str) -> list[int]:
        """Mark crashed, with `error`, the rows of this Prefect flow run still `running`: its
        process is gone (killed, cancelled) without recording its end. A row it recorded is
        left as it is. Returns the ids marked. Run again on a dropped connection: one left the
        run `running` and its feeds claimed (the hook gave up before `release_flow_run`)."""
        with self._db.session() as s:
            ids = list(
                s.scalars(
                    select(RunRow.id).where(
                        RunRow.flow_run_id == flow_run_id, RunRow.status == RunStatus.RUNNING
                    )
                )
            )
            if ids:
                s.execute(
                    update(RunRow)
                    .where(RunRow.id.in_(ids), RunRow.status == RunStatus.RUNNING)
                    .values(status=RunStatus.CRASHED, finished_at=utcnow(), error=error[:MAX_ERROR])
                    .execution_options(synchronize_session=False)
                )
            return ids

    def running_flow_runs(self, limit: int = 20) -> list[str]:
        """Prefect flow runs of rows still `running`, oldest first: the ones to ask Prefect
        about when a worker may have been lost with them (no hook recorded their end)."""
        with self._db.session() as s:
            return list(
                s.scalars(
                    select(RunRow.flow_run_id)
                    .where(RunRow.status == RunStatus.RUNNING, RunRow.flow_run_id.is_not(None))
                    .order_by(RunRow.started_at, RunRow.id)
                    .limit(limit)
                )
            )

    def recent_runs(
        self,
        flow: str | None = None,
        *,
        limit: int = 20,
        statuses: Collection[RunStatus] | None = None,
        before_id: int | None = None,
    ) -> list[RunRecord]:
        """Runs, most recently started first; optionally of one flow, with given statuses,
        or started before run `before_id`."""
        query = select(RunRow).order_by(RunRow.started_at.desc(), RunRow.id.desc()).limit(limit)
        if flow is not None:
            query = query.where(RunRow.flow == flow)
        if statuses is not None:
            query = query.where(RunRow.status.in_([RunStatus(x) for x in statuses]))
        if before_id is not None:
            query = query.where(RunRow.id < before_id)
        with self._db.session() as s:
            return [_record(r) for r in s.scalars(query)]

    def last_run(
        self, flow: str, statuses: Collection[RunStatus] | None = None
    ) -> RunRecord | None:
        runs = self.recent_runs(flow, limit=1, statuses=statuses)
        return runs[0] if runs else None
