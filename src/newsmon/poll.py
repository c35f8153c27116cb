"""When to poll a feed again: the feed's own hints on success, backoff on failure.

Pure functions of the response and the feed's failure count, so the schedule can be tested
without a clock or a network. A feed is never given up: the longest wait is bounded, and a
feed that recovers is back on the normal schedule at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from newsmon.config import PollConfig
from newsmon.dates import parse_date
from newsmon.fetch import FailureKind


class Severity(StrEnum):
    """How a feed's failure is backed off; stored as the feed's `failure_kind`."""

    SOFT = "soft"  # likely to pass: retry within minutes
    HARD = "hard"  # likely to last: retry within hours


# Permanent-looking answers: the URL is wrong or the thing there is not a feed.
HARD_STATUS = frozenset({400, 401, 403, 404, 405, 406, 410, 451})
# A refused certificate lasts until the site (or the trust store) changes; a feed whose bytes
# cost more than its parsing budget will cost it again (a retry within minutes would spend the
# budget each time).
HARD_FAILURES = frozenset(
    {
        FailureKind.NOT_A_FEED,
        FailureKind.OVER_BUDGET,
        FailureKind.REFUSED,
        FailureKind.BAD_ENCODING,
        FailureKind.CERTIFICATE,
    }
)
THROTTLE_STATUS = frozenset({429, 503})
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?([0-9]+)", re.I)
# Publishers' numbers are read as ASCII digits only ("²".isdigit() is true, int("²") raises)
# and clamped before they become a timedelta (which overflows past 999,999,999 days): every
# hint is capped to hours anyway.
_MAX_SECONDS = 10 * 365 * 24 * 3600
_DIGITS = re.compile(r"[0-9]+")


def seconds(text: str, unit: int = 1) -> timedelta | None:
    """A count of `unit` seconds written in ASCII digits, clamped to ten years; else None."""
    text = text.strip()
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text[-12:]) if len(text.lstrip("0")) <= 12 else _MAX_SECONDS
    return timedelta(seconds=min(value * unit, _MAX_SECONDS))


@dataclass(frozen=True)
class NextCheck:
    at: datetime
    reason: str


def retry_after(headers: dict[str, str], now: datetime) -> timedelta | None:
    """Retry-After as seconds or as an HTTP date."""
    raw = headers.get("retry-after", "").strip()
    if not raw:
        return None
    if _DIGITS.fullmatch(raw):
        return seconds(raw)
    when = parse_date(raw)
    return max(when - now, timedelta(0)) if when else None


def freshness(
    headers: dict[str, str], ttl_minutes: int | None, now: datetime
) -> tuple[timedelta, str] | None:
    """How long the publisher says the feed stays fresh: the longest of its hints."""
    hints: list[tuple[timedelta, str]] = []
    if ttl_minutes and ttl_minutes > 0:
        ttl = seconds(str(ttl_minutes), 60)
        if ttl is not None:
            hints.append((ttl, f"ttl {ttl_minutes} min"))
    match = _MAX_AGE.search(headers.get("cache-control", ""))
    if match and "no-cache" not in headers.get("cache-control", "").lower():
        max_age = seconds(match.group(1))
        if max_age is not None:
            hints.append((max_age, f"max-age {int(max_age.total_seconds())} s"))
    expires = parse_date(headers.get("expires"))
    if expires and expires > now:
        hints.append((expires - now, "Expires"))
    return max(hints, key=lambda h: h[0]) if hints else None


def after_success(
    config: PollConfig, now: datetime, headers: dict[str, str], ttl_minutes: int | None = None
) -> NextCheck:
    hint = freshness(headers, ttl_minutes, now)
    if hint is None:
        return NextCheck(now, "every pass")
    cap = timedelta(hours=config.max_interval_hours)
    wait, why = hint
    if wait > cap:
        wait, why = cap, f"{why}, capped at {config.max_interval_hours:g} h"
    return NextCheck(now + wait, why)


def severity(failure: FailureKind | None, status: int | None) -> Severity:
    """Hard for answers that will not change by themselves (a wrong URL, something that is not
    a feed or costs more than its parsing budget, an address newsmon refuses); soft for the
    rest (timeouts, DNS, 429, 5xx, ...)."""
    if status in HARD_STATUS or failure in HARD_FAILURES:
        return Severity.HARD
    return Severity.SOFT


def after_failure(
    config: PollConfig,
    now: datetime,
    failures: int,
    kind: Severity,
    headers: dict[str, str] | None = None,
    status: int | None = None,
) -> NextCheck:
    """`failures` counts this one too. Retry-After on 429/503 wins, bounded by
    `max_interval_hours`; otherwise the backoff doubles from its base up to `max_backoff_hours`."""
    cap = timedelta(hours=config.max_backoff_hours)
    if status in THROTTLE_STATUS:
        asked = retry_after(headers or {}, now)
        if asked is not None:
            limit = timedelta(hours=config.max_interval_hours)
            why = f"Retry-After {int(asked.total_seconds())} s"
            if asked > limit:  # the wait is the cap: saying only the request misled operators
                return NextCheck(now + limit, f"{why}, capped at {config.max_interval_hours:g} h")
            return NextCheck(now + asked, why)
    base = (
        timedelta(hours=config.hard_backoff_hours)
        if kind is Severity.HARD
        else timedelta(minutes=config.soft_backoff_minutes)
    )
    wait = min(base * (2 ** max(0, min(failures - 1, 20))), cap)
    return NextCheck(now + wait, f"{kind} failure #{failures}, backing off {_human(wait)}")


def _human(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes / 60:.0f} h"
