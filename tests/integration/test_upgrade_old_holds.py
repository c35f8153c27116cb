"""Alerts held back by a pass of an older release still running after migration 0023 (an
upgrade migrates first, the old worker finishes its passes): they carry the older release's note
and no `hold_reason`. Health's `alerts_off` and `newsmon alerts --reason` still count and list
them by the reason that note named then. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.corpus.holds import ALERTS_OFF_NOTE, Hold, HoldReason
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow
from tests.support.configs import write_config
from tests.support.delivery import FAST, MATCH, announce_alerts, context, new_article

# Tests of migrating, of old releases' corpora or of a corpus's first open: no copy of one at head.
pytestmark = pytest.mark.fresh_corpus


def test_alerts_an_older_release_held_back_after_0023_keep_their_reason(
    tmp_path: Path, db_url: str
) -> None:
    config = write_config(tmp_path, database_url=db_url, slack=FAST, alerts={"enabled": False})
    ctx = context(config, None)
    try:
        announce_alerts(ctx.store, {"#news": 1})  # the last alert that went out
        old_notes = {"off": ALERTS_OFF_NOTE, "old": "older than 48 h when first seen"}
        for prefix, note in old_notes.items():
            for i in range(2):
                ctx.store.add_article(
                    new_article(f"https://{prefix}.example/{i}", f"{prefix} story {i}"),
                    [MATCH],
                    "v1",
                    {"#news": ["policy"]},
                    AlertStatus.SKIPPED,
                    Hold(HoldReason.ALERTS_OFF, note),
                )
        with ctx.store.session() as s:  # as the older release wrote them: a note, no reason
            skipped = AlertRow.status == AlertStatus.SKIPPED
            s.execute(update(AlertRow).where(skipped).values(hold_reason=None))
        held = ctx.store.alert_views.held_back_while_off()
        assert held.count == 2, held
    finally:
        ctx.close()
    args = ["alerts", "--status", "skipped", "-c", str(config)]
    done = CliRunner().invoke(app, [*args, "--reason", "alerts_off"])
    assert done.exit_code == 0, done.output
    assert done.output.count("skipped (alerts_off)") == 2, done.output
    done = CliRunner().invoke(app, [*args, "--reason", "too_old"])
    assert done.exit_code == 0, done.output
    assert done.output.count("skipped (too_old)") == 2, done.output
