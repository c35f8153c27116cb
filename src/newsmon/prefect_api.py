"""Whether the Prefect API a command is pointed at answers, asked before a flow starts.

With `PREFECT_API_URL` left set to a server that is down, Prefect's client retried for about
seven minutes, silent, when the address accepted connections but never answered (a server
stopped mid-start, a tunnel left open). Any HTTP answer counts as answering (Prefect Cloud
may want credentials for /health): only an address that refuses or stays silent is stopped.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import httpx

from newsmon.urls import hide_secrets

# The longest wait for the API's first answer; Prefect's own request timeout when shorter.
PROBE_SECONDS = 10.0


class ApiAnswer(Enum):
    ANSWERS = "answers"
    REFUSED = "refused"  # nothing listens, or the host is unknown
    SILENT = "silent"  # connected, no answer in time


@dataclass(frozen=True)
class ApiProbe:
    url: str
    answer: ApiAnswer
    waited: float

    def problem(self) -> str | None:
        """One line for the operator, None when the API answers."""
        shown = hide_secrets(self.url)
        if self.answer is ApiAnswer.REFUSED:
            why = "refused the connection"
        elif self.answer is ApiAnswer.SILENT:
            why = f"did not answer within {self.waited:g} s"
        else:
            return None
        return (
            f"the Prefect API at {shown} (PREFECT_API_URL) {why}: start that server, "
            "or unset PREFECT_API_URL to run on a temporary local one"
        )


def probe_api(url: str, timeout: float = PROBE_SECONDS) -> ApiProbe:
    """Ask `url`/health once, waiting at most `timeout` seconds per step."""
    try:
        httpx.get(url.rstrip("/") + "/health", timeout=timeout)
    except httpx.TimeoutException:
        return ApiProbe(url, ApiAnswer.SILENT, timeout)
    except httpx.HTTPError:  # refused, unknown host, reset: nothing Prefect could use
        return ApiProbe(url, ApiAnswer.REFUSED, timeout)
    except httpx.InvalidURL:  # Prefect's own error says what is wrong with it
        return ApiProbe(url, ApiAnswer.ANSWERS, timeout)
    return ApiProbe(url, ApiAnswer.ANSWERS, timeout)


def home_problem(home: Path) -> str | None:
    """One line when Prefect's home cannot be made or written (None: it can). A temporary
    local API keeps its database there: without it, a run from cron or a systemd unit whose
    home is read-only or hidden (`ProtectHome=yes`) hung for minutes printing tracebacks."""
    try:
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=home):
            pass
    except OSError as exc:
        return (
            f"Prefect's home {home} (PREFECT_HOME) cannot be used: {exc.strerror or exc}: set "
            "PREFECT_HOME to a folder this user may write, or PREFECT_API_URL to a server"
        )
    return None
