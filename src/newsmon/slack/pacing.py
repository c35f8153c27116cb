"""Pacing posts the way Slack asks: about one message per second per channel with short bursts,
an overall cap across channels, and a channel's `Retry-After` honoured for that channel alone.

Token buckets on a monotonic clock: a bucket holds up to `burst` tokens and refills at `rate`
per second; a post takes one. Times are plain floats from the caller's clock, so the schedule
is tested without sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    burst: int  # tokens held at most
    tokens: float = 0.0
    updated: float | None = None  # None: never used, full. Not a negative count: a post at
    # the time `ready_at` named can leave a hair below zero (float rounding), a spent bucket

    def _refill(self, now: float) -> None:
        if self.updated is None:
            self.tokens, self.updated = float(self.burst), now
            return
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def ready_at(self, now: float) -> float:
        """The earliest time a token is there (now, or when the refill reaches one)."""
        self._refill(now)
        if self.tokens >= 1.0:
            return now
        return now + (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0


@dataclass
class Pacer:
    """One bucket per channel, one for everything, and each channel's Retry-After."""

    interval: float = 1.0  # seconds per message and channel, sustained
    burst: int = 2  # messages one channel may get back to back
    overall_rate: float = 5.0  # messages per second across channels
    overall_burst: int = 5
    _channels: dict[str, TokenBucket] = field(default_factory=dict)
    _overall: TokenBucket | None = None
    _held: dict[str, float] = field(default_factory=dict)

    def _bucket(self, channel: str) -> TokenBucket:
        if channel not in self._channels:
            self._channels[channel] = TokenBucket(1.0 / self.interval, self.burst)
        return self._channels[channel]

    def _all(self) -> TokenBucket:
        if self._overall is None:
            self._overall = TokenBucket(self.overall_rate, self.overall_burst)
        return self._overall

    def ready_at(self, channel: str, now: float) -> float:
        """When `channel` may get its next message."""
        return max(
            self._bucket(channel).ready_at(now),
            self._all().ready_at(now),
            self._held.get(channel, now),
        )

    def take(self, channel: str, now: float) -> None:
        """A message to `channel` goes out now."""
        self._bucket(channel).take(now)
        self._all().take(now)

    def hold(self, channel: str, until: float) -> None:
        """Slack said Retry-After: nothing more to this channel before `until`."""
        self._held[channel] = max(until, self._held.get(channel, until))

    def held_for(self, channel: str, now: float) -> float:
        """Seconds Slack still asked `channel` to wait (Retry-After) at `now`; 0 when none."""
        return max(0.0, self._held.get(channel, now) - now)

    def holding(self, now: float) -> dict[str, float]:
        """Each channel Slack still asks to wait at `now`, and for how many seconds."""
        return {c: until - now for c, until in self._held.items() if until > now}
