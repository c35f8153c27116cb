"""A page's CPU budget, pure parts: the soft RLIMIT_CPU a worker sets for one task (its limit
is cumulative over the process's life, so the task's budget is added to what it has used), the
wall-clock backstop, and what a worker killed by SIGXCPU or by the backstop means."""

from __future__ import annotations

import resource
import signal
from concurrent.futures import TimeoutError as FutureTimeout

import pytest
from pebble import ProcessExpired

from newsmon.cpubudget import Stop, backstop, cpu_limit, stopped

INF = resource.RLIM_INFINITY


@pytest.mark.parametrize(
    ("used", "budget", "hard", "limit"),
    [
        (0.0, 10.0, INF, 10),  # a new worker: the budget itself
        (5.0, 10.0, INF, 15),  # a worker that has served pages: what it used, plus the budget
        (5.2, 10.0, INF, 16),  # rounded up: never less than the budget, less than a second more
        (0.3, 0.5, INF, 1),
        (5.2, 10.0, 12, 12),  # never above a hard limit the worker was started under
    ],
)
def test_the_cpu_limit_is_what_the_worker_used_plus_the_budget(
    used: float, budget: float, hard: int, limit: int
) -> None:
    assert cpu_limit(used, budget, hard) == limit


def test_the_backstop_is_three_budgets_of_wall_time() -> None:
    assert backstop(10) == 30


def test_a_worker_killed_by_sigxcpu_is_a_page_over_its_budget() -> None:
    got = stopped(ProcessExpired("x", code=-signal.SIGXCPU), "extraction", 10, 1024, wall=30)
    assert got is not None and (got.stop, str(got)) == (Stop.TIME, "extraction exceeded 10 s")


def test_a_page_past_its_backstop_stalled_and_says_so() -> None:
    got = stopped(FutureTimeout(), "extraction", 10, 1024, wall=30)
    assert got is not None and got.stop is Stop.STALLED
    assert str(got) == "extraction stalled: not done in 30 s of wall time (budget 10 s)"


def test_feed_parsing_keeps_its_wall_clock_budget() -> None:
    got = stopped(FutureTimeout(), "feed parsing", 20, 1024)
    assert got is not None and (got.stop, str(got)) == (Stop.TIME, "feed parsing exceeded 20 s")
    died = stopped(ProcessExpired("x", code=-signal.SIGXCPU), "feed parsing", 20, 1024)
    assert died is not None and died.stop is Stop.DIED
