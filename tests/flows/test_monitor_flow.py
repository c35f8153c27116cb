"""The real `monitor` flow, end to end: sample site on loopback → corpus → fake Slack.

The sample site is described in demo/site/MANIFEST.md; the expectations below restate it.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus
from newsmon.devsite import SiteServer
from newsmon.report import PassTotals
from tests.conftest import SHIPPED_TOPICS
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack, Scripted

pytestmark = pytest.mark.usefixtures("prefect_harness")

CHANNELS = {"open-source": "#ai-open-source", "ai-safety": "#ai-safety", "policy": "#ai-policy"}

# (article path, channel) for every alert one pass must send, and nothing else.
EXPECTED_ALERTS = {
    ("/ko/deepseek-open-source-week.html", "#ai-open-source"),
    ("/ko/broken-page.html", "#ai-open-source"),
    ("/en/deepseek-open-source-week.html", "#ai-open-source"),
    ("/ko/uk-ai-security-institute.html", "#ai-safety"),
    ("/ko/uk-ai-security-institute.html", "#ai-policy"),  # a government renaming its body
    ("/en/us-aisi-layoffs.html", "#ai-safety"),
    ("/ko/national-ai-computing.html", "#ai-policy"),
    ("/ko/ai-basic-act.html", "#ai-policy"),
    ("/en/us-aisi-layoffs.html", "#ai-policy"),
    ("/en/ftc-ai-inquiry.html", "#ai-policy"),
    ("/en/eu-ai-act-guidance.html", "#ai-policy"),
}
FEEDS = [
    ("ai-daily-ko", "/feeds/ko-ai.xml", "ko"),
    ("tech-weekly-euckr", "/feeds/ko-euckr.xml", "ko"),
    ("frontier-wire", "/feeds/en-ai.atom", "en"),
    ("tech-digest-wire", "/feeds/en-wire.xml", "en"),
    ("broken-feed", "/feeds/broken.xml", None),
    ("not-a-feed", "/feeds/not-a-feed.xml", None),
]


def site_config(tmp_path: Path, site: SiteServer, topics: Path = SHIPPED_TOPICS) -> Path:
    """The sample site's feeds, alerts routed to three channels and a default one."""
    return write_config(
        tmp_path,
        feeds=FEEDS,
        base=site.base,
        topics=topics,
        channels=CHANNELS,
        default_channel="#ai-news",
    )


def run_monitor(config: Path, **kwargs: object) -> PassTotals:
    from flows.monitor import monitor

    return asyncio.run(monitor(config_path=str(config), **kwargs))


# Feeds are fetched concurrently, so which copy of the wire story is stored first (and so
# becomes the original that is announced) may vary; the story is the same.
SAME_STORY = {"/wire/deepseek-open-source-week.html": "/en/deepseek-open-source-week.html"}


def alerts_posted(slack: FakeSlack) -> list[tuple[str, str]]:
    out = []
    for post in slack.top_level():  # thread replies are checked in test_slack_flows.py
        link = re.match(r"\*<([^|>]+)\|", post["blocks"][0]["text"]["text"])
        assert link, post["blocks"][0]
        path = urlsplit(link.group(1).replace("&amp;", "&")).path
        out.append((SAME_STORY.get(path, path), post["channel"]))
    return out


RUN_SUMMARY_KEYS = [
    "feeds_ok",
    "feeds_failed",
    "feeds_not_modified",
    "feeds_not_due",
    "bytes_received",
    "entries",
    "new_articles",
    "already_seen",
    "duplicates",
    "near_duplicates",
    "updated",
    "pages_failed",
    "pages_stopped",
    "pages_retried",
    "pages_recovered",
    "pages_postponed",
    "pages_deferred",
    "text_sources",
    "matches",
    "alerts_queued",
    "alerts_sent",
    "alerts_failed",
    "alerts_pending",
    "sender",
    "failures",
    "delivery_errors",
    "alerts_unsent",
    "feeds_held",
    "replies_sent",
    "replies_failed",
    "alerts_off",
    "clock_ahead_seconds",  # health's clock_off: keys are only ever added
    "clock_samples",
]


def stored_runs(db: Path) -> list[tuple[str, dict]]:
    from sqlalchemy import select

    from newsmon.corpus.schema import RunRow

    store = Store.open(f"sqlite:///{db}")
    try:
        with store.session() as s:
            return [(r.flow, r.summary) for r in s.scalars(select(RunRow).order_by(RunRow.id))]
    finally:
        store.close()


def page_requests(site: SiteServer) -> list[str]:
    return [p for p in site.paths_requested() if not p.startswith("/feeds/")]


def test_monitor_end_to_end(tmp_path: Path, site: SiteServer, slack: FakeSlack) -> None:
    config = site_config(tmp_path, site)
    totals = run_monitor(config)

    posted = alerts_posted(slack)
    assert sorted(posted) == sorted(EXPECTED_ALERTS)  # exact set, and nothing twice
    assert len(posted) == len(set(posted))
    assert totals.alerts_sent == len(EXPECTED_ALERTS) and totals.sender == "slack"
    assert totals.feeds_ok == 4 and totals.feeds_failed == 2
    failures = {f.feed: f for f in totals.failures}
    assert failures["broken-feed"].error == "HTTP 500 Internal Server Error"
    assert failures["not-a-feed"].error.startswith("not a feed")
    assert (
        failures["not-a-feed"].next_check
        and "hard failure" in failures["not-a-feed"].next_check.reason
    )
    assert totals.new_articles == 11 and totals.duplicates == 1
    assert totals.text_sources["json-ld"] == 1 and totals.text_sources["feed-summary"] == 1
    # the runs table keeps the same totals, as JSON under the keys it always had
    assert stored_runs(tmp_path / "corpus.db") == [("monitor", totals.as_dict())]
    assert list(totals.as_dict()) == RUN_SUMMARY_KEYS
    # every feed that answered stated its server's time, the host's own here
    assert totals.clock_samples == 6 and totals.clock_ahead is not None
    assert abs(totals.clock_ahead) < 60
    assert totals.as_dict()["failures"]["broken-feed"] == "HTTP 500 Internal Server Error"

    # No alert text carries a tracking parameter, a ping, or the token.
    for post in slack.posts:
        assert "utm_" not in str(post) and "<!channel>" not in str(post)
        assert slack.token not in str(post)

    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        health = {h.name: h for h in store.feed_health()}
        assert health["broken-feed"].consecutive_failures == 1
        assert health["broken-feed"].last_error == "HTTP 500 Internal Server Error"
        assert health["frontier-wire"].last_error is None
        # 4 entries, one of which the wire feed may have brought first (feeds run concurrently)
        assert health["frontier-wire"].entries_seen in (3, 4)
        articles = {urlsplit(a.url).path: a for a in store.list_articles(limit=100)}
        # EUC-KR pages and feed come out as Hangul, the CP949-only syllable included
        assert "AI보안연구소" in articles["/ko/uk-ai-security-institute.html"].text
        assert "똠" in (articles["/ko/ai-basic-act.html"].title or "")
        assert articles["/ko/national-ai-computing.html"].text_source == "json-ld"
        assert articles["/ko/broken-page.html"].text_source == "feed-summary"
        pair = [
            articles["/wire/deepseek-open-source-week.html"],
            articles["/en/deepseek-open-source-week.html"],
        ]
        [original] = [a for a in pair if a.duplicate_of_id is None]
        [copy] = [a for a in pair if a.duplicate_of_id is not None]
        assert copy.duplicate_of_id == original.id and copy.topics == []
        assert original.topics == ["open-source"]
        assert (
            sum(
                a.url.split("?")[0].endswith("/en/deepseek-open-source-week.html")
                for a in articles.values()
            )
            == 1
        )
        assert articles["/en/phone-review.html"].topics == []
        assert articles["/ko/galaxy-launch.html"].topics == []
    finally:
        store.close()

    # A second pass: every entry is known, no page is fetched, nothing is sent.
    slack.reset()
    pages_before = len(page_requests(site))
    again = run_monitor(config)
    assert slack.posts == []
    assert len(page_requests(site)) == pages_before
    assert again.new_articles == 0 and again.alerts_sent == 0
    # The failed feeds back off instead of being hammered, ko-ai.xml asked for <ttl>10</ttl>,
    # and the other healthy feeds answer 304 to the conditional GET.
    assert again.feeds_failed == 0 and again.feeds_not_due == 3
    assert again.feeds_not_modified == 3
    forced = run_monitor(config, force=True)
    assert forced.feeds_failed == 2 and slack.posts == []


def test_passes_take_old_stories_out_of_the_index_a_share_at_a_time(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    from datetime import timedelta

    from newsmon.clock import utcnow
    from tests.support.index_retention import band_rows, first_seen

    config = write_config(
        tmp_path,
        feeds=FEEDS,
        base=site.base,
        channels=CHANNELS,
        dedup={"index_days": 30, "prune_per_pass": 3},
    )
    run_monitor(config)
    sent = len(slack.posts)
    url = f"sqlite:///{tmp_path / 'corpus.db'}"
    store = Store.open(url)
    try:
        ids = sorted(a.id for a in store.list_articles(limit=100))
        old, recent = ids[:5], ids[5:]
        first_seen(store, old, utcnow() - timedelta(days=40))  # as if seen last month
        kept = sum(band_rows(store, i) for i in recent)
        assert kept and sum(band_rows(store, i) for i in old)
    finally:
        store.close()
    left = []
    for _ in range(2):  # each pass takes its share, oldest first
        run_monitor(config, force=True)
        store = Store.open(url)
        try:
            left.append(store.retention.count_old_indexed(utcnow() - timedelta(days=30)))
            if len(left) == 2:
                assert [band_rows(store, i) for i in old] == [0] * 5
                assert band_rows(store) == kept  # the recent stories stay indexed
        finally:
            store.close()
    assert left == [2, 0]
    assert len(slack.posts) == sent  # nothing announced again


def test_slack_outage_delays_alerts_without_losing_or_repeating_them(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    config = site_config(tmp_path, site)
    for channel in {c for _, c in EXPECTED_ALERTS}:  # the channels exist in the workspace
        slack.channel_id(channel)
    slack.outage = Scripted(503, {"ok": False, "error": "service_unavailable"})
    first = run_monitor(config)
    assert first.alerts_sent == 0 and first.alerts_pending == len(EXPECTED_ALERTS)
    assert "service_unavailable" in first.delivery_errors[0]
    assert slack.posts == []
    # three failures in a row end the pass's delivery: the others were not even tried
    assert len(slack.attempts) == 3
    slack.outage = None

    second = run_monitor(config)
    assert second.alerts_sent == len(EXPECTED_ALERTS) and second.alerts_pending == 0
    assert sorted(alerts_posted(slack)) == sorted(EXPECTED_ALERTS)

    third = run_monitor(config)
    assert third.alerts_sent == 0 and len(slack.top_level()) == len(EXPECTED_ALERTS)


def test_refused_channel_is_reported_and_other_channels_still_get_alerts(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    config = site_config(tmp_path, site)
    slack.unknown_channels.add("#ai-safety")
    totals = run_monitor(config)
    safety = {a for a in EXPECTED_ALERTS if a[1] == "#ai-safety"}
    assert sorted(alerts_posted(slack)) == sorted(EXPECTED_ALERTS - safety)
    assert any("channel_not_found" in e for e in totals.delivery_errors)
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        assert store.count_alerts(AlertStatus.PENDING) == len(safety)
        assert store.count_alerts(AlertStatus.SENT) == len(EXPECTED_ALERTS) - len(safety)
    finally:
        store.close()
    slack.unknown_channels.clear()
    run_monitor(config)
    assert sorted(alerts_posted(slack)) == sorted(EXPECTED_ALERTS)


def test_newsmon_run_command_delivers_to_the_console_and_summarises(
    tmp_path: Path, site: SiteServer
) -> None:
    """`newsmon run` with no Slack credentials: alerts go to the console, one summary, exit 0.

    (What the console sender prints is checked in tests/unit/test_alerts.py; here Prefect's
    log handlers own the terminal, so the corpus tells what was delivered.)
    """
    from typer.testing import CliRunner

    from newsmon.cli import app

    config = site_config(tmp_path, site)
    result = CliRunner().invoke(app, ["run", "--config", str(config)])
    assert result.exit_code == 0, result.output
    summary = [line for line in result.output.splitlines() if line.startswith("feeds: ")]
    assert len(summary) == 1 and "4 ok" in summary[0] and "2 failed" in summary[0]
    assert f"alerts sent: {len(EXPECTED_ALERTS)} (console)" in summary[0]
    assert "failed: broken-feed: HTTP 500 Internal Server Error" in result.output
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        assert store.count_alerts(AlertStatus.SENT) == len(EXPECTED_ALERTS)
    finally:
        store.close()
