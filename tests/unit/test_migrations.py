"""Migrations carry frozen copies of what they compute; today those copies equal the live code."""

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

import newsmon.migrations
from newsmon.dedup import MINHASH_SCHEME, minhash_signature
from tests.support.dedup_set import pieces

VERSIONS = Path(newsmon.migrations.__file__).parent / "versions"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, VERSIONS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_0002_signs_bodies_exactly_as_the_live_dedup_does() -> None:
    frozen = load("0002_near_duplicates")
    if frozen.MINHASH_SCHEME != MINHASH_SCHEME:
        pytest.skip("the live scheme has moved on; 0002 keeps signing as it did")
    bodies = ["\n".join(p.paragraphs) for p in pieces()]
    bodies += [b[:260] for b in bodies] + ["ＡＩ 오픈소스! " * 30, "too short", ""]
    signed = 0
    for body in bodies:
        live = minhash_signature(body)
        values = frozen.signature(body)
        assert (live is None) == (values is None), body[:40]
        if live is not None:
            assert values == live.values
            assert frozen.band_keys(values) == live.band_keys()
            signed += 1
    assert signed >= len(pieces())


def test_walking_down_a_migration_on_sqlite_keeps_the_rows_of_other_tables(
    tmp_path: Path,
) -> None:
    """SQLite rebuilds a table to drop a column (0009's down: `articles`); dropping the old table
    with foreign keys on deleted every row pointing at it (ON DELETE CASCADE): all alerts,
    matches and band rows of the corpus, silently."""
    from newsmon.corpus import Store
    from newsmon.corpus.records import AlertStatus, StoredMatch
    from newsmon.migrations import upgrade
    from tests.support.articles import new_article
    from tests.support.index_retention import STORY, band_rows
    from tests.support.schema_history import downgrade

    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        stored = store.add_article(
            new_article("https://a.example/1", STORY, signed=True),
            [StoredMatch("policy", 3, [{"term": "ministry"}], "ministry")],
            "v1",
            {"#policy": ["policy"]},
        )
        downgrade(store.engine, "0008")
        upgrade(store.engine)
        assert [(a.article_id, a.status) for a in store.list_alerts(limit=5)] == [
            (stored.id, AlertStatus.PENDING)
        ]
        assert [m.topic for m in store.matches_of(stored.id)] == ["policy"]
        assert band_rows(store, stored.id) > 0
    finally:
        store.close()


def test_0019_adds_when_an_unrequested_page_was_given_up_and_its_downgrade_drops_it(
    tmp_path: Path,
) -> None:
    from newsmon.corpus.engine import make_engine
    from tests.support.schema_history import assert_adds_a_column

    engine = make_engine(f"sqlite:///{tmp_path / 'walk19.db'}")
    try:
        assert_adds_a_column(engine, "0019", "articles", "page_unrequested_at")
    finally:
        engine.dispose()


def test_0018_adds_when_an_alert_failed_and_its_downgrade_drops_it(tmp_path: Path) -> None:
    from newsmon.corpus.engine import make_engine
    from tests.support.schema_history import assert_adds_a_column

    engine = make_engine(f"sqlite:///{tmp_path / 'walk18.db'}")
    try:
        assert_adds_a_column(engine, "0018", "alerts", "failed_at")
    finally:
        engine.dispose()


def test_0020_adds_when_a_thread_reply_failed_and_its_downgrade_drops_it(tmp_path: Path) -> None:
    from newsmon.corpus.engine import make_engine
    from tests.support.schema_history import assert_adds_a_column

    engine = make_engine(f"sqlite:///{tmp_path / 'walk20.db'}")
    try:
        assert_adds_a_column(engine, "0020", "alert_replies", "failed_at")
    finally:
        engine.dispose()


def test_0021_adds_a_flapping_problems_runs_and_its_downgrade_drops_them(tmp_path: Path) -> None:
    from newsmon.corpus.engine import make_engine
    from tests.support.schema_history import assert_adds_a_column

    for column in ("present_since", "absent_since", "steady_at"):
        engine = make_engine(f"sqlite:///{tmp_path / f'walk21-{column}.db'}")
        try:
            assert_adds_a_column(engine, "0021", "health_problems", column)
        finally:
            engine.dispose()


def test_0022_adds_why_an_alerts_thread_is_gone_and_its_downgrade_drops_it(
    tmp_path: Path,
) -> None:
    from newsmon.corpus.engine import make_engine
    from tests.support.schema_history import assert_adds_a_column

    engine = make_engine(f"sqlite:///{tmp_path / 'walk22.db'}")
    try:
        assert_adds_a_column(engine, "0022", "alerts", "thread_gone")
    finally:
        engine.dispose()


def test_0023_knows_the_notes_the_live_code_writes_for_each_reason() -> None:
    """0023 gives rows held back before it the reason their note names: its frozen notes are
    those the live code writes (a note not known there would leave NULL, health blind to it)."""
    from newsmon.corpus import holds

    frozen = load("0023_holdreason_skip_reason")
    assert frozen._ALERT_NOTES[holds.ALERTS_OFF_NOTE] == holds.HoldReason.ALERTS_OFF
    assert frozen._ALERT_NOTES[holds.LATE_COPY_NOTE] == holds.HoldReason.LATE_COPY
    assert frozen._ALERT_NOTES[holds.RULES_CHANGED_NOTE] == holds.HoldReason.RULES_CHANGED
    assert frozen._ALERT_NOTES[holds.BACKFILL_NOTE] == holds.HoldReason.BACKFILL
    assert set(frozen._ALERT_NOTES.values()) <= set(holds.HoldReason)
    assert frozen._NOT_POSTED == holds.NOT_POSTED_NOTE


def test_0023_adds_why_an_alert_or_reply_was_held_back_and_its_downgrade_drops_it(
    tmp_path: Path,
) -> None:
    from newsmon.corpus.engine import make_engine
    from tests.support.schema_history import assert_adds_a_column

    for table in ("alerts", "alert_replies"):
        engine = make_engine(f"sqlite:///{tmp_path / f'walk23-{table}.db'}")
        try:
            assert_adds_a_column(engine, "0023", table, "hold_reason")
        finally:
            engine.dispose()


def test_0023_fills_the_reason_of_rows_held_back_before_from_their_note(tmp_path: Path) -> None:
    """Held back under a known note: its reason; an unknown note, or a row not held back: NULL
    (the same rows on PostgreSQL: tests/integration/test_postgres.py)."""
    from newsmon.corpus.engine import make_engine
    from tests.support.hold_reason_fill import expected, fill_0023

    engine = make_engine(f"sqlite:///{tmp_path / 'fill23.db'}")
    try:
        assert fill_0023(engine) == expected()
    finally:
        engine.dispose()


def test_0024_adds_indexes_by_feed_and_posting_time_and_its_downgrade_drops_them(
    tmp_path: Path,
) -> None:
    from newsmon.corpus.engine import make_engine
    from tests.support.schema_history import assert_0024_adds_indexes_and_drops_them_going_down

    engine = make_engine(f"sqlite:///{tmp_path / 'walk24.db'}")
    try:
        assert_0024_adds_indexes_and_drops_them_going_down(engine)
    finally:
        engine.dispose()


def test_0025_adds_an_aggregated_item_s_publisher_and_its_downgrade_drops_it(
    tmp_path: Path,
) -> None:
    from newsmon.corpus.engine import make_engine
    from tests.support.schema_history import assert_adds_a_column

    engine = make_engine(f"sqlite:///{tmp_path / 'walk25.db'}")
    try:
        assert_adds_a_column(engine, "0025", "articles", "publisher")
    finally:
        engine.dispose()


def test_0026_adds_an_aggregated_item_s_publisher_site_and_its_downgrade_drops_it(
    tmp_path: Path,
) -> None:
    from newsmon.corpus.engine import make_engine
    from tests.support.schema_history import assert_adds_a_column

    engine = make_engine(f"sqlite:///{tmp_path / 'walk26.db'}")
    try:
        assert_adds_a_column(engine, "0026", "articles", "publisher_site")
    finally:
        engine.dispose()


def test_0027_adds_what_dated_an_article_and_its_downgrade_drops_it(
    tmp_path: Path,
) -> None:
    from newsmon.corpus.engine import make_engine
    from tests.support.schema_history import assert_adds_a_column

    engine = make_engine(f"sqlite:///{tmp_path / 'walk27.db'}")
    try:
        assert_adds_a_column(engine, "0027", "articles", "dated_by")
    finally:
        engine.dispose()


def test_0028_adds_a_channel_s_slack_wait_and_its_downgrade_drops_it(tmp_path: Path) -> None:
    from newsmon.corpus.engine import make_engine
    from tests.support.schema_history import assert_adds_a_column, shape

    engine = make_engine(f"sqlite:///{tmp_path / 'walk28.db'}")
    try:
        assert_adds_a_column(engine, "0028", "slack_channels", "wait_until")
        table = shape(engine, "slack_channels")
        assert table is not None
        assert {"wait_since", "wait_reason"} <= {c[0] for c in table["columns"]}
    finally:
        engine.dispose()


def test_0029_knows_the_notes_the_live_code_writes_with_the_reasons_it_walks_back() -> None:
    """0029's way up gives a row walked down to no reason its reason back by its note: its
    frozen notes are those the live code writes."""
    from newsmon.corpus import holds

    frozen = load("0029_review-upgrade5_hold_reasons")
    assert frozen.NOTES == {
        holds.HoldReason.EDITED_AWAY: holds.EDITED_AWAY_NOTE,
        holds.HoldReason.REPLACED: holds.REPLACED_NOTE,
    }


def test_0029_walks_reasons_the_release_of_0027_lacks_to_none_and_back(tmp_path: Path) -> None:
    """Down to 0027 (whose release cannot read `edited_away` or `replaced`): those rows keep
    their note and no reason, the others their reason; up again: each its reason back."""
    from sqlalchemy import text

    from newsmon.corpus.engine import make_engine
    from newsmon.corpus.holds import EDITED_AWAY_NOTE, REPLACED_NOTE
    from newsmon.migrations import upgrade
    from tests.support.schema_history import downgrade

    rows = [  # (table, status, reason, note)
        ("alerts", "skipped", "edited_away", EDITED_AWAY_NOTE),
        ("alerts", "skipped", "replaced", REPLACED_NOTE),
        ("alerts", "skipped", "alerts_off", "alerts disabled in config"),
        ("alerts", "failed", None, REPLACED_NOTE),  # not held back: no reason either way
        ("alert_replies", "skipped", "replaced", REPLACED_NOTE),
    ]
    engine = make_engine(f"sqlite:///{tmp_path / 'walk29.db'}")
    try:
        upgrade(engine, "0029")
        with engine.begin() as conn:
            for i, (table, status, reason, note) in enumerate(rows, 1):
                conn.execute(
                    text(
                        "INSERT INTO articles (id, canonical_url, url, text, text_source,"
                        " first_seen_at, updated_at) VALUES (:i, :u, :u, 't', 'page',"
                        " '2026-01-01', '2026-01-01')"
                    ),
                    {"i": i, "u": f"https://n.example/{i}"},
                )
                conn.execute(
                    text(
                        "INSERT INTO alerts (id, article_id, channel, topics, status, attempts,"
                        " last_error, hold_reason, created_at)"
                        " VALUES (:i, :i, '#news', '[]', :s, 0, :n, :r, '2026-01-01')"
                    ),
                    {"i": i, "s": status, "n": note, "r": reason}
                    if table == "alerts"
                    else {"i": i, "s": "sent", "n": None, "r": None},
                )
                if table == "alert_replies":
                    conn.execute(
                        text(
                            "INSERT INTO alert_replies (id, alert_id, channel, source, url,"
                            " status, attempts, last_error, hold_reason, created_at) VALUES"
                            " (1, :i, '#news', 'wire', 'https://w.example/', :s, 0, :n, :r,"
                            " '2026-01-01')"
                        ),
                        {"i": i, "s": status, "n": note, "r": reason},
                    )

        def found() -> list[tuple[object, ...]]:
            with engine.connect() as conn:
                alerts = conn.execute(
                    text("SELECT hold_reason, last_error FROM alerts ORDER BY id")
                )
                replies = conn.execute(text("SELECT hold_reason, last_error FROM alert_replies"))
                return [tuple(r) for r in [*alerts, *replies]]

        stored = found()
        downgrade(engine, "0027")
        assert found() == [
            (None, EDITED_AWAY_NOTE),
            (None, REPLACED_NOTE),
            ("alerts_off", "alerts disabled in config"),
            (None, REPLACED_NOTE),
            (None, None),  # the reply's alert: posted
            (None, REPLACED_NOTE),
        ]
        upgrade(engine)
        assert found() == stored
    finally:
        engine.dispose()


def test_0030_marks_teasers_of_pages_read_without_text_and_only_those(tmp_path: Path) -> None:
    """Rows stored before 0030: a teaser whose page was read and held no text (by the note
    extraction wrote) is textless; a download failure, a page still due, a page given up
    unrequested or a page read for its text is not."""
    from sqlalchemy import text

    from newsmon.corpus.engine import make_engine
    from newsmon.migrations import upgrade

    rows = [  # (text_source, attempts, retry_at, unrequested_at, note, textless after 0030)
        ("feed-summary", 1, None, None, "page had no article text", True),
        ("page-description", 1, None, None, "page text too short; page frames x", True),
        ("feed-summary", 3, None, None, "page fetch failed: HTTP 503 (3 tries)", False),
        ("feed-summary", 1, "2026-01-02", None, "page had no article text", False),
        ("feed-summary", 0, None, "2026-01-02", "page had no article text", False),
        ("page", 1, None, None, None, False),
    ]
    engine = make_engine(f"sqlite:///{tmp_path / 'walk30.db'}")
    try:
        upgrade(engine, "0029")
        with engine.begin() as conn:
            for i, (source, attempts, retry, unrequested, note, _) in enumerate(rows, 1):
                conn.execute(
                    text(
                        "INSERT INTO articles (id, canonical_url, url, text, text_source,"
                        " extraction_note, page_attempts, page_retry_at, page_unrequested_at,"
                        " first_seen_at, updated_at) VALUES (:i, :u, :u, 't', :s, :n, :a, :r,"
                        " :q, '2026-01-01', '2026-01-01')"
                    ),
                    {
                        "i": i,
                        "u": f"https://n.example/{i}",
                        "s": source,
                        "n": note,
                        "a": attempts,
                        "r": retry,
                        "q": unrequested,
                    },
                )
        upgrade(engine, "0030")
        with engine.connect() as conn:
            marked = conn.execute(text("SELECT page_textless FROM articles ORDER BY id"))
            assert [bool(m) for (m,) in marked] == [r[-1] for r in rows]
    finally:
        engine.dispose()
