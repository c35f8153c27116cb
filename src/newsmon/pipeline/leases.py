"""Time in delivery: the clock the schedule sleeps on, whether a claim still covers a call to
Slack, and when a message that failed is tried again."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Protocol

from newsmon.config import SlackConfig
from newsmon.corpus.records import Claim

MAX_WAIT_SECONDS = 60.0  # a channel told to wait longer (Retry-After) waits for a later pass


class Clock(Protocol):
    def monotonic(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


class RealClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def pause(clock: Clock, seconds: float, stopping: threading.Event) -> bool:
    """Wait `seconds` (a channel's pace) unless the pass is being stopped, which cuts a real
    wait short; False once it is: what is still claimed goes back instead of being posted."""
    if seconds > 0 and not stopping.is_set():
        if isinstance(clock, RealClock):
            stopping.wait(seconds)
        else:
            clock.sleep(seconds)
    return not stopping.is_set()


def claim_covers(claim: Claim, wait: float, timeout: float) -> bool:
    """Whether a call to Slack after `wait` seconds (under a minute) still ends well within
    the claim's lease — by `timeout`, half the lease at most. One posted after it could follow
    another delivery's claim, lookup and post: twice."""
    if wait > MAX_WAIT_SECONDS:
        return False
    margin = min(timeout, (claim.lease_until - claim.started).total_seconds() / 2)
    return time.monotonic() + wait + margin < claim.deadline


def retry_time(slack: SlackConfig, attempts_before: int, now: datetime) -> datetime | None:
    """When a message that failed transiently for the (attempts_before+1)-th time is tried
    again, or None when it has had all its attempts."""
    delays = slack.retry_delays_minutes
    if attempts_before >= len(delays):
        return None
    return now + timedelta(minutes=delays[attempts_before])
