"""`newsmon digest --dry-run` posts and records nothing, and writes nothing either: like the
other commands that only read, it never migrates the corpus (exit 7 on a schema behind) and
works through a connection that may only read (a probe's role, a read-only SQLite URI)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from newsmon.cli import EXIT_SCHEMA, app
from newsmon.corpus import Store
from newsmon.corpus.engine import make_engine
from newsmon.corpus.schema import DigestRow
from newsmon.devsite import SiteServer
from newsmon.migrations import head_revision
from tests.flows.test_digest_flow import _announced_two_hours_ago, _digest_runs
from tests.support.configs import write_config
from tests.support.schema_history import downgrade, revision

PREVIOUS = f"{int(head_revision()) - 1:04d}"


def test_a_dry_run_digest_leaves_a_schema_behind_as_it_is(db_url: str, tmp_path: Path) -> None:
    """Before, the dry run migrated the corpus on the spot (as a pass would), altering the
    production schema under a pass of the previous version."""
    Store.open(db_url).close()
    engine = make_engine(db_url)
    try:
        downgrade(engine, PREVIOUS)
        config = write_config(tmp_path, database_url=db_url)
        result = CliRunner().invoke(app, ["digest", "--dry-run", "--config", str(config)])
        assert result.exit_code == EXIT_SCHEMA, result.output
        line = result.output.strip()
        assert "\n" not in line and PREVIOUS in line and "newsmon migrate" in line, line
        assert revision(engine) == PREVIOUS
    finally:
        engine.dispose()


@pytest.mark.usefixtures("prefect_harness")
def test_a_dry_run_digest_reads_a_corpus_it_may_not_write(
    tmp_path: Path, site: SiteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through a read-only SQLite URI (SQLite itself refuses every write) the dry run prints
    the digest. Before, it exited 3 ("cannot write: attempt to write a readonly database")."""
    config = _announced_two_hours_ago(tmp_path, site)
    corpus = tmp_path / "corpus.db"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSMON_DATABASE_URL", f"sqlite:///file:{corpus}?mode=ro&uri=true")
    args = ["digest", "--since", "48h", "--dry-run", "--config", str(config)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "(dry run: not posted)" in result.output, result.output
    monkeypatch.delenv("NEWSMON_DATABASE_URL")
    assert _digest_runs(tmp_path) == []
    store = Store.open(f"sqlite:///{corpus}")
    try:
        with store.session() as s:
            assert s.scalar(select(func.count()).select_from(DigestRow)) == 0
    finally:
        store.close()
