"""Commands that only read (`health`, `runs`, `feeds`, `alerts`, `articles`, `prune --dry-run`)
never migrate the corpus: a monitoring probe after an upgrade, before the first pass migrated,
must neither alter a production schema under a pass of the previous version nor fail as an
"unusable database" because its role may not alter it.

On SQLite and on a real PostgreSQL (a schema of its own per test), with a write-capable role, a
read-only role (created here when the test database's user, or NEWSMON_TEST_POSTGRES_ADMIN_URL,
may create roles; skipped otherwise), read-only sessions, and a SQLite file opened read-only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from newsmon.cli import EXIT_DATABASE, EXIT_SCHEMA, app
from newsmon.corpus import Store
from newsmon.corpus.engine import make_engine
from newsmon.corpus.records import SchemaError, SchemaState
from newsmon.migrations import head_revision
from tests.support.configs import write_config
from tests.support.postgres import PG_URL, throwaway_schema
from tests.support.schema_history import downgrade, revision

# Tests of migrating, of old releases' corpora or of a corpus's first open: no copy of one at head.
pytestmark = pytest.mark.fresh_corpus

HEAD = head_revision()
PREVIOUS = f"{int(HEAD) - 1:04d}"
READ_COMMANDS = [
    ["health", "--json"],
    ["runs"],
    ["feeds"],
    ["alerts"],
    ["articles"],
    ["prune", "--dry-run", "--days", "30"],
]
PROBE_ROLE = "newsmon_readonly_probe"  # this file's own role (roles are cluster-wide)


def invoke(tmp_path: Path, url: str, command: list[str]) -> Result:
    path = write_config(
        tmp_path,
        database_url=url,
        feeds=[("news", "http://127.0.0.1:9/feed")],
        slack={"ops_channel": "#newsmon-ops"},  # health reads the notices too
    )
    return CliRunner().invoke(app, [*command, "--config", str(path)])


def revision_of(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return revision(engine)
    finally:
        engine.dispose()


def step_back(url: str) -> None:
    """The corpus one revision behind this code: as after an upgrade, before any pass ran."""
    Store.open(url).close()
    engine = make_engine(url)
    try:
        downgrade(engine, PREVIOUS)
    finally:
        engine.dispose()


def assert_names_the_schema(result: Result, found: str) -> None:
    """Exit status EXIT_SCHEMA and one line naming the revisions and how to migrate."""
    assert result.exit_code == EXIT_SCHEMA, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert found in lines[0] and HEAD in lines[0], lines[0]
    if found == PREVIOUS:
        assert "newsmon migrate" in lines[0], lines[0]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: "-".join(c))
def test_a_read_only_command_leaves_a_schema_behind_as_it_is_and_says_how_to_migrate(
    db_url: str, tmp_path: Path, command: list[str]
) -> None:
    """Before, any of these migrated the corpus on the spot (a probe altered the production
    schema while a pass of the previous version ran); now it names both revisions."""
    step_back(db_url)
    assert_names_the_schema(invoke(tmp_path, db_url, command), PREVIOUS)
    assert revision_of(db_url) == PREVIOUS


def test_opening_for_reading_reports_the_schema_state_it_found(db_url: str) -> None:
    step_back(db_url)
    with pytest.raises(SchemaError) as behind:
        Store.open(db_url, read_only=True)
    assert (behind.value.state, behind.value.found, behind.value.expected) == (
        SchemaState.BEHIND,
        PREVIOUS,
        HEAD,
    )
    Store.open(db_url).close()  # a writer still migrates
    assert revision_of(db_url) == HEAD
    Store.open(db_url, read_only=True).close()


def test_a_schema_written_by_a_newer_newsmon_is_named_so(db_url: str, tmp_path: Path) -> None:
    Store.open(db_url).close()
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    with pytest.raises(SchemaError) as ahead:
        Store.open(db_url, read_only=True)
    assert ahead.value.state is SchemaState.AHEAD and ahead.value.found == "9999"
    result = invoke(tmp_path, db_url, ["health"])
    assert_names_the_schema(result, "9999")
    assert "newer" in result.output
    assert revision_of(db_url) == "9999"


def test_newsmon_migrate_brings_the_schema_up_to_date(db_url: str, tmp_path: Path) -> None:
    step_back(db_url)
    migrated = invoke(tmp_path, db_url, ["migrate"])
    assert migrated.exit_code == 0, migrated.output
    assert PREVIOUS in migrated.output and HEAD in migrated.output
    assert revision_of(db_url) == HEAD
    again = invoke(tmp_path, db_url, ["migrate"])
    assert again.exit_code == 0 and HEAD in again.output
    assert invoke(tmp_path, db_url, ["runs"]).exit_code == 0


def read_every_view(tmp_path: Path, url: str) -> None:
    """Every read-only command works on a current schema through `url`."""
    health = invoke(tmp_path, url, ["health", "--json"])
    assert health.exit_code == 1, health.output  # a fresh corpus: no pass yet
    kinds = {p["kind"] for p in json.loads(health.output)["problems"]}
    assert "no_pass" in kinds
    for command in READ_COMMANDS[1:]:
        result = invoke(tmp_path, url, command)
        assert result.exit_code == 0, (command, result.output)


def test_a_sqlite_corpus_opened_read_only_is_read_when_current_and_named_when_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`?mode=ro&uri=true`: SQLite itself refuses every write. Before, the schema behind was
    "unusable: attempt to write a readonly database" (exit 3)."""
    monkeypatch.chdir(tmp_path)
    corpus = tmp_path / "corpus.db"
    writer = f"sqlite:///{corpus}"
    reader = f"sqlite:///file:{corpus}?mode=ro&uri=true"
    Store.open(writer).close()
    read_every_view(tmp_path, reader)
    step_back(writer)
    for command in READ_COMMANDS:
        assert_names_the_schema(invoke(tmp_path, reader, command), PREVIOUS)
    assert revision_of(writer) == PREVIOUS


def test_a_sqlite_uri_makes_no_folder_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The URI's `file:/…` was taken for a path: its folder tree was made in the working
    directory (`./file:/var/lib/newsmon/`), or the command failed (exit 3) where it cannot be."""
    monkeypatch.chdir(tmp_path)
    corpus = tmp_path / "data" / "corpus.db"
    Store.open(f"sqlite:///{corpus}").close()
    Store.open(f"sqlite:///file:{corpus}?mode=ro&uri=true", read_only=True).close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


@pytest.fixture
def pg_schema() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="readonly") as url:
        yield url


def probe_role_url(owner_url: str) -> str:
    """`owner_url` as a role that may only read the test's schema, created once per cluster."""
    admin = create_engine(os.environ.get("NEWSMON_TEST_POSTGRES_ADMIN_URL") or PG_URL)
    try:
        with admin.begin() as conn:
            may = conn.execute(
                text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
            ).scalar()
            if not may:
                pytest.skip("cannot create a role (set NEWSMON_TEST_POSTGRES_ADMIN_URL)")
            conn.execute(
                text(
                    "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
                    f"'{PROBE_ROLE}') THEN CREATE ROLE {PROBE_ROLE} LOGIN PASSWORD 'probe'; "
                    "END IF; END$$"
                )
            )
    finally:
        admin.dispose()
    return make_url(owner_url).set(username=PROBE_ROLE, password="probe").render_as_string(False)


def grant_reading(owner_url: str) -> None:
    owner = create_engine(owner_url)
    try:
        with owner.begin() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar()
            conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO {PROBE_ROLE}'))
            conn.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO {PROBE_ROLE}'))
    finally:
        owner.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("reader", ["role", "sessions"])
def test_a_probe_that_may_only_read_postgres_reads_it_and_names_a_schema_behind(
    pg_schema: str, tmp_path: Path, reader: str
) -> None:
    """A read-only role (how a monitoring probe is given access), or read-only sessions (a hot
    standby). Before, a schema one revision behind was "must be owner of table …" or "cannot
    execute ALTER TABLE in a read-only transaction", exit 3, as if the database were down."""
    Store.open(pg_schema).close()
    if reader == "role":
        url = probe_role_url(pg_schema)
        grant_reading(pg_schema)
    else:
        url = pg_schema + "%20-cdefault_transaction_read_only%3Don"
    read_every_view(tmp_path, url)
    step_back(pg_schema)
    if reader == "role":
        grant_reading(pg_schema)
    for command in READ_COMMANDS:
        assert_names_the_schema(invoke(tmp_path, url, command), PREVIOUS)
    assert revision_of(pg_schema) == PREVIOUS


def assert_says_to_create_it(result: Result) -> None:
    """Exit status EXIT_SCHEMA and one line saying no corpus is there and how to make one."""
    assert result.exit_code == EXIT_SCHEMA, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert "newsmon migrate" in lines[0] and HEAD in lines[0], lines[0]


@pytest.mark.postgres
@pytest.mark.parametrize("reader", ["role", "role-without-usage", "sessions"])
def test_a_probe_that_may_only_read_an_empty_postgres_database_is_told_to_migrate(
    pg_schema: str, tmp_path: Path, reader: str
) -> None:
    """A probe set up before the first pass (a new deployment): the read-only command tried
    to create the corpus and exited 3 ("permission denied for schema …", "no schema has been
    selected to create in", "cannot execute CREATE TABLE in a read-only transaction"), as if
    the database were down."""
    if reader.startswith("role"):
        url = probe_role_url(pg_schema)
        if reader == "role":
            grant_reading(pg_schema)  # USAGE on the (empty) schema, SELECT on its tables
    else:
        url = pg_schema + "%20-cdefault_transaction_read_only%3Don"
    for command in READ_COMMANDS:
        assert_says_to_create_it(invoke(tmp_path, url, command))
    assert revision_of(pg_schema) is None
    refused = invoke(tmp_path, url, ["migrate"])  # a role that may not write: exit 3
    assert refused.exit_code == 3 and "Traceback" not in refused.output, refused.output
    assert invoke(tmp_path, pg_schema, ["migrate"]).exit_code == 0
    if reader.startswith("role"):
        grant_reading(pg_schema)  # the tables migrate created
    read_every_view(tmp_path, url)


def test_a_read_only_command_that_may_write_still_creates_an_empty_corpus(
    db_url: str, tmp_path: Path
) -> None:
    """A database holding no corpus yet gets its schema, as before (a first `newsmon feeds`):
    on SQLite a file that exists, empty (a missing one is refused, below)."""
    if db_url.startswith("sqlite"):
        Path(make_url(db_url).database or "").touch()
    assert invoke(tmp_path, db_url, ["runs"]).exit_code == 0
    assert revision_of(db_url) == HEAD


@pytest.mark.parametrize(
    "command", [*READ_COMMANDS, ["digest", "--dry-run"]], ids=lambda c: "-".join(c)
)
def test_a_read_only_command_refuses_a_missing_sqlite_corpus_and_makes_none(
    tmp_path: Path, command: list[str]
) -> None:
    """Before, each made an empty corpus (and its folder) at a mistyped path and answered
    "no stories", "no pass yet"; now one line naming the path, exit 3, nothing made."""
    missing = tmp_path / "typo" / "corpus.db"
    result = invoke(tmp_path, f"sqlite:///{missing}", command)
    assert result.exit_code == EXIT_DATABASE, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and f"no corpus at {missing}" in lines[0], lines
    assert not missing.parent.exists()
