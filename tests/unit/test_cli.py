"""The command line without Prefect or servers: exit codes, and the corpus views."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import EXIT_CONFIG, EXIT_DATABASE, app
from newsmon.config import FeedConfig
from tests.support.configs import write_config

runner = CliRunner()


def test_bad_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, feeds=[("x", "not-a-url")])
    result = runner.invoke(app, ["run", "--config", str(path)])
    assert result.exit_code == EXIT_CONFIG
    assert "feeds.0.url" in result.output and str(path) in result.output


def test_unusable_database_exits_3(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("")
    path = write_config(tmp_path, database_url=f"sqlite:///{tmp_path / 'blocker' / 'x.db'}")
    result = runner.invoke(app, ["feeds", "--config", str(path)])
    assert result.exit_code == EXIT_DATABASE
    assert "database" in result.output


def test_bad_dates_are_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    result = runner.invoke(app, ["backfill", "--since", "2025-13-01", "--config", str(path)])
    assert result.exit_code == EXIT_CONFIG and "YYYY-MM-DD" in result.output


def test_a_backfill_until_the_last_day_of_the_calendar_is_a_bad_argument(tmp_path: Path) -> None:
    """`--until 9999-12-31` (an operator's "until forever") crashed the run (exit 6, `date
    value out of range`) once Prefect had started: its day after cannot be counted."""
    path = write_config(tmp_path)
    result = runner.invoke(
        app, ["backfill", "--since", "2025-01-01", "--until", "9999-12-31", "--config", str(path)]
    )
    assert result.exit_code == EXIT_CONFIG, result.output
    assert "until 9999-12-31" in result.output and "crashed" not in result.output


def test_env_config_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsmon.corpus import Store

    path = write_config(tmp_path)
    Store.open(f"sqlite:///{tmp_path / 'corpus.db'}").close()  # reading makes no corpus
    monkeypatch.setenv("NEWSMON_CONFIG", str(path))
    result = runner.invoke(app, ["articles"])
    assert result.exit_code == 0 and "no articles" in result.output


def test_feed_config_model_is_strict() -> None:
    with pytest.raises(ValueError):
        FeedConfig(name="x", url="https://x", bogus=1)  # type: ignore[call-arg]


def test_articles_cluster_shows_members_and_sources(tmp_path: Path) -> None:
    from newsmon.corpus import Store
    from newsmon.corpus.records import NewSighting
    from tests.support.articles import new_article

    path = write_config(tmp_path)
    body = " ".join(
        f"Sentence {i} of the story about the AI Act guidance and its fines." for i in range(30)
    )
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    ids = []
    for i, (url, text, title) in enumerate(
        [
            ("https://a.example/story", body, "EU guidance on banned AI"),
            ("https://b.example/copy", body[: int(len(body) * 0.6)], "Brussels explains AI bans"),
        ]
    ):
        feed = store.sync_feed(f"feed-{i}", f"https://f{i}.example/rss", "en").id
        stored = store.add_article(
            new_article(url, text, signed=True, feed_id=feed, title=title, published_at=None)
        )
        ids.append(stored.id)
    store.record_sightings(
        store.sync_feed("feed-2", "https://f2.example/rss", "en").id,
        [NewSighting(ids[0], "https://a.example/story/amp")],
    )
    store.close()
    result = runner.invoke(app, ["articles", "--config", str(path), "--cluster", str(ids[1])])
    assert result.exit_code == 0, result.output
    assert f"story #{ids[0]}" in result.output and "EU guidance on banned AI" in result.output
    assert "sources: feed-0, feed-1, feed-2" in result.output
    assert "near duplicate, similarity" in result.output and "Brussels explains" in result.output
    assert "https://a.example/story/amp" in result.output
    missing = runner.invoke(app, ["articles", "--config", str(path), "--cluster", "999"])
    assert missing.exit_code == EXIT_CONFIG


def test_prune_takes_old_stories_out_of_the_index(tmp_path: Path) -> None:
    from datetime import timedelta

    from newsmon.clock import utcnow
    from newsmon.corpus import Store
    from tests.support.articles import new_article
    from tests.support.index_retention import RECENT, STORY, band_rows, first_seen

    path = write_config(tmp_path, alerts={"max_age_hours": 72})
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        old = store.add_article(new_article("https://a.example/1", STORY, signed=True)).id
        new = store.add_article(new_article("https://a.example/2", RECENT, signed=True)).id
        first_seen(store, [old], utcnow() - timedelta(days=40))
    finally:
        store.close()

    def prune(*args: str) -> str:
        result = runner.invoke(app, ["prune", "--config", str(path), *args])
        assert result.exit_code == 0, result.output
        return result.output

    def backlog() -> object:
        import json

        result = runner.invoke(app, ["health", "--json", "--config", str(path)])
        return json.loads(result.output)["index_backlog"]

    assert backlog() == 1  # `newsmon health` shows what the index holds past retention
    assert prune("--dry-run").startswith("1 articles first seen before ")
    assert prune("--days", "50").startswith("0 articles")  # 40 days old: kept for 50
    assert prune().startswith("1 articles first seen before ")
    assert prune().startswith("0 articles")
    assert backlog() == 0
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        assert band_rows(store, old) == 0 and band_rows(store, new) > 0
    finally:
        store.close()
    refused = runner.invoke(app, ["prune", "--config", str(path), "--days", "9"])
    assert refused.exit_code == EXIT_CONFIG and "at least 11" in refused.output
    (tmp_path / "off").mkdir()
    off = write_config(tmp_path / "off")  # no alert age limit: no retention is safe
    result = runner.invoke(app, ["prune", "--config", str(off)])
    assert result.exit_code == 0 and "retention is off" in result.output


@pytest.mark.parametrize("days", ["0", "3"])
def test_prune_without_an_age_limit_refuses_days_under_the_story_window(
    tmp_path: Path, days: str
) -> None:
    """With `alerts.max_age_hours: null`, `newsmon prune --days 0` took every article out of
    the index, today's too: tomorrow's copy of today's story stood alone and was announced
    again. Under the 7-day window and a day of slack it is refused, and nothing is pruned."""
    from newsmon.corpus import Store
    from tests.support.articles import new_article
    from tests.support.index_retention import STORY, band_rows

    path = write_config(tmp_path)  # no alert age limit
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        today = store.add_article(new_article("https://a.example/1", STORY, signed=True)).id
    finally:
        store.close()
    refused = runner.invoke(app, ["prune", "--config", str(path), "--days", days])
    assert refused.exit_code == EXIT_CONFIG, refused.output
    assert refused.stderr.count("\n") == 1 and "at least 8 days" in refused.stderr
    kept = runner.invoke(app, ["prune", "--config", str(path), "--days", "8"])
    assert kept.exit_code == 0 and kept.output.startswith("0 articles"), kept.output
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        assert band_rows(store, today) > 0
    finally:
        store.close()


def test_config_check_without_an_age_limit_refuses_an_index_days_under_the_window(
    tmp_path: Path,
) -> None:
    """The same rule for `dedup.index_days`: each pass would prune today's stories."""
    path = write_config(tmp_path, dedup={"index_days": 2})
    result = runner.invoke(app, ["config", "check", "--config", str(path)])
    assert result.exit_code == EXIT_CONFIG and "at least 8 days" in result.output, result.output
