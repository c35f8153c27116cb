"""How far this host's clock is ahead of a server's, from its answer's headers."""

from __future__ import annotations

from datetime import UTC, datetime

from newsmon.clock import ahead_of

RECEIVED = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)


def test_the_date_header_tells_the_servers_time_and_age_its_copy() -> None:
    assert ahead_of({"date": "Tue, 04 Mar 2025 11:00:00 GMT"}, RECEIVED) == 3600
    assert ahead_of({"date": "Tue, 04 Mar 2025 13:00:00 GMT"}, RECEIVED) == -3600
    # a cache's copy made 10 minutes ago keeps its origin's Date
    cached = {"date": "Tue, 04 Mar 2025 11:50:00 GMT", "age": "600"}
    assert ahead_of(cached, RECEIVED) == 0


def test_no_readable_date_says_nothing() -> None:
    for headers in ({}, {"date": ""}, {"date": "yesterday"}, {"date": "x" * 10_000}):
        assert ahead_of(headers, RECEIVED) is None
    # an Age that is no count is ignored, not read
    odd = {"date": "Tue, 04 Mar 2025 11:00:00 GMT", "age": "-5"}
    assert ahead_of(odd, RECEIVED) == 3600
