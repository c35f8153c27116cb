"""A command stopped by a signal: Prefect's client retries end only on its temporary server.

Stopped as a whole (systemd, a `timeout` wrapper, Ctrl-C), `newsmon run` lost its temporary
Prefect server with it, and the client retried reporting the crash to it for ~70 s
(`tests/integration/test_stopped_pass_claims.py` bounds the end). A real server
(`PREFECT_API_URL`, a worker's runs) keeps its retries."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
from flows.common import Stopping
from prefect.settings import PREFECT_CLIENT_MAX_RETRIES, temporary_settings


@pytest.fixture
def retries() -> Iterator[None]:
    """Prefect's settings of this test alone, retried 5 times as by default."""
    with temporary_settings(updates={PREFECT_CLIENT_MAX_RETRIES: 5}):
        yield


@pytest.mark.usefixtures("retries")
def test_a_stop_on_the_temporary_server_ends_the_clients_retries() -> None:
    stopping = Stopping(temporary_server=True)
    assert stopping.stop(signal.SIGTERM)
    assert PREFECT_CLIENT_MAX_RETRIES.value() == 0
    assert stopping.signal is signal.SIGTERM


@pytest.mark.usefixtures("retries")
def test_a_stop_on_a_real_server_keeps_the_clients_retries() -> None:
    stopping = Stopping(temporary_server=False)
    assert stopping.stop(signal.SIGINT)
    assert PREFECT_CLIENT_MAX_RETRIES.value() == 5
    assert stopping.reason() == "stopped by SIGINT (Ctrl-C)"


@pytest.mark.usefixtures("retries")
def test_only_the_first_signal_stops() -> None:
    """A second signal during the cleanup cancels nothing more and names nothing else."""
    stopping = Stopping(temporary_server=True)
    assert stopping.stop(signal.SIGINT)
    assert not stopping.stop(signal.SIGTERM)
    assert stopping.signal is signal.SIGINT
