"""Walking a corpus's schema down and up its migrations, and reading a table's shape, so tests
can check that a downgrade rebuilds what the earlier revision had."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from newsmon.corpus.engine import migration_connection
from newsmon.migrations import alembic_config, current_revision


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate down to `revision` the way `newsmon.migrations.upgrade` migrates up."""
    with migration_connection(engine, lock_wait=30) as conn:
        command.downgrade(alembic_config(conn), revision)


def revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return current_revision(conn)


def shape(engine: Engine, table: str) -> dict[str, Any] | None:
    """The table's columns (name, type, nullability) and primary key; None when it is absent."""
    found = inspect(engine)
    if not found.has_table(table):
        return None
    columns = [(c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)]
    return {
        "columns": columns,
        "primary_key": found.get_pk_constraint(table)["constrained_columns"],
    }


def assert_0007_drops_leases_and_restores_them(engine: Engine) -> None:
    """0007 drops `leases`; walking back to 0006 rebuilds it exactly as 0006 made it, and the
    way up again drops it again. `engine` points at an empty corpus."""
    from newsmon.migrations import head_revision, upgrade

    upgrade(engine, "0006")
    made_by_0006 = shape(engine, "leases")
    assert made_by_0006 is not None and made_by_0006["primary_key"] == ["name"]
    upgrade(engine)
    assert shape(engine, "leases") is None
    downgrade(engine, "0006")
    assert revision(engine) == "0006"
    assert shape(engine, "leases") == made_by_0006
    upgrade(engine)
    assert revision(engine) == head_revision()
    assert shape(engine, "leases") is None


def assert_0011_adds_health_notices_and_drops_them_going_down(engine: Engine) -> None:
    """0011 adds `health_notices` and `health_problems`; walking back to 0010 drops both, and
    the way up builds them again. `engine` points at an empty corpus."""
    from newsmon.migrations import head_revision, upgrade

    upgrade(engine, "0010")
    assert shape(engine, "health_notices") is None and shape(engine, "health_problems") is None
    upgrade(engine, "0011")
    made = {t: shape(engine, t) for t in ("health_notices", "health_problems")}
    assert all(s is not None and s["primary_key"] == ["id"] for s in made.values())
    downgrade(engine, "0010")
    assert revision(engine) == "0010"
    assert shape(engine, "health_notices") is None and shape(engine, "health_problems") is None
    upgrade(engine, "0011")
    assert {t: shape(engine, t) for t in made} == made
    upgrade(engine)
    assert revision(engine) == head_revision()


def assert_0013_0014_add_columns_and_drop_them_going_down(engine: Engine) -> None:
    """0013 adds `digests.post_started_at`, 0014 `health_problems.absent_passes` (existing
    problems start at 0); walking down drops each, and the way up adds them again."""
    from newsmon.migrations import head_revision, upgrade

    def names(table: str) -> set[str]:
        found = shape(engine, table)
        assert found is not None
        return {c[0] for c in found["columns"]}

    upgrade(engine, "0012")
    before = {t: shape(engine, t) for t in ("digests", "health_problems")}
    upgrade(engine, "0013")
    assert "post_started_at" in names("digests") and "absent_passes" not in names("health_problems")
    upgrade(engine, "0014")
    assert "absent_passes" in names("health_problems")
    downgrade(engine, "0012")
    assert {t: shape(engine, t) for t in before} == before
    upgrade(engine)
    assert revision(engine) == head_revision()
    assert "post_started_at" in names("digests") and "absent_passes" in names("health_problems")


def assert_adds_a_column(
    engine: Engine, target: str, table: str, column: str, previous: str | None = None
) -> None:
    """Migration `target` adds `table`.`column`: walking down from it to the revision before
    (`previous`, by default the one numbered before) gives back that revision's table exactly,
    and the way up adds the column again."""
    from newsmon.migrations import head_revision, upgrade

    previous = previous or f"{int(target) - 1:04d}"
    upgrade(engine, previous)
    before = shape(engine, table)
    upgrade(engine, target)
    after = shape(engine, table)
    assert after is not None and column in {c[0] for c in after["columns"]}
    downgrade(engine, previous)
    assert shape(engine, table) == before
    upgrade(engine, target)
    assert shape(engine, table) == after  # the way up again (a later revision may change it)
    upgrade(engine)
    assert revision(engine) == head_revision()


def assert_0015_adds_digest_content_and_drops_it_going_down(engine: Engine) -> None:
    """0015 adds `digests.content` (digests begun before it have none)."""
    assert_adds_a_column(engine, "0015", "digests", "content")


def index_names(engine: Engine, table: str) -> set[str]:
    return {str(i["name"]) for i in inspect(engine).get_indexes(table)}


def assert_0024_adds_indexes_and_drops_them_going_down(engine: Engine) -> None:
    """0024 adds indexes by feed (articles, sightings) and by posting time (alerts); walking
    back to 0023 drops exactly them, and the way up adds them again."""
    from newsmon.migrations import head_revision, upgrade

    added = {
        "articles": "ix_articles_feed_seen",
        "article_sightings": "ix_article_sightings_feed_seen",
        "alerts": "ix_alerts_sent_at",
    }
    upgrade(engine, "0023")
    before = {table: index_names(engine, table) for table in added}
    assert not any(name in before[table] for table, name in added.items())
    upgrade(engine, "0024")
    assert {table: index_names(engine, table) - {name} for table, name in added.items()} == before
    assert all(name in index_names(engine, table) for table, name in added.items())
    downgrade(engine, "0023")
    assert {table: index_names(engine, table) for table in added} == before
    upgrade(engine)
    assert revision(engine) == head_revision()
