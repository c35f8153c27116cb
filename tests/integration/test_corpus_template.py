"""The corpus `db_url` gives each test (tests/support/corpus_template.py: a copied SQLite file,
a PostgreSQL schema made by replaying one migration's statements) is the one `newsmon migrate`
makes: same tables, columns, indexes, constraints, triggers, same revision. A test
given a corpus other than a real one would prove nothing about a user's."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.corpus.engine import make_engine
from newsmon.migrations import head_revision
from tests.support.configs import write_config
from tests.support.corpus_template import replay_pg_migration
from tests.support.postgres import PG_URL, throwaway_schema


def _schema(path: Path) -> tuple[list[tuple[str, str, str, str | None]], list[str], str]:
    """The file's schema as SQLite keeps it, its alembic revisions and its journal mode."""
    with sqlite3.connect(path) as db:
        objects = db.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
        versions = [row[0] for row in db.execute("SELECT version_num FROM alembic_version")]
        journal = db.execute("PRAGMA journal_mode").fetchone()[0]
    return objects, versions, journal


def test_the_copied_corpus_is_the_one_newsmon_migrate_makes(
    tmp_path: Path, sqlite_corpus_template: Path
) -> None:
    corpus = tmp_path / "migrated" / "corpus.db"
    config = write_config(tmp_path, database_url=f"sqlite:///{corpus}")
    result = CliRunner().invoke(app, ["migrate", "--config", str(config)])
    assert result.exit_code == 0, result.output

    migrated = _schema(corpus)
    assert migrated[1] == [head_revision()]
    assert len(migrated[0]) > 20  # the corpus's tables and indexes, not an empty file
    assert _schema(sqlite_corpus_template) == migrated


@pytest.mark.fresh_corpus
def test_a_test_marked_fresh_corpus_finds_no_corpus(db_url: str, tmp_path: Path) -> None:
    """The opt-out works: such a test sees the first open of a corpus, not the copy."""
    if db_url.startswith("sqlite"):
        assert not (tmp_path / "corpus.db").exists()
        return
    assert _pg_shape(db_url)["columns"] == []  # an empty schema


def test_an_unmarked_test_gets_a_corpus_at_head(db_url: str, tmp_path: Path) -> None:
    if db_url.startswith("sqlite"):
        assert _schema(tmp_path / "corpus.db")[1] == [head_revision()]
        return
    assert _pg_shape(db_url)["version"] == [(head_revision(),)]


_PG_SHAPE = {
    "columns": "SELECT table_name, column_name, data_type, character_maximum_length, "
    "is_nullable, column_default FROM information_schema.columns "
    "WHERE table_schema = current_schema() ORDER BY 1, 2",
    "indexes": "SELECT tablename, indexname, replace(indexdef, current_schema() || '.', '') "
    "FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1, 2",
    "constraints": "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
    "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
    "WHERE n.nspname = current_schema() ORDER BY 1, 2",
    "sequences": "SELECT sequence_name, data_type, start_value FROM information_schema.sequences "
    "WHERE sequence_schema = current_schema() ORDER BY 1",
    "triggers": "SELECT event_object_table, trigger_name, action_statement "
    "FROM information_schema.triggers WHERE trigger_schema = current_schema() ORDER BY 1, 2",
    "views": "SELECT table_name, view_definition FROM information_schema.views "
    "WHERE table_schema = current_schema() ORDER BY 1",
    "functions": "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p "
    "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema() "
    "ORDER BY 1",
}


def _pg_shape(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            shape = {
                name: [tuple(row) for row in conn.exec_driver_sql(query)]
                for name, query in _PG_SHAPE.items()
            }
            versioned = conn.exec_driver_sql("SELECT to_regclass('alembic_version')").scalar()
            query = "SELECT version_num FROM alembic_version"
            shape["version"] = [tuple(r) for r in conn.exec_driver_sql(query)] if versioned else []
            return shape
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.fresh_corpus
def test_the_replayed_schema_is_the_one_newsmon_migrate_makes(
    tmp_path: Path, pg_corpus_statements: list[tuple[str, Any]]
) -> None:
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="migrated") as migrated, throwaway_schema(prefix="re") as copy:
        config = write_config(tmp_path, database_url=migrated)
        result = CliRunner().invoke(app, ["migrate", "--config", str(config)])
        assert result.exit_code == 0, result.output
        replay_pg_migration(copy, pg_corpus_statements)

        expected = _pg_shape(migrated)
        assert expected["version"] == [(head_revision(),)]
        assert len(expected["columns"]) > 50 and len(expected["indexes"]) > 20
        assert _pg_shape(copy) == expected
