"""Opening a corpus whose server does not answer: one line, and never the password.

A connection attempt to a closed loopback port, hence here rather than in tests/unit.
"""

import pytest

from newsmon.corpus import Store
from newsmon.corpus.records import StoreError


def test_an_unreachable_postgres_is_one_line_without_the_password() -> None:
    with pytest.raises(StoreError) as err:
        Store.open("postgresql+psycopg://newsmon:hunter2@127.0.0.1:9/newsmon")
    message = str(err.value)
    assert "hunter2" not in message and "***" in message and "\n" not in message
    assert message.startswith("database postgresql+psycopg://newsmon:***@127.0.0.1:9/newsmon")
