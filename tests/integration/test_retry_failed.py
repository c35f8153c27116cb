"""`newsmon alerts retry --failed` after an outage, on SQLite and PostgreSQL, with the real CLI,
store and delivery (slack_sdk against the fake Slack on loopback).

Re-queuing is the alert's second first sight: a story older than `alerts.max_age_hours` now is
held back as a pass holds back a new alert of it, and a story another alert announced in the
channel meanwhile is not posted a second time.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.clock import utcnow
from newsmon.config import load_config
from newsmon.corpus.outbox import LATE_COPY_NOTE
from newsmon.corpus.records import AlertStatus, StoredMatch
from newsmon.corpus.retries import Named, NotRequeued
from newsmon.corpus.schema import AlertRow, ArticleRow
from newsmon.pipeline import Context, deliver
from tests.integration.test_concurrent_corpus import stories
from tests.support.articles import new_article
from tests.support.configs import write_config
from tests.support.delivery import FAST, MATCH, context
from tests.support.fake_slack import FakeSlack, Scripted

runner = CliRunner()
REFUSED = Scripted(200, {"ok": False, "error": "msg_too_long"})  # fails an alert at once
SPOKEN = ([StoredMatch("policy", 3, [], "snippet")], "v1", {"#ai-news": ["policy"]})


def _config(tmp_path: Path, db_url: str) -> Path:
    return write_config(tmp_path, database_url=db_url, slack=FAST, alerts={"max_age_hours": 72})


def _retry(config: Path, *args: str, code: int = 0) -> str:
    done = runner.invoke(app, ["alerts", "retry", *args, "--config", str(config)])
    assert done.exit_code == code, done.output
    return done.output


def _status(ctx: Context, alert_id: int) -> AlertStatus:
    with ctx.store.session() as s:
        row = s.get(AlertRow, alert_id)
        assert row is not None
        return row.status


def test_retry_failed_holds_back_a_story_older_than_the_hold_back_age(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """A story queued fresh failed months ago (a channel misconfigured then); an outage's
    alert failed an hour ago. `retry --failed` re-queued both and the pass posted the old story
    in #news as if it were news. Now it is held back (skipped, as a pass would hold it back),
    the command says how many and which ids send it anyway, and the outage's alert is sent."""
    config = _config(tmp_path, db_url)
    ctx = context(config, slack)
    now = utcnow()
    try:
        for i, age in enumerate((timedelta(days=200), timedelta(hours=2))):
            ctx.store.add_article(
                new_article(
                    f"https://n.example/{i}",
                    f"story {i}",
                    title=f"Story {i}",
                    published_at=now - age,
                ),
                [MATCH],
                "v1",
                {"#news": ["policy"]},
            )
        slack.channel_script["#news"] = [REFUSED, REFUSED]
        assert deliver(ctx).failed == 2
        with ctx.store.session() as s:  # the first failed (and was first seen) months ago
            old = s.scalars(select(AlertRow).order_by(AlertRow.id)).first()
            assert old is not None
            old.failed_at = now - timedelta(days=199)
            s.execute(
                update(ArticleRow)
                .where(ArticleRow.id == old.article_id)
                .values(first_seen_at=now - timedelta(days=200))
            )
            old_id = old.id
    finally:
        ctx.close()

    said = _retry(config, "--failed")
    ctx = context(config, slack)
    try:
        deliver(ctx)
        posted = [p["blocks"][0]["text"]["text"] for p in slack.top_level("#news")]
        assert len(posted) == 1 and "Story 1" in posted[0], posted
        assert _status(ctx, old_id) is AlertStatus.SKIPPED
        assert "re-queued 1 alert(s)" in said, said
        assert f"newsmon alerts retry {old_id}" in said, said
        # named, it goes whatever its age: the operator asked for it
        again = ctx.store.retries.retry(Named(alerts=(old_id,)), failed=False, since=None)
        assert again.alerts == 1 and deliver(ctx).sent == 1
    finally:
        ctx.close()


def _two_stories_found_one_while_slack_refused(ctx: Context, slack: FakeSlack) -> tuple[int, int]:
    """H and R queued as two stories in #ai-news; both fail (Slack refusing); then R's page,
    read at last, shows R to be a copy of H. (H's alert, R's alert)."""
    full, other = stories()[:2]
    h = ctx.store.add_article(
        new_article("https://h.example/s", full, signed=True, published_at=utcnow()), *SPOKEN
    )
    r_url = "https://r.example/s"
    r = ctx.store.add_article(
        new_article(r_url, other, signed=True, text_source="feed", published_at=utcnow()), *SPOKEN
    )
    slack.channel_script["#ai-news"] = [REFUSED, REFUSED]
    assert deliver(ctx, 10).failed == 2
    page = new_article(r_url, full, signed=True)
    assert ctx.store.recover_page(r.id, other, page, *SPOKEN).joined
    with ctx.store.session() as s:
        ids = dict(s.execute(select(AlertRow.article_id, AlertRow.id)).tuples().all())
    return ids[h.id], ids[r.id]


def test_retry_failed_posts_a_story_once_in_a_channel(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """Two alerts of what turned out to be one story both gave up in an outage; `retry
    --failed` re-queued both and the story was posted twice in #ai-news."""
    config = _config(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        h_alert, r_alert = _two_stories_found_one_while_slack_refused(ctx, slack)
    finally:
        ctx.close()
    said = _retry(config, "--failed")
    ctx = context(config, slack)
    try:
        deliver(ctx, 10)
        assert len(slack.top_level("#ai-news")) == 1, "the story posted twice in #ai-news"
        assert "re-queued 1 alert(s)" in said, said
        assert _status(ctx, h_alert) is AlertStatus.SENT
        assert _status(ctx, r_alert) is AlertStatus.SKIPPED
    finally:
        ctx.close()


def test_a_late_copy_held_back_is_not_re_queued_by_its_id(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """H's story was posted in #ai-news; R's alert, still waiting, was held back when R's page
    showed R to be a copy of H (`newsmon alerts` lists it skipped). Re-queued by its id, it
    posted the story a second time. Now it stays, and the command names the alert that
    announced the story."""
    config = _config(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        full, other = stories()[:2]
        ctx.store.add_article(
            new_article("https://h.example/s", full, signed=True, published_at=utcnow()), *SPOKEN
        )
        assert deliver(ctx, 10).sent == 1
        r_url = "https://r.example/s"
        r = ctx.store.add_article(
            new_article(r_url, other, signed=True, text_source="feed", published_at=utcnow()),
            *SPOKEN,
        )
        page = new_article(r_url, full, signed=True)
        assert ctx.store.recover_page(r.id, other, page, *SPOKEN).joined
        with ctx.store.session() as s:
            rows = {a.article_id: a for a in s.scalars(select(AlertRow))}
            h_alert, r_alert = rows[r.id - 1].id, rows[r.id].id
            assert rows[r.id].last_error == LATE_COPY_NOTE
        said = _retry(config, str(r_alert), code=1)  # named, it re-queued nothing
        deliver(ctx, 10)
        assert len(slack.top_level("#ai-news")) == 1, "the story posted twice in #ai-news"
        assert f"announced in its channel by alert #{h_alert}" in said, said
        done = ctx.store.retries.retry(Named(alerts=(r_alert,)), failed=False, since=None)
        assert done.alerts == 0
        assert done.not_requeued == [
            NotRequeued(False, r_alert, AlertStatus.SKIPPED, announced_by=h_alert)
        ]
    finally:
        ctx.close()


def test_retry_racing_a_delivery_sends_each_alert_once_and_leaves_none_claimed(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """`alerts retry --failed` run again and again while deliveries claim, post and fail
    alerts (every other post refused at once): no alert is posted twice, none stays claimed,
    and once Slack takes posts every story is posted exactly once."""
    config = _config(tmp_path, db_url)
    setup = context(config, slack)
    try:
        for i in range(12):
            setup.store.add_article(
                new_article(f"https://q.example/{i}", f"q {i}", published_at=utcnow()),
                [MATCH],
                "v1",
                {f"#c{i % 3}": ["policy"]},
            )
        with setup.store.session() as s:
            alert_ids = sorted(s.scalars(select(AlertRow.id)))
    finally:
        setup.close()
    for c in range(3):  # every other post refused, the others taken
        slack.channel_script[f"#c{c}"] = [REFUSED, None] * 4
    stop = threading.Event()
    errors: list[BaseException] = []
    requeued: list[int] = []

    def retrying() -> None:
        ctx = context(config, slack)
        try:
            while not stop.is_set():
                requeued.append(ctx.store.retries.retry(Named(), failed=True, since=None).alerts)
        except BaseException as exc:
            errors.append(exc)
        finally:
            ctx.close()

    thread = threading.Thread(target=retrying)
    thread.start()
    ctx = context(config, slack)
    try:
        for _ in range(4):
            deliver(ctx, 20)
    finally:
        stop.set()
        thread.join()
    try:
        assert errors == [] and sum(requeued) > 0  # re-queued while the deliveries ran
        for _ in range(3):
            ctx.store.retries.retry(Named(), failed=True, since=None)
            deliver(ctx, 20)
        with ctx.store.session() as s:
            states = dict(s.execute(select(AlertRow.id, AlertRow.status)).tuples().all())
        assert set(states.values()) == {AlertStatus.SENT}, states
        posted = sorted(int(i) for i in slack.metadata_ids())
        assert posted == alert_ids, posted
    finally:
        ctx.close()


def test_the_listing_says_when_an_alert_gave_up(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """`--within` counts from when an alert gave up, and health reports those that gave up in
    the last day; `newsmon alerts` showed when each was queued only, so the operator could
    not tell which `--within` takes an outage's alerts."""
    config = _config(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        ctx.store.add_article(
            new_article("https://g.example/1", "g", published_at=utcnow()),
            [MATCH],
            "v1",
            {"#news": ["policy"]},
        )
        slack.channel_script["#news"] = [REFUSED]
        assert deliver(ctx).failed == 1
        with ctx.store.session() as s:
            row = s.scalars(select(AlertRow)).one()
            assert row.failed_at is not None
            row.failed_at -= timedelta(hours=30)
            gave_up = row.failed_at
    finally:
        ctx.close()
    listed = runner.invoke(app, ["alerts", "--config", str(config)])
    zone = load_config(config).slack.zone()
    assert f"gave up {gave_up.astimezone(zone):%Y-%m-%d %H:%M %Z}" in listed.output, listed.output
