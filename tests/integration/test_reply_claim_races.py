"""Two deliveries at once (two workers, `newsmon run` by hand beside the deployment) claiming
the replies of one story: the story's rows go out as one message from one of them, never split
into two replies in the thread. The second delivery's claim runs inside the first's claim
transaction (a statement hook), on SQLite and on PostgreSQL with two connection pools."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from newsmon.corpus import Store
from newsmon.corpus.claims import new_claim
from newsmon.corpus.records import ReplyJob
from newsmon.corpus.schema import ReplyRow
from newsmon.pipeline import deliver
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack


def _rows(job: ReplyJob) -> set[int]:
    return {job.id, *(j.id for j in job.also)}


def test_the_replies_of_one_story_are_claimed_by_one_delivery(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    ctx = context(config_path(tmp_path, db_url), fake)
    other = Store.open(db_url)
    try:
        [story] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        for n in range(12):  # more than a claim's batch (10)
            feed = ctx.store.sync_feed(f"wire-{n}", f"https://w{n}.example/feed.xml", "en")
            assert ctx.store.queue_replies(story, feed.id, f"https://w{n}.example/copy") == 1
        with ctx.store.session() as s:
            queued = set(s.scalars(select(ReplyRow.id)))
        second: list[list[ReplyJob]] = []
        lease = timedelta(minutes=5)

        def claim_beside() -> None:
            second.append(other.replies.claim_replies(new_claim(lease), 10))

        started: list[threading.Thread] = []

        def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            # the first delivery has claimed its batch, not yet the story's other rows
            if not started and "claimed_by" in statement and statement.startswith("UPDATE"):
                thread = threading.Thread(target=claim_beside)
                started.append(thread)
                thread.start()
                thread.join(1.0)  # it finishes, or waits for this claim to commit

        event.listen(ctx.store.engine, "after_cursor_execute", after)
        try:
            # a claim of one (a blocked channel's probe, a budget's last) beside a batch's
            first = ctx.store.replies.claim_replies(new_claim(lease), 1)
        finally:
            event.remove(ctx.store.engine, "after_cursor_execute", after)
        started[0].join(10.0)
        jobs = [*first, *second[0]]
        assert len(jobs) == 1, [sorted(_rows(j)) for j in jobs]
        assert _rows(jobs[0]) == queued
    finally:
        other.close()
        ctx.close()
