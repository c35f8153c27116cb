"""A held-back row without a reason (an older release's pass, still running after migration
0023) is read by the note that release wrote; a reason stored wins, and only held-back rows are
read so."""

from __future__ import annotations

from newsmon.corpus.holds import HoldReason, held_because


def test_a_row_without_a_reason_is_read_by_an_older_release_s_note() -> None:
    assert held_because(None, "alerts disabled in config", True) is HoldReason.ALERTS_OFF
    assert held_because(None, "older than 48 h when re-queued", True) is HoldReason.TOO_OLD
    assert held_because(None, "the story's alert was not posted", True) is HoldReason.NOT_POSTED
    assert held_because(None, "older than 48 h when first seen, really", True) is None
    assert held_because(None, "alerts switched off", True) is None  # a note no release wrote
    assert held_because(HoldReason.BACKFILL, "alerts disabled in config", True) is (
        HoldReason.BACKFILL
    )
    assert held_because(None, "alerts disabled in config", False) is None  # not held back
