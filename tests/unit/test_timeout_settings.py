"""The `NEWSMON_*_TIMEOUT_SECONDS` variables of a worker's environment, read at import."""

from __future__ import annotations

import pytest
from flows.common import timeout_setting

NAME = "NEWSMON_MONITOR_TIMEOUT_SECONDS"


@pytest.mark.parametrize("raw", ["inf", "Infinity", "nan", "-inf", "0", "-5", "soon"])
def test_a_timeout_that_is_no_number_of_seconds_is_refused_naming_the_variable(
    raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`inf` (meant as "no limit") was taken: every pass then crashed at its start on
    "OverflowError: cannot convert float infinity to integer", a line that names neither the
    variable nor the fix; `nan` gave Prefect a timeout no time is ever over, nor under."""
    monkeypatch.setenv(NAME, raw)
    with pytest.raises(ValueError, match=NAME):
        timeout_setting(NAME, 60)


def test_a_timeout_in_seconds_is_read_and_an_empty_one_is_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(NAME, " 90.5 ")
    assert timeout_setting(NAME, 60) == 90.5
    monkeypatch.setenv(NAME, "")
    assert timeout_setting(NAME, 60) == 60
