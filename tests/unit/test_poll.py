"""When a feed is due again: pure functions of the answer, the failure count and `now`."""

from datetime import UTC, datetime, timedelta

import pytest

from newsmon.config import PollConfig
from newsmon.fetch import FailureKind
from newsmon.poll import Severity, after_failure, after_success, freshness, retry_after, severity

NOW = datetime(2025, 2, 24, 12, 0, tzinfo=UTC)
CONFIG = PollConfig()  # 24 h interval cap, soft 5 min, hard 1 h, backoff cap 24 h


def http_date(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def test_no_hint_means_every_pass() -> None:
    nxt = after_success(CONFIG, NOW, {})
    assert (nxt.at, nxt.reason) == (NOW, "every pass")


@pytest.mark.parametrize(
    ("headers", "ttl", "wait", "reason"),
    [
        ({}, 90, timedelta(minutes=90), "ttl 90 min"),
        ({"cache-control": "public, max-age=600"}, None, timedelta(seconds=600), "max-age 600 s"),
        ({"cache-control": 'max-age="900"'}, None, timedelta(seconds=900), "max-age 900 s"),
        ({"expires": http_date(NOW + timedelta(hours=2))}, None, timedelta(hours=2), "Expires"),
        # the longest hint wins: the publisher said the feed will not change before then
        ({"cache-control": "max-age=3600"}, 30, timedelta(hours=1), "max-age 3600 s"),
        (
            {"cache-control": "max-age=60", "expires": http_date(NOW + timedelta(hours=3))},
            None,
            timedelta(hours=3),
            "Expires",
        ),
    ],
)
def test_the_feeds_own_hints(
    headers: dict[str, str], ttl: int | None, wait: timedelta, reason: str
) -> None:
    nxt = after_success(CONFIG, NOW, headers, ttl)
    assert (nxt.at - NOW, nxt.reason) == (wait, reason)


@pytest.mark.parametrize(
    "headers",
    [
        {"cache-control": "no-cache, max-age=600"},  # asks to revalidate every time
        {"cache-control": "No-Cache"},
        {"cache-control": "no-store"},  # about storing, not freshness: no hint either way
        {"expires": http_date(NOW - timedelta(minutes=1))},  # already stale
        {"expires": "0"},  # the common "expired" marker is not a date
        {"expires": "soon"},
    ],
)
def test_hints_that_do_not_delay_the_next_poll(headers: dict[str, str]) -> None:
    assert freshness(headers, None, NOW) is None
    assert after_success(CONFIG, NOW, headers).at == NOW


def test_no_store_does_not_cancel_a_max_age() -> None:
    hint = freshness({"cache-control": "no-store, max-age=300"}, None, NOW)
    assert hint == (timedelta(seconds=300), "max-age 300 s")


def test_hints_are_capped_at_max_interval() -> None:
    nxt = after_success(CONFIG, NOW, {"cache-control": "max-age=604800"})
    assert nxt.at == NOW + timedelta(hours=24)
    assert nxt.reason == "max-age 604800 s, capped at 24 h"
    short = after_success(PollConfig(max_interval_hours=0.5), NOW, {}, ttl_minutes=60)
    assert (short.at, short.reason) == (NOW + timedelta(minutes=30), "ttl 60 min, capped at 0.5 h")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", timedelta(seconds=120)),
        (" 0 ", timedelta(0)),
        (http_date(NOW + timedelta(minutes=15)), timedelta(minutes=15)),
        (http_date(NOW - timedelta(minutes=15)), timedelta(0)),  # a date gone by: at once
        ("Sunday, 24-Feb-25 12:30:00 GMT", timedelta(minutes=30)),  # RFC 850 form
        ("soon", None),
        ("", None),
        ("-5", None),
    ],
)
def test_retry_after_as_seconds_or_http_date(value: str, expected: timedelta | None) -> None:
    assert retry_after({"retry-after": value}, NOW) == expected


def test_retry_after_wins_on_429_and_503_bounded_by_max_interval() -> None:
    asked = after_failure(CONFIG, NOW, 1, Severity.SOFT, {"retry-after": "120"}, 429)
    assert (asked.at, asked.reason) == (NOW + timedelta(seconds=120), "Retry-After 120 s")
    dated = after_failure(
        CONFIG, NOW, 3, Severity.SOFT, {"retry-after": http_date(NOW + timedelta(hours=2))}, 503
    )
    assert dated.at == NOW + timedelta(hours=2)
    greedy = after_failure(CONFIG, NOW, 1, Severity.SOFT, {"retry-after": "2592000"}, 503)
    assert greedy.at == NOW + timedelta(hours=24)


def test_retry_after_is_ignored_outside_throttling_answers() -> None:
    nxt = after_failure(CONFIG, NOW, 1, Severity.SOFT, {"retry-after": "7200"}, 500)
    assert nxt.at == NOW + timedelta(minutes=5)
    bare = after_failure(CONFIG, NOW, 1, Severity.SOFT, {}, 429)  # 429 without a hint
    assert bare.at == NOW + timedelta(minutes=5)


@pytest.mark.parametrize(
    ("kind", "waits"),
    [
        (
            Severity.SOFT,
            [
                "5 min",
                "10 min",
                "20 min",
                "40 min",
                "80 min",
                "3 h",
                "5 h",
                "11 h",
                "21 h",
                "24 h",
                "24 h",
            ],
        ),
        (Severity.HARD, ["60 min", "2 h", "4 h", "8 h", "16 h", "24 h", "24 h"]),
    ],
)
def test_backoff_doubles_up_to_its_cap(kind: Severity, waits: list[str]) -> None:
    got = [after_failure(CONFIG, NOW, n, kind).reason for n in range(1, len(waits) + 1)]
    assert got == [f"{kind} failure #{n}, backing off {w}" for n, w in enumerate(waits, 1)]
    worst = after_failure(CONFIG, NOW, 10_000, kind)  # no overflow, never beyond the cap
    assert worst.at == NOW + timedelta(hours=24)


def test_backoff_bases_and_cap_come_from_the_configuration() -> None:
    config = PollConfig(soft_backoff_minutes=1, hard_backoff_hours=3, max_backoff_hours=5)
    assert after_failure(config, NOW, 2, Severity.SOFT).at == NOW + timedelta(minutes=2)
    assert after_failure(config, NOW, 1, Severity.HARD).at == NOW + timedelta(hours=3)
    assert after_failure(config, NOW, 2, Severity.HARD).at == NOW + timedelta(hours=5)


@pytest.mark.parametrize(
    ("failure", "status", "expected"),
    [
        (FailureKind.HTTP_CLIENT, 404, Severity.HARD),
        (FailureKind.HTTP_CLIENT, 410, Severity.HARD),
        (FailureKind.HTTP_CLIENT, 403, Severity.HARD),
        (FailureKind.NOT_A_FEED, 200, Severity.HARD),
        (FailureKind.OVER_BUDGET, 200, Severity.HARD),  # the same bytes would cost it again
        (FailureKind.REFUSED, None, Severity.HARD),
        (FailureKind.CERTIFICATE, None, Severity.HARD),
        (FailureKind.HTTP_CLIENT, 429, Severity.SOFT),  # throttled: it will pass
        (FailureKind.HTTP_SERVER, 503, Severity.SOFT),
        (FailureKind.TIMEOUT, None, Severity.SOFT),
        (FailureKind.DNS, None, Severity.SOFT),
        (FailureKind.CONNECTION, None, Severity.SOFT),
        (FailureKind.TOO_MANY_REDIRECTS, 302, Severity.SOFT),
        (None, 302, Severity.SOFT),  # a redirect without a Location
    ],
)
def test_hard_or_soft_by_failure_kind_and_status(
    failure: FailureKind | None, status: int | None, expected: Severity
) -> None:
    assert severity(failure, status) is expected


def test_severity_is_stored_as_its_plain_value() -> None:
    assert Severity.HARD.value == "hard" and f"{Severity.SOFT}" == "soft"
