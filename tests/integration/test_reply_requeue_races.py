"""A sighting of a stored page queues "also reported by" replies while `newsmon alerts retry`
re-queues the story's failed alert (a retry by hand beside a pass): the reply must come back
with the alert, never stay dropped under an alert that posts. The retry runs right after the
sighting read the alert's status (a statement hook), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, update

from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow, ReplyRow
from tests.support.delivery import queue_alerts


def test_a_reply_queued_while_its_failed_alert_is_requeued_is_not_left_dropped(
    tmp_path: Path, db_url: str
) -> None:
    store, other = Store.open(db_url), Store.open(db_url)
    try:
        [story] = queue_alerts(store, {"#news": 1})
        with store.session() as s:
            alert = s.scalars(select(AlertRow.id)).one()
            s.execute(update(AlertRow).values(status=AlertStatus.FAILED, attempts=5))
        feed = store.sync_feed("wire", "https://wire.example/feed.xml", "en")
        started: list[threading.Thread] = []
        requeued: list[int] = []

        def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            # the sighting has read the alert failed, not yet written its reply
            if not started and "thread_gone" in statement and statement.startswith("SELECT"):
                thread = threading.Thread(
                    target=lambda: requeued.append(other.retry_alerts([alert]))
                )
                started.append(thread)
                thread.start()
                thread.join(0.5)  # it finishes, or waits for the sighting to commit

        event.listen(store.engine, "after_cursor_execute", after)
        try:
            assert store.queue_replies(story, feed.id, "https://wire.example/copy") == 1
        finally:
            event.remove(store.engine, "after_cursor_execute", after)
        started[0].join(10.0)
        assert requeued == [1]
        with store.session() as s:
            assert s.scalar(select(AlertRow.status)) == AlertStatus.PENDING
            assert s.scalar(select(ReplyRow.status)) == AlertStatus.PENDING
    finally:
        other.close()
        store.close()
