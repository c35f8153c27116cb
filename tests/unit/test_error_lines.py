"""An unexpected error becomes one readable line wherever it is recorded (the feed's last
error, which `newsmon feeds` and `health` print, and the pass's log): a database error's text
runs over several lines, with the statement and the row's values, which are not for people."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.exc import SQLAlchemyError

from newsmon.config import Config, FeedConfig
from newsmon.corpus import Store
from newsmon.corpus.records import FeedSpec
from newsmon.pipeline import Context, FeedOutcome
from newsmon.pipeline.bookkeeping import record_crashed
from newsmon.pipeline.entries import entry_failed
from newsmon.rules import load_rules
from tests.conftest import SHIPPED_TOPICS


def database_error(store: Store) -> SQLAlchemyError:
    """A real one: SQLite refusing a statement, as SQLAlchemy reports it."""
    try:
        with store.engine.connect() as conn:
            conn.exec_driver_sql("INSERT INTO nowhere VALUES ('row values')")
    except SQLAlchemyError as exc:
        assert "\n" in str(exc)  # the premise: its text is several lines
        return exc
    raise AssertionError("the statement went through")


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    store = Store.open(f"sqlite:///{tmp_path / 'c.db'}")
    store.sync_feeds([FeedSpec("wire", "https://w.example/rss", None)])
    return Context(Config(), load_rules(SHIPPED_TOPICS), store)


def last_error(ctx: Context) -> str:
    (health,) = ctx.store.feed_health()
    assert health.last_error is not None
    return health.last_error


def test_an_entry_s_database_error_is_recorded_as_one_line(ctx: Context) -> None:
    outcome = FeedOutcome("wire")
    feed_id = ctx.store.sync_feed("wire", "https://w.example/rss", None).id
    error = database_error(ctx.store)
    asyncio.run(entry_failed(ctx, feed_id, outcome, "https://w.example/1", error))
    for line in (last_error(ctx), outcome.entry_errors[0]):
        assert "no such table: nowhere" in line
        assert "\n" not in line and "row values" not in line


def test_a_crashed_batch_is_recorded_as_one_line(ctx: Context) -> None:
    feeds = [FeedConfig(name="wire", url="https://w.example/rss")]
    (outcome,) = record_crashed(ctx, feeds, database_error(ctx.store))
    for line in (last_error(ctx), outcome.error or ""):
        assert "no such table: nowhere" in line
        assert "\n" not in line and "row values" not in line
