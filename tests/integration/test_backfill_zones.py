"""A backfill's range given with a time zone (SQLite and PostgreSQL): an operator in Seoul
asking "since midnight" (`2025-03-04T00:00:00+09:00`, typed or sent by the Prefect UI's date
field) means midnight in Seoul, not the UTC day of that date, nine hours later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flows.backfill import backfill
from sqlalchemy import update

from newsmon.corpus import Store
from newsmon.corpus.schema import ArticleRow
from newsmon.pipeline.backfill_args import BackfillArgumentError, first_seen_range, parse_moment
from tests.support.articles import new_article

SEEN = {  # first seen (UTC) -> when that is in Seoul
    "late-utc-day": datetime(2025, 3, 3, 14, 30, tzinfo=UTC),  # 23:30 KST on the 3rd
    "kst-night": datetime(2025, 3, 3, 16, 0, tzinfo=UTC),  # 01:00 KST on the 4th
    "kst-5th": datetime(2025, 3, 4, 20, 0, tzinfo=UTC),  # 05:00 KST on the 5th
}


def _ranged(store: Store, params: dict[str, Any]) -> set[str]:
    """The articles a backfill with these flow parameters (as Prefect validates them from
    the UI's form or the API) re-classifies."""
    given = backfill.validate_parameters({"since": params["since"], "until": params.get("until")})
    start, end = first_seen_range(given["since"], given["until"])
    return {(r.title or "") for batch in store.reclassify_batches(start, end) for r in batch}


def test_a_range_with_a_time_zone_is_read_in_that_zone(db_url: str) -> None:
    store = Store.open(db_url)
    try:
        for name, seen in SEEN.items():
            article_id = store.add_article(new_article(f"https://z.example/{name}", title=name)).id
            with store.session() as s:
                s.execute(
                    update(ArticleRow).where(ArticleRow.id == article_id).values(first_seen_at=seen)
                )
        kst_day = {"since": "2025-03-04T00:00:00+09:00", "until": "2025-03-04T00:00:00+09:00"}
        assert _ranged(store, kst_day) == {"kst-night"}
        # Open-ended from Seoul's midnight; a given time is that instant.
        assert _ranged(store, {"since": "2025-03-04T00:00:00+09:00"}) == {"kst-night", "kst-5th"}
        assert _ranged(store, {"since": "2025-03-04T01:30:00+09:00"}) == {"kst-5th"}
        # A plain date is still the UTC day.
        assert _ranged(store, {"since": "2025-03-03", "until": "2025-03-03"}) == {
            "late-utc-day",
            "kst-night",
        }
    finally:
        store.close()


def test_the_command_reads_a_moment_with_its_zone() -> None:
    kst = datetime(2025, 3, 4, tzinfo=UTC) - timedelta(hours=9)
    moment = parse_moment("2025-03-04T00:00:00+09:00", "--since")
    assert first_seen_range(moment, None)[0] == kst
    assert first_seen_range(parse_moment("2025-03-04", "--since"), None)[0] == kst + timedelta(
        hours=9
    )
    with pytest.raises(BackfillArgumentError, match="--since wants a date"):
        parse_moment("4 March", "--since")
    with pytest.raises(BackfillArgumentError, match="is before since"):
        first_seen_range(moment, parse_moment("2025-03-03T23:00:00+09:00", "--until"))


def test_the_command_takes_a_zone_and_refuses_any_age_without_alerts() -> None:
    """No flow runs: each mistake is refused (exit 2) in one line before anything starts
    (Seoul's midnight of the 4th is 15:00 UTC on the 3rd: a range through the UTC 2nd ends
    before it)."""
    from typer.testing import CliRunner

    from newsmon.cli import app

    runner = CliRunner()
    zoned = ["backfill", "--since", "2025-03-04T00:00:00+09:00", "--until", "2025-03-02"]
    done = runner.invoke(app, zoned)
    assert done.exit_code == 2 and "until 2025-03-02 is before since" in done.output
    done = runner.invoke(app, ["backfill", "--since", "4 March"])
    assert done.exit_code == 2 and "--since wants a date" in done.output
    done = runner.invoke(app, ["backfill", "--since", "2025-03-04", "--any-age"])
    assert done.exit_code == 2 and "--any-age goes with --alerts" in done.output
