"""The runs repository and the health queries of the corpus, on a SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsmon.corpus import Store
from newsmon.corpus.claims import new_claim
from newsmon.corpus.records import AlertStatus, NewSighting, RunStatus
from tests.support.articles import new_article


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    yield s
    s.close()


def test_a_run_is_running_until_finished_and_listed_newest_first(store: Store) -> None:
    first = store.runs.start_run("monitor")
    store.runs.finish_run(first, RunStatus.COMPLETED, {"feeds_ok": 2})
    second = store.runs.start_run("monitor")
    backfill = store.runs.start_run("backfill")
    [running] = store.runs.recent_runs("monitor", limit=1)
    assert running.id == second and running.status is RunStatus.RUNNING
    assert running.finished_at is None and running.summary == {}
    store.runs.finish_run(second, RunStatus.CRASHED, error="TimeoutError: " + "x" * 5000)
    crashed = store.runs.last_run("monitor")
    assert crashed is not None and crashed.status is RunStatus.CRASHED
    assert crashed.error is not None and len(crashed.error) == 2000
    done = store.runs.last_run("monitor", [RunStatus.COMPLETED])
    assert done is not None and done.id == first and done.summary == {"feeds_ok": 2}
    assert done.finished_at is not None and done.finished_at >= done.started_at
    assert [r.id for r in store.runs.recent_runs()] == [backfill, second, first]
    assert [r.id for r in store.runs.recent_runs("monitor", before_id=second)] == [first]


def test_record_run_keeps_its_old_signature_and_stores_completed(store: Store) -> None:
    from datetime import UTC, datetime

    store.record_run("backfill", datetime(2025, 2, 1, tzinfo=UTC), {"articles": 3})
    [run] = store.runs.recent_runs()
    assert run.status is RunStatus.COMPLETED and run.as_dict()["summary"] == {"articles": 3}


def test_feed_health_knows_when_a_feed_last_brought_something_new(store: Store) -> None:
    a = store.sync_feed("a", "https://a.example/feed", "en").id
    b = store.sync_feed("b", "https://b.example/feed", "en").id
    store.sync_feed("c", "https://c.example/feed", "en")
    stored = store.add_article(new_article("https://a.example/1", "A story.", feed_id=a))
    store.record_sightings(b, [NewSighting(stored.id, "https://a.example/1?ref=b")])
    health = {h.name: h for h in store.feed_health()}
    assert health["a"].last_new_at is not None and health["a"].last_new_at.tzinfo is not None
    assert health["b"].last_new_at is not None and health["b"].articles == 0
    assert health["c"].last_new_at is None and health["c"].created_at is not None


def test_alert_counts_per_channel_and_status(store: Store) -> None:
    ids = [
        store.add_article(new_article(f"https://a.example/{i}", f"Story {i}.")).id for i in range(3)
    ]
    for i in ids:
        store.enqueue_alert(i, "#p", ["policy"])
    store.enqueue_alert(ids[0], "#q", ["policy"])
    claim = new_claim(timedelta(minutes=5))
    [job] = store.outbox.claim_alerts(claim, 1)  # only a claim's owner marks an alert sent
    store.outbox.alert_sent(claim, job.id, destination="console", slack_ts=None)
    assert store.outbox.alert_counts() == {"#p": {"pending": 2, "sent": 1}, "#q": {"pending": 1}}
    assert store.count_alerts(AlertStatus.PENDING) == 3


def test_a_run_killed_without_a_trace_is_marked_crashed_by_a_later_run(store: Store) -> None:
    """A pass killed outright (SIGKILL) stayed `running`: health called it stuck until newer
    runs pushed it out of view, then "resolved" it, and nothing ever said what happened."""
    now = datetime.now(UTC)
    killed = store.runs.start_run("monitor", now - timedelta(hours=2))
    slow = store.runs.start_run("monitor", now - timedelta(minutes=20))  # may still be working
    other = store.runs.start_run("backfill", now - timedelta(hours=2))  # another flow's
    store.runs.start_run("monitor", now, abandon_after=timedelta(hours=1))
    runs = {r.id: r for r in store.runs.recent_runs("monitor", limit=10)}
    assert runs[killed].status is RunStatus.CRASHED
    assert (
        runs[killed].error is not None and "no end was recorded within 60 min" in runs[killed].error
    )
    assert runs[slow].status is RunStatus.RUNNING
    [backfill] = store.runs.recent_runs("backfill", limit=10)
    assert backfill.id == other and backfill.status is RunStatus.RUNNING


def test_the_workers_report_of_a_dead_process_marks_only_that_flow_runs_running_rows(
    store: Store,
) -> None:
    """A flow run's process SIGKILLed left its row `running` for an hour; the worker's crash
    hook names the flow run, whose row is marked crashed at once. A row the flow recorded
    itself, and other flow runs' rows, are left as they are."""
    killed = store.runs.start_run("monitor", flow_run_id="run-a")
    recorded = store.runs.start_run("monitor", flow_run_id="run-b")
    store.runs.finish_run(recorded, RunStatus.CRASHED, error="cancelled or timed out")
    other = store.runs.start_run("monitor", flow_run_id="run-c")
    by_hand = store.runs.start_run("monitor")
    assert store.runs.crash_flow_run("run-a", "the process ended (Prefect: Crashed)") == [killed]
    assert store.runs.crash_flow_run("run-b", "the process ended (Prefect: Cancelling)") == []
    runs = {r.id: r for r in store.runs.recent_runs("monitor", limit=10)}
    assert runs[killed].status is RunStatus.CRASHED and runs[killed].finished_at is not None
    assert runs[killed].error == "the process ended (Prefect: Crashed)"
    assert runs[recorded].error == "cancelled or timed out"
    assert runs[other].status is runs[by_hand].status is RunStatus.RUNNING


def test_0016_adds_the_flow_run_id_to_runs_and_walks_down_and_up_again(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    from tests.support.schema_history import assert_adds_a_column

    engine = create_engine(f"sqlite:///{tmp_path / 'walk.db'}")
    try:
        assert_adds_a_column(engine, "0016", "runs", "flow_run_id")
    finally:
        engine.dispose()
