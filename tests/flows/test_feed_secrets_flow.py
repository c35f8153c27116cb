"""Credentials a feed's server hands out, through the real `monitor` flow and the sample site on
loopback: a feed configured without a key that moves permanently to an address carrying one
(`?access_token=…`) is read, but the corpus never holds the key."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from flows.monitor import monitor

from newsmon.devsite import SiteServer
from tests.support.configs import write_config

pytestmark = pytest.mark.usefixtures("prefect_harness")

SECRET = "hunter2secret"


def corpus_texts_holding(database: Path, secret: str) -> list[tuple[str, str]]:
    """(table, value) for every text in the SQLite corpus that contains `secret`."""
    found = []
    with sqlite3.connect(database) as con:
        tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in con.execute(f'SELECT * FROM "{table}"'):
                found += [(table, v) for v in row if isinstance(v, str) and secret in v]
    return found


def test_a_permanent_move_to_an_address_with_a_key_is_followed_but_never_stored(
    tmp_path: Path, site: SiteServer
) -> None:
    moved = f"{site.base}/feeds/en-wire.xml?access_token={SECRET}"
    site.routes["/old-feed.xml"] = {"status": 301, "body": "", "headers": {"Location": moved}}
    config = write_config(
        tmp_path, feeds=[("wire", "/old-feed.xml", "en")], base=site.base, default_channel="#n"
    )
    first = asyncio.run(monitor(config_path=str(config), force=True))
    second = asyncio.run(monitor(config_path=str(config), force=True))

    assert first.feeds_ok == 1 and first.new_articles > 0
    assert second.feeds_ok == 1  # the key still reaches the publisher: the move is followed
    assert corpus_texts_holding(tmp_path / "corpus.db", SECRET) == []
    assert site.paths_requested().count("/old-feed.xml") == 2
