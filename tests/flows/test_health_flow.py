"""Failures that show: the real `monitor` flow against the sample site and the fake Slack, read
back through `newsmon health`, `runs` and `feeds` — exit codes on a fresh corpus, after a good
pass, after a pass where every feed failed, after delivery blocked, after a timeout."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from flows.monitor import monitor
from prefect.flow_engine import FlowRunTimeoutError
from typer.testing import CliRunner

from newsmon.cli import EXIT_CRASHED, EXIT_DATABASE, EXIT_PASS_FAILED, EXIT_UNHEALTHY, app
from newsmon.config import load_config
from newsmon.corpus import Store
from newsmon.corpus.outbox import Outbox
from newsmon.corpus.records import RunStatus
from newsmon.devsite import SiteServer
from newsmon.verdict import PassFailed, VerdictKind
from tests.flows.test_backfill_urls_flow import artifacts
from tests.support.configs import write_config
from tests.support.fake_slack import MISSING_HISTORY_SCOPE, FakeSlack, Scripted
from tests.support.notices import age_absences

pytestmark = pytest.mark.usefixtures("prefect_harness")

runner = CliRunner()
CHANNELS = {"open-source": "#ai-open-source", "ai-safety": "#ai-safety", "policy": "#ai-policy"}
GOOD_FEEDS = [("frontier-wire", "/feeds/en-ai.atom", "en"), ("ai-daily-ko", "/feeds/ko-ai.xml")]


def newsmon(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def latest_health() -> Any:
    """The newest `newsmon-health` artifact a monitor pass left in Prefect."""
    return max(artifacts("newsmon-health"), key=lambda a: a.created)


def runs_of(config: Path) -> list[dict[str, object]]:
    code, out = newsmon("runs", "--config", str(config), "--json")
    assert code == 0, out
    runs: list[dict[str, object]] = json.loads(out)
    return runs


def test_health_on_a_fresh_corpus_after_a_good_pass_and_after_every_feed_failed(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    good = write_config(
        tmp_path, feeds=GOOD_FEEDS, base=site.base, channels=CHANNELS, default_channel="#n"
    )
    code, out = newsmon("health", "--config", str(good))  # no corpus yet: named, none made
    assert code == EXIT_DATABASE and "no corpus at" in out, out
    assert not (tmp_path / "corpus.db").exists()
    assert newsmon("migrate", "--config", str(good))[0] == 0
    code, out = newsmon("health", "--config", str(good))
    assert code == EXIT_UNHEALTHY and "no monitoring pass has completed yet" in out
    code, out = newsmon("health", "--config", str(good), "--json")
    assert code == EXIT_UNHEALTHY
    assert [p["kind"] for p in json.loads(out)["problems"]] == ["no_pass"]

    totals = asyncio.run(monitor(config_path=str(good)))
    assert totals.feeds_ok == 2 and totals.alerts_sent > 0
    code, out = newsmon("health", "--config", str(good))
    assert code == 0, out
    assert out.rstrip().endswith("healthy") and "last completed pass: 20" in out
    assert "alerts #ai-policy: sent" in out
    code, out = newsmon("feeds", "--config", str(good), "--json")
    assert code == 0
    states = {f["name"]: f["state"] for f in json.loads(out)["feeds"]}
    assert states == {"frontier-wire": "ok", "ai-daily-ko": "ok"}
    [run] = runs_of(good)
    assert run["status"] == "completed" and run["error"] is None

    # The same corpus, every feed now missing: the pass runs, is recorded, and fails.
    dead = write_config(
        tmp_path,
        name="dead.yaml",
        feeds=[("gone-a", "/feeds/gone-a.xml"), ("gone-b", "/feeds/gone-b.xml")],
        base=site.base,
    )
    code, out = newsmon("run", "--config", str(dead))
    assert code == EXIT_PASS_FAILED, out
    assert "feeds: 0 ok (0 unchanged), 2 failed" in out
    assert "newsmon: the pass failed: every feed tried failed (2): gone-a: HTTP 404" in out
    latest = runs_of(dead)[0]
    assert latest["status"] == "failed"
    assert str(latest["error"]).startswith("every feed tried failed (2)")
    code, out = newsmon("health", "--config", str(dead))
    assert code == EXIT_UNHEALTHY
    assert "last_pass_failed: run #2 failed: every feed tried failed" in out
    code, out = newsmon("runs", "--config", str(dead))
    assert code == 0 and "failed" in out.splitlines()[0] and "completed" in out.splitlines()[1]


def test_delivery_blocked_for_several_passes_fails_the_run_until_slack_takes_alerts(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    config = write_config(tmp_path, feeds=GOOD_FEEDS[:1], base=site.base, channels=CHANNELS)
    slack.unknown_channels.update(CHANNELS.values())  # the bot was removed from every channel
    slack.unknown_channels.add(load_config(config).slack.default_channel)
    first = asyncio.run(monitor(config_path=str(config), blocked_passes=2))
    assert first.alerts_sent == 0 and first.alerts_pending > 0
    # the pass itself shows what `newsmon health` would say, in Prefect
    shown = latest_health()
    assert shown.description == "UNHEALTHY: alerts_stuck"
    assert "alerts_stuck:" in shown.data and "cannot be delivered" in shown.data
    with pytest.raises(PassFailed) as failed:
        asyncio.run(monitor(config_path=str(config), blocked_passes=2))
    assert failed.value.verdict.kind is VerdictKind.DELIVERY_BLOCKED
    assert str(failed.value).startswith("delivery blocked for 2 passes in a row")
    assert "channel_not_found" in str(failed.value)
    assert [r["status"] for r in runs_of(config)] == ["failed", "completed"]
    assert newsmon("health", "--config", str(config))[0] == EXIT_UNHEALTHY

    slack.unknown_channels.clear()
    third = asyncio.run(monitor(config_path=str(config), blocked_passes=2))
    assert third.alerts_sent == first.alerts_pending and third.alerts_pending == 0
    code, out = newsmon("health", "--config", str(config))
    assert code == 0, out
    assert latest_health().description == "healthy"

    # alerts switched off: a pass posts nothing and completes; what it shows in Prefect says
    # why the channels are quiet (`alerts_off` alone), as `newsmon health` does
    write_config(
        tmp_path, feeds=GOOD_FEEDS[:1], base=site.base, channels=CHANNELS, alerts={"enabled": False}
    )
    asyncio.run(monitor(config_path=str(config), blocked_passes=2))
    shown = latest_health()
    assert shown.description == "UNHEALTHY: alerts_off", shown.description
    assert "  alerts_off: alerts are off (alerts.enabled: false)" in shown.data, shown.data


def test_passes_that_try_no_alert_are_not_delivery_blocked_by_a_channel_history_problem(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    """One alert waits an hour for its retry and a channel's history cannot be read (reported
    on its own: `history_unreadable`): passes that post nothing because nothing is due are not
    "delivery blocked" — Slack refused nothing they tried."""
    config = write_config(
        tmp_path,
        feeds=GOOD_FEEDS[:1],
        base=site.base,
        channels=CHANNELS,
        slack={"retry_delays_minutes": [60.0]},
    )
    store = Store.open(load_config(config).database_url)
    store.outbox.set_history_error("#ai-safety", "missing_scope")
    store.close()
    slack.read_outage = MISSING_HISTORY_SCOPE  # the bot lacks channels:history
    slack.script.append(Scripted(503, {"ok": False, "error": "service_unavailable"}))
    first = asyncio.run(monitor(config_path=str(config), blocked_passes=2))
    assert first.alerts_sent > 0 and first.alerts_pending == 1  # the one retried in an hour
    for _ in range(2):
        quiet = asyncio.run(monitor(config_path=str(config), blocked_passes=2))
        assert quiet.alerts_sent == 0 and quiet.alerts_pending == 1
    assert [r["status"] for r in runs_of(config)] == ["completed"] * 3
    code, out = newsmon("health", "--config", str(config), "--json")
    kinds = [p["kind"] for p in json.loads(out)["problems"]]
    assert code == EXIT_UNHEALTHY and kinds == ["history_unreadable"]


def test_a_pass_that_times_out_is_recorded_as_crashed(tmp_path: Path, site: SiteServer) -> None:
    site.routes["/feeds/slow.xml"] = {"delay": 30, "body": "<rss/>"}
    config = write_config(tmp_path, feeds=[("slow", "/feeds/slow.xml")], base=site.base)
    with pytest.raises(FlowRunTimeoutError):
        asyncio.run(monitor.with_options(timeout_seconds=3)(config_path=str(config)))
    store = Store.open(load_config(config).database_url)
    try:
        run = store.runs.last_run("monitor")
    finally:
        store.close()
    assert run is not None and run.status is RunStatus.CRASHED
    assert run.error is not None and "timed out" in run.error and run.finished_at is not None
    code, out = newsmon("health", "--config", str(config))
    assert code == EXIT_UNHEALTHY and "last_pass_failed: run #1 crashed" in out


def test_a_crash_whose_text_carries_secrets_is_recorded_and_shown_without_them(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever an exception quotes (a driver naming the database URL it used, a client quoting
    the token it sent), the runs table, `newsmon runs` and `newsmon run`'s line keep one line
    and no secret."""
    config = write_config(tmp_path, feeds=GOOD_FEEDS[:1], base=site.base, channels=CHANNELS)
    leak = (
        "lost the corpus at postgresql+psycopg://newsmon:s3cret-pw@db.internal:5432/newsmon "
        "while posting with xoxb-1234-5678-abcdefSECRET to "
        "https://hooks.slack.com/services/T000/B000/WEBHOOKSECRET\n[SQL: SELECT 1]"
    )

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError(leak)

    monkeypatch.setattr(Outbox, "count_alerts", broken)  # read right after delivery
    code, out = newsmon("run", "--config", str(config))
    assert code == EXIT_CRASHED, out
    assert "the pass crashed: RuntimeError: lost the corpus at (database URL) while" in out
    monkeypatch.undo()
    [run] = runs_of(config)
    assert run["status"] == "crashed"
    error = str(run["error"])
    assert error.startswith("RuntimeError: lost the corpus at (database URL) while"), error
    code, listing = newsmon("runs", "--config", str(config))
    assert code == 0 and "crashed" in listing
    for shown in (error, out, listing):
        for secret in ("s3cret-pw", "xoxb-1234", "SECRET", "SELECT 1"):
            assert secret not in shown, shown
    assert "\n" not in error


def test_a_summary_table_prefect_refuses_does_not_turn_a_recorded_pass_into_a_crash(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Prefect API refusing the `monitor-summary` artifact (an outage, a restart) came
    after the pass was recorded completed: the row was overwritten as crashed, the index was
    not pruned, health not judged, notices not posted, and the flow run failed."""
    import flows.monitor

    async def refused(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("Prefect API answered 503")

    monkeypatch.setattr(flows.monitor, "acreate_table_artifact", refused)
    config = write_config(
        tmp_path, feeds=GOOD_FEEDS, base=site.base, channels=CHANNELS, default_channel="#n"
    )
    before = len(artifacts("newsmon-health"))
    totals = asyncio.run(monitor(config_path=str(config)))
    assert totals.feeds_ok == 2
    [run] = runs_of(config)
    assert run["status"] == "completed" and run["error"] is None
    assert len(artifacts("newsmon-health")) == before + 1  # health was still judged


def test_every_feed_down_stays_unhealthy_through_passes_that_find_nothing_due(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    """A broken proxy answers 503 for every feed: the pass fails, and each feed backs off. The
    passes meanwhile find nothing due and complete: `newsmon health` said healthy and the
    operations channel was told "resolved" while every feed was still down (and "failed"
    again at the next try, pass after pass). Health stays failing until a pass reads a feed."""
    ops = "#newsmon-ops"
    config = write_config(
        tmp_path,
        feeds=GOOD_FEEDS,
        base=site.base,
        channels=CHANNELS,
        default_channel="#n",
        slack={"ops_channel": ops},
    )
    assert asyncio.run(monitor(config_path=str(config))).feeds_ok == 2
    for _, path, *_ in GOOD_FEEDS:
        site.routes[path] = {"status": 503, "body": "proxy error"}
    with pytest.raises(PassFailed) as failed:
        asyncio.run(monitor(config_path=str(config)))
    assert failed.value.verdict.kind is VerdictKind.ALL_FEEDS_FAILED
    for _ in range(3):  # every feed backs off: the next passes find nothing due
        idle = asyncio.run(monitor(config_path=str(config)))
        assert idle.feeds_not_due == 2 and idle.feeds_ok == idle.feeds_failed == 0
        code, out = newsmon("health", "--config", str(config), "--json")
        kinds = [p["kind"] for p in json.loads(out)["problems"]]
        assert code == EXIT_UNHEALTHY and kinds == ["last_pass_failed"], out
    said = [p for p in slack.posts if p["channel_id"] == slack.channel_id(ops)]
    assert len(said) == 1 and "the last monitoring pass failed" in said[0]["text"]

    for _, path, *_ in GOOD_FEEDS:  # the proxy works again
        del site.routes[path]
    back = asyncio.run(monitor(config_path=str(config), force=True))
    assert back.feeds_ok == 2
    code, out = newsmon("health", "--config", str(config))
    assert code == 0, out
    age_absences(config)  # the next pass is the schedule's, not one seconds later
    asyncio.run(monitor(config_path=str(config)))  # the second pass without it: resolved
    said = [p for p in slack.posts if p["channel_id"] == slack.channel_id(ops)]
    assert len(said) == 2 and said[1]["text"].startswith(":white_check_mark:")
    assert said[1].get("thread_ts") == said[0]["ts"]
