"""Rows held back before migration 0023, in each state, and the reason 0023 gives each: one
check run on SQLite (tests/unit/test_migrations.py) and on PostgreSQL (test_postgres.py)."""

from __future__ import annotations

from sqlalchemy import Engine, text

from newsmon.migrations import upgrade

# (id, status, note, thread_gone), and the reason 0023 gives it
ALERTS = [
    (1, "skipped", "alerts disabled in config", None, "alerts_off"),
    (2, "skipped", "older than 24 h when first seen", None, "too_old"),
    (3, "skipped", "older than 1.5 h when re-queued", None, "too_old"),
    (4, "skipped", "the topic rules no longer match", None, "rules_changed"),
    (5, "skipped", "backfilled without --alerts", None, "backfill"),
    (6, "skipped", "some wording no release wrote", None, None),
    (7, "failed", "alerts disabled in config", None, None),
    (8, "sent", None, "thread_not_found", None),
    (
        9,
        "skipped",
        "its story is announced in this channel by another alert (a page read late)",
        None,
        "late_copy",
    ),
]
# (id, alert id, status, note), and the reason
REPLIES = [
    (1, 1, "skipped", "the story's alert was not posted", "not_posted"),
    (2, 8, "skipped", "thread_not_found", "thread_gone"),
    (3, 8, "failed", "ratelimited", None),
    (4, 8, "skipped", "the story's alert was not posted", "not_posted"),  # before it was gone
    (5, 7, "pending", None, None),
]


def fill_0023(engine: Engine) -> tuple[dict[int, str | None], dict[int, str | None]]:
    """Upgrade to 0022, store `ALERTS` and `REPLIES` (each alert with an article of its own),
    upgrade to 0023: the reasons it gave (alerts, replies) by id."""
    upgrade(engine, "0022")
    with engine.begin() as conn:
        for i, status, note, gone, _ in ALERTS:
            conn.execute(
                text(
                    "INSERT INTO articles (id, canonical_url, url, text, text_source,"
                    " first_seen_at, updated_at) VALUES (:i, :u, :u, 'text', 'page',"
                    " '2026-01-01', '2026-01-01')"
                ),
                {"i": i, "u": f"https://n.example/{i}"},
            )
            conn.execute(
                text(
                    "INSERT INTO alerts (id, article_id, channel, topics, status, attempts,"
                    " last_error, thread_gone, created_at)"
                    " VALUES (:i, :i, '#news', '[]', :s, 0, :n, :g, '2026-01-01')"
                ),
                {"i": i, "s": status, "n": note, "g": gone},
            )
        for i, alert, status, note, _ in REPLIES:
            conn.execute(
                text(
                    "INSERT INTO alert_replies (id, alert_id, channel, source, url, status,"
                    " attempts, last_error, created_at)"
                    " VALUES (:i, :a, '#news', :src, 'https://w.example/', :s, 0, :n,"
                    " '2026-01-01')"
                ),
                {"i": i, "a": alert, "src": f"wire{i}", "s": status, "n": note},
            )
    upgrade(engine, "0023")
    with engine.connect() as conn:
        alerts = dict(conn.execute(text("SELECT id, hold_reason FROM alerts")).tuples().all())
        rows = conn.execute(text("SELECT id, hold_reason FROM alert_replies")).tuples().all()
    return alerts, dict(rows)


def expected() -> tuple[dict[int, str | None], dict[int, str | None]]:
    """The reasons 0023 must give (alerts, replies) by id."""
    return {a[0]: a[-1] for a in ALERTS}, {r[0]: r[-1] for r in REPLIES}
