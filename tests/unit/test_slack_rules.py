"""Delivery's rules without I/O: pacing buckets, what each Slack answer means, retry delays,
digest periods and splitting."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from newsmon.config import SlackConfig
from newsmon.corpus.records import DigestStory
from newsmon.digest import build_digest, parse_duration, window
from newsmon.pipeline.leases import retry_time
from newsmon.slack import Kind, Pacer, TokenBucket
from newsmon.slack.errors import MAX_RETRY_AFTER, classify, retry_after


def test_bucket_allows_a_burst_then_one_per_interval() -> None:
    bucket = TokenBucket(rate=1.0, burst=2)
    assert bucket.ready_at(0.0) == 0.0
    bucket.take(0.0)
    bucket.take(0.0)
    assert bucket.ready_at(0.0) == pytest.approx(1.0)
    bucket.take(1.0)
    assert bucket.ready_at(1.0) == pytest.approx(2.0)


def test_pacer_schedules_channels_independently_under_an_overall_cap() -> None:
    pacer = Pacer(interval=1.0, burst=1, overall_rate=2.0, overall_burst=2)
    pacer.take("#a", 0.0)
    assert pacer.ready_at("#a", 0.0) == pytest.approx(1.0)  # its own pace
    assert pacer.ready_at("#b", 0.0) == 0.0  # another channel is not held back
    pacer.take("#b", 0.0)
    assert pacer.ready_at("#c", 0.0) == pytest.approx(0.5)  # the overall cap: 2 a second
    pacer.hold("#c", 10.0)  # Retry-After
    assert pacer.ready_at("#c", 1.0) == 10.0 and pacer.ready_at("#a", 1.0) == pytest.approx(1.0)


def test_thirty_posts_on_a_simulated_clock_keep_one_a_second_per_channel() -> None:
    pacer = Pacer(interval=1.0, burst=2, overall_rate=5.0, overall_burst=5)
    now, sent = 0.0, {"#a": [], "#b": [], "#c": []}
    queue = [c for _ in range(10) for c in sent]
    while queue:
        channel = min(dict.fromkeys(queue), key=lambda c: pacer.ready_at(c, now))
        now = max(now, pacer.ready_at(channel, now))
        pacer.take(channel, now)
        sent[channel].append(now)
        queue.remove(channel)
    for times in sent.values():
        # after the burst of two, one a second: ten posts take at least eight seconds
        assert times[-1] - times[0] >= 8.0 - 1e-9
        # no window holds more than the burst plus one a second
        for i, start in enumerate(times):
            for j in range(i, len(times)):
                assert j - i + 1 <= 2 + (times[j] - start) + 1e-9


@pytest.mark.parametrize("interval", [0.3, 0.7, 0.9, 1.1, 1.0])
def test_a_channel_keeps_its_interval_whatever_its_float_rounding(interval: float) -> None:
    """At an interval a float cannot hold exactly (1.1 s), a post at the very time the pacer
    named left its bucket a hair below zero, read as "never used": refilled to a full burst,
    the channel got two posts back to back each time, twice the pace configured, and Slack's
    429s. Past the first burst, every post now keeps the interval."""
    pacer = Pacer(interval=interval, burst=2, overall_rate=500.0, overall_burst=500)
    now, times = 1000.123, []
    for _ in range(60):
        now = pacer.ready_at("#a", now)
        pacer.take("#a", now)
        times.append(now)
    gaps = [b - a for a, b in itertools.pairwise(times[1:])]  # past the first burst
    assert min(gaps) > interval * 0.999, gaps
    assert times[-1] - times[0] > 58 * interval * 0.999


@pytest.mark.parametrize(
    ("status", "code", "kind", "maybe"),
    [
        (200, "invalid_auth", Kind.CREDENTIAL, False),
        (200, "token_revoked", Kind.CREDENTIAL, False),
        (200, "account_inactive", Kind.CREDENTIAL, False),
        (200, "missing_scope", Kind.CREDENTIAL, False),
        (200, "not_in_channel", Kind.CHANNEL, False),
        (200, "channel_not_found", Kind.CHANNEL, False),
        (200, "is_archived", Kind.CHANNEL, False),
        (200, "invalid_blocks", Kind.MESSAGE, False),
        (200, "msg_too_long", Kind.MESSAGE, False),
        (200, "internal_error", Kind.TRANSIENT, True),
        (500, None, Kind.TRANSIENT, True),
        (503, "service_unavailable", Kind.TRANSIENT, True),
        (200, "something_new", Kind.TRANSIENT, False),
        (403, None, Kind.TRANSIENT, False),  # a proxy's HTML page
        (429, "ratelimited", Kind.RATE_LIMITED, False),
    ],
)
def test_classify(status: int, code: str | None, kind: Kind, maybe: bool) -> None:
    assert classify(status, code) == (kind, maybe)


def test_retry_after_reads_the_header_whatever_its_case() -> None:
    assert retry_after({"Retry-After": "30"}) == 30
    assert retry_after({"retry-after": ["2"]}) == 2
    assert retry_after({}) == 1.0 and retry_after({"Retry-After": "soon"}) == 1.0


def test_retry_after_is_always_a_finite_wait() -> None:
    """HTTP allows a date; `inf` and `nan` parse as floats, and an endless hold would sleep
    delivery forever (time.sleep overflows on a huge one)."""
    now = datetime(2015, 10, 21, 7, 28, tzinfo=UTC)
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"}, now=now) == 30
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:27:00 GMT"}, now=now) == 0
    assert retry_after({"Retry-After": "inf"}) == 1.0 and retry_after({"Retry-After": "nan"}) == 1
    assert retry_after({"Retry-After": "-5"}) == 0 and retry_after({"Retry-After": "0.5"}) == 0.5
    assert retry_after({"Retry-After": "1e300"}) == MAX_RETRY_AFTER


def test_retry_delays_grow_then_the_alert_fails() -> None:
    cfg = SlackConfig()
    now = datetime(2025, 2, 1, tzinfo=UTC)
    waits = [retry_time(cfg, n, now) for n in range(8)]
    assert [w - now if w else None for w in waits] == [
        timedelta(0),
        timedelta(minutes=5),
        timedelta(minutes=20),
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
        None,
        None,
    ]
    assert sum(cfg.retry_delays_minutes) / 60 > 7  # spread over hours


def test_config_refuses_an_unknown_time_zone() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        SlackConfig(timezone="Mars/Olympus")


def test_digest_period_ends_at_the_last_whole_hour_in_the_zone() -> None:
    seoul = ZoneInfo("Asia/Seoul")
    now = datetime(2025, 2, 21, 0, 0, 40, tzinfo=UTC)  # 09:00:40 in Seoul
    assert window(now, parse_duration("24h"), seoul) == (
        datetime(2025, 2, 20, 0, 0, tzinfo=UTC),
        datetime(2025, 2, 21, 0, 0, tzinfo=UTC),
    )
    later = now + timedelta(minutes=50)
    assert window(later, timedelta(hours=24), seoul) == window(now, timedelta(hours=24), seoul)
    assert parse_duration("90m") == timedelta(minutes=90) and parse_duration("7d").days == 7
    with pytest.raises(ValueError):
        parse_duration("yesterday")


def _story(i: int) -> DigestStory:
    return DigestStory(
        i, f"Story {i} " + "x" * 180, f"https://ex.com/{i}", "wire", 1 + i % 3, datetime.now(UTC)
    )


def test_a_long_digest_is_split_within_slack_limits() -> None:
    since, until = datetime(2025, 2, 20, tzinfo=UTC), datetime(2025, 2, 21, tzinfo=UTC)
    messages = build_digest("#ai-policy", [_story(i) for i in range(600)], since, until, UTC, 9)
    assert len(messages) > 1
    seen = []
    for n, message in enumerate(messages, start=1):
        assert len(message.blocks) <= 50
        for block in message.blocks[1:]:
            assert len(block["text"]["text"]) <= 3000
            seen += [line for line in block["text"]["text"].split("\n") if line]
        assert f"part {n} of {len(messages)}" in message.text
        assert message.marker is not None and message.marker.id == f"9:{n}"
    assert len(seen) == 600  # every story once, in order
    assert "Story 0 " in seen[0] and "3 sources" in seen[2]
    [single] = build_digest("#x", [_story(1)], since, until, ZoneInfo("Asia/Seoul"))
    assert "KST" in single.text and "part" not in single.text


@pytest.mark.parametrize("day", ["2025-03-29", "2025-10-25"])  # before each DST change
def test_daily_digests_at_a_fixed_local_hour_tile_across_a_dst_change(day: str) -> None:
    """A digest scheduled daily at 09:00 in `slack.timezone` (a zone with DST): each period
    starts where the day before's ended. Counted as 24 hours of UTC, the autumn change left an
    hour's stories out of every digest and the spring change put an hour's in two."""
    berlin = ZoneInfo("Europe/Berlin")
    first = datetime.fromisoformat(f"{day}T09:00:30").replace(tzinfo=berlin)
    periods = [
        window((first + timedelta(days=n)).astimezone(UTC), timedelta(hours=24), berlin)
        for n in range(3)
    ]
    for (_, end), (start, _) in itertools.pairwise(periods):
        assert start == end
    assert all(end.astimezone(berlin).hour == 9 for _, end in periods)
    # a period shorter than a day stays that long in real time
    spring = datetime(2025, 3, 30, 3, 10, tzinfo=berlin).astimezone(UTC)  # just after 02→03
    since, until = window(spring, timedelta(hours=2), berlin)
    assert until - since == timedelta(hours=2)
