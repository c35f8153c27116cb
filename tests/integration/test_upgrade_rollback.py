"""Rolling a release back: the previous release refuses a corpus the new one migrated ("was it
upgraded by a newer newsmon?"), so the new one must walk the schema down first
(`newsmon migrate --to <revision>`), keeping the corpus's rows; the next `newsmon migrate` (or
pass) walks it up again. On a corpus with rows, SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from newsmon.cli import EXIT_SCHEMA, app
from newsmon.corpus import Store
from newsmon.corpus.engine import make_engine
from newsmon.corpus.records import StoredMatch
from newsmon.migrations import head_revision
from tests.support.articles import new_article
from tests.support.configs import write_config
from tests.support.schema_history import revision

# Tests of migrating, of old releases' corpora or of a corpus's first open: no copy of one at head.
pytestmark = pytest.mark.fresh_corpus

HEAD = head_revision()
BEFORE_FAILED_AT = "0017"  # the release before alerts kept when they gave up (0018)


def invoke(tmp_path: Path, url: str, *args: str) -> Result:
    path = write_config(tmp_path, database_url=url, feeds=[("news", "http://127.0.0.1:9/feed")])
    return CliRunner().invoke(app, ["migrate", *args, "--config", str(path)])


def corpus_rows(url: str) -> dict[str, object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            counts = {
                table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("articles", "alerts", "matches")
            }
            statuses = conn.execute(text("SELECT status, last_error FROM alerts ORDER BY id"))
            return {**counts, "alerts_as": [tuple(row) for row in statuses]}
    finally:
        engine.dispose()


def held_reasons(url: str) -> list[str | None]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT hold_reason FROM alerts ORDER BY id")).scalars())
    finally:
        engine.dispose()


def test_migrate_to_an_earlier_revision_and_back_keeps_the_corpus(
    tmp_path: Path, db_url: str
) -> None:
    store = Store.open(db_url)
    try:
        for n in range(2):
            store.add_article(
                new_article(f"https://a.example/{n}", f"story {n} " * 40, signed=True),
                [StoredMatch("policy", 3, [{"term": "ministry"}], "ministry")],
                "v1",
                {"#policy": ["policy"]},
            )
        with store.engine.begin() as conn:  # one held back while alerts were off
            conn.execute(
                text(
                    "UPDATE alerts SET status = 'skipped', hold_reason = 'alerts_off', "
                    "last_error = 'alerts disabled in config' WHERE id = "
                    "(SELECT min(id) FROM alerts)"
                )
            )
    finally:
        store.close()
    before = corpus_rows(db_url)
    assert before["alerts"] == 2 and before["matches"] == 2

    down = invoke(tmp_path, db_url, "--to", BEFORE_FAILED_AT)
    assert down.exit_code == 0, down.output
    assert HEAD in down.output and BEFORE_FAILED_AT in down.output, down.output
    engine = make_engine(db_url)
    try:
        assert revision(engine) == BEFORE_FAILED_AT  # what the release of 0017 opens as its own
    finally:
        engine.dispose()
    assert corpus_rows(db_url) == before

    up = invoke(tmp_path, db_url)
    assert up.exit_code == 0 and HEAD in up.output, up.output
    assert corpus_rows(db_url) == before
    assert held_reasons(db_url) == ["alerts_off", None]  # 0023 gave it back from its note


def test_migrate_to_a_revision_this_newsmon_does_not_know_is_one_line(
    tmp_path: Path, db_url: str
) -> None:
    Store.open(db_url).close()
    result = invoke(tmp_path, db_url, "--to", "9999")
    assert result.exit_code == EXIT_SCHEMA, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "9999" in lines[0] and "Traceback" not in result.output, lines
    engine = make_engine(db_url)
    try:
        assert revision(engine) == HEAD
    finally:
        engine.dispose()
