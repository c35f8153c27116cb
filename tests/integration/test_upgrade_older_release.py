"""The release deployed before this one, run for real (tests/support/old_release.py), on a
corpus this release wrote rows the older one cannot read (alerts held back `edited_away` or
`replaced`, reasons it does not know): it refuses the corpus in one line ("upgraded by a newer
newsmon?") instead of a traceback; `newsmon migrate --to` its revision gives it a corpus it
reads (the reasons it lacks walked back to none, their notes kept), and migrating up again
gives them back. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.corpus import Store
from newsmon.corpus.engine import make_engine
from newsmon.corpus.holds import EDITED_AWAY_NOTE, REPLACED_NOTE, Hold, HoldReason
from newsmon.corpus.records import AlertStatus
from tests.support.configs import write_config
from tests.support.delivery import MATCH, new_article
from tests.support.old_release import DEPLOYED_HEAD, deployed_source, run_old

# Tests of migrating, of old releases' corpora or of a corpus's first open: no copy of one at head.
pytestmark = pytest.mark.fresh_corpus

HELD = {HoldReason.EDITED_AWAY: EDITED_AWAY_NOTE, HoldReason.REPLACED: REPLACED_NOTE}


def held_rows(url: str) -> list[tuple[str, str | None, str | None]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT status, hold_reason, last_error FROM alerts ORDER BY id")
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]
    finally:
        engine.dispose()


def test_the_deployed_release_refuses_a_corpus_with_reasons_it_lacks_and_reads_it_walked_back(
    tmp_path: Path, db_url: str
) -> None:
    config = write_config(tmp_path, database_url=db_url, feeds=[("news", "http://127.0.0.1:9/f")])
    store = Store.open(db_url)
    try:
        for i, (reason, note) in enumerate(HELD.items()):
            store.add_article(
                new_article(f"https://held.example/{i}", f"held story {i}"),
                [MATCH],
                "v1",
                {"#news": ["policy"]},
                AlertStatus.SKIPPED,
                Hold(reason, note),
            )
    finally:
        store.close()
    old = deployed_source(tmp_path / "old")
    listing = ["alerts", "--status", "skipped", "-c", str(config)]

    refused = run_old(old, *listing)
    out = refused.stdout + refused.stderr
    assert "Traceback" not in out and "is not a valid" not in out, out
    assert refused.returncode != 0 and "newer newsmon" in out, out

    down = CliRunner().invoke(app, ["migrate", "--to", DEPLOYED_HEAD, "--config", str(config)])
    assert down.exit_code == 0, down.output
    assert held_rows(db_url) == [
        ("skipped", None, EDITED_AWAY_NOTE),
        ("skipped", None, REPLACED_NOTE),
    ]
    read = run_old(old, *listing)
    assert read.returncode == 0, read.stdout + read.stderr
    assert read.stdout.count("skipped") == 2, read.stdout

    up = CliRunner().invoke(app, ["migrate", "--config", str(config)])
    assert up.exit_code == 0, up.output
    assert held_rows(db_url) == [
        ("skipped", "edited_away", EDITED_AWAY_NOTE),
        ("skipped", "replaced", REPLACED_NOTE),
    ]


def test_a_hold_reason_a_newer_release_wrote_reads_as_held_back_for_a_reason_unknown(
    tmp_path: Path, db_url: str
) -> None:
    """A reason this release does not know (a newer release's, its worker running beside this
    one in a rolling upgrade, or rolled back without `migrate --to`) is held back, reason
    unknown, shown with its note: not a traceback on every listing. Kept as stored."""
    config = write_config(tmp_path, database_url=db_url, feeds=[("news", "http://127.0.0.1:9/f")])
    store = Store.open(db_url)
    try:
        store.add_article(
            new_article("https://held.example/new", "held story"),
            [MATCH],
            "v1",
            {"#news": ["policy"]},
            AlertStatus.SKIPPED,
            Hold(HoldReason.EDITED_AWAY, "held back for a newer reason"),
        )
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE alerts SET hold_reason = 'newer_reason'"))
        listed = store.list_alerts(limit=5)
        assert [(a.status, a.hold_reason) for a in listed] == [(AlertStatus.SKIPPED, None)]
    finally:
        store.close()
    shown = CliRunner().invoke(app, ["alerts", "--status", "skipped", "-c", str(config)])
    assert shown.exit_code == 0, shown.output
    assert "skipped" in shown.output and "held back for a newer reason" in shown.output
    health = CliRunner().invoke(app, ["health", "-c", str(config)])
    assert health.exception is None or isinstance(health.exception, SystemExit), health.output
    assert "skipped 1" in health.output, health.output
    assert held_rows(db_url) == [("skipped", "newer_reason", "held back for a newer reason")]
