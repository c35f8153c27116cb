"""`newsmon backfill --dry-run` (of stored articles, and of given pages with `--urls`) writes
nothing, so like `digest --dry-run` and the other commands that only read it never migrates the
corpus (exit 7 on a schema behind, which stays as it is) and works through a connection that
may only read (a read-only SQLite URI, read-only PostgreSQL sessions)."""

from __future__ import annotations

from pathlib import Path

# Imported here, not first inside CliRunner: Prefect binds its log handler to the stderr of
# whoever imports it first, and a runner's stream is closed once its command returns.
import flows.backfill  # noqa: F401
import pytest
from typer.testing import CliRunner

from newsmon.cli import EXIT_SCHEMA, app
from newsmon.corpus import Store
from newsmon.corpus.engine import make_engine
from newsmon.devsite import SiteServer
from newsmon.migrations import head_revision
from tests.flows.test_backfill_flow import stored_topics
from tests.flows.test_monitor_flow import CHANNELS, FEEDS, run_monitor
from tests.support.configs import write_config
from tests.support.postgres import PG_URL, throwaway_schema
from tests.support.schema_history import downgrade, revision

pytestmark = pytest.mark.usefixtures("prefect_harness")
PREVIOUS = f"{int(head_revision()) - 1:04d}"
DRY_RUNS = {
    "articles": ["backfill", "--since", "2000-01-01", "--dry-run"],
    "pages": ["backfill", "--urls", "http://127.0.0.1:9/never-fetched.html", "--dry-run"],
}


@pytest.mark.parametrize("kind", sorted(DRY_RUNS))
def test_a_dry_run_backfill_leaves_a_schema_behind_as_it_is(
    db_url: str, tmp_path: Path, kind: str
) -> None:
    """Before, the dry run migrated the corpus on the spot (the start check and the flow both
    did, as a pass does), altering a production schema under a pass of the previous version."""
    Store.open(db_url).close()
    engine = make_engine(db_url)
    try:
        downgrade(engine, PREVIOUS)
        config = write_config(tmp_path, database_url=db_url)
        result = CliRunner().invoke(app, [*DRY_RUNS[kind], "--config", str(config)])
        assert result.exit_code == EXIT_SCHEMA, result.output
        line = result.output.strip()
        assert "\n" not in line and PREVIOUS in line and "newsmon migrate" in line, line
        assert revision(engine) == PREVIOUS
    finally:
        engine.dispose()


KOREAN_FEED = [FEEDS[0]]  # its pages are stored; the English ones are not
STORED_PAGE, NEW_PAGE = "/ko/national-ai-computing.html", "/en/ftc-ai-inquiry.html"


def _config(tmp_path: Path, site: SiteServer, database_url: str, name: str) -> Path:
    return write_config(
        tmp_path,
        name=name,
        database_url=database_url,
        feeds=KOREAN_FEED,
        base=site.base,
        channels=CHANNELS,
        default_channel="#ai-news",
    )


def _monitored(tmp_path: Path, site: SiteServer, database_url: str) -> Path:
    """A corpus holding the Korean feed's stories, and its configuration."""
    config = _config(tmp_path, site, database_url, "newsmon.yaml")
    run_monitor(config)
    return config


def _dry_runs_through(config: Path, site: SiteServer) -> None:
    """Both dry runs, through a connection that may only read, show what they would do."""
    articles = CliRunner().invoke(app, [*DRY_RUNS["articles"], "--config", str(config)])
    assert articles.exit_code == 0, articles.output
    assert "nothing written, nothing sent" in articles.output, articles.output
    pages = [site.url(STORED_PAGE), site.url(NEW_PAGE)]
    given = CliRunner().invoke(app, ["backfill", "--urls", *pages, "--dry-run", "-c", str(config)])
    assert given.exit_code == 0, given.output
    assert "2 pages: stored already 1, would store 1" in given.output, given.output


def test_a_dry_run_backfill_reads_a_sqlite_corpus_it_may_not_write(
    tmp_path: Path, site: SiteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through a read-only SQLite URI (SQLite itself refuses every write). Before, both dry
    runs exited 3 ("cannot write: attempt to write a readonly database")."""
    corpus = tmp_path / "corpus.db"
    config = _monitored(tmp_path, site, f"sqlite:///{corpus}")
    before = stored_topics(corpus)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSMON_DATABASE_URL", f"sqlite:///file:{corpus}?mode=ro&uri=true")
    _dry_runs_through(config, site)
    monkeypatch.delenv("NEWSMON_DATABASE_URL")
    assert stored_topics(corpus) == before


@pytest.mark.postgres
def test_a_dry_run_backfill_reads_a_postgres_corpus_through_read_only_sessions(
    tmp_path: Path, site: SiteServer
) -> None:
    """Read-only sessions (a hot standby, a probe's connection). Before, both dry runs exited
    3 ("cannot execute … in a read-only transaction")."""
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="bfdry") as url:
        _monitored(tmp_path, site, url)
        reader = url + "%20-cdefault_transaction_read_only%3Don"
        _dry_runs_through(_config(tmp_path, site, reader, "read-only.yaml"), site)
