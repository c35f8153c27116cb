"""Where a relative SQLite `database_url` lives: the configuration's project root, not the
directory a command happens to run in (cron runs in `$HOME`, a systemd unit without
`WorkingDirectory` in `/`). Before, `newsmon run --config /srv/newsmon/config/newsmon.yaml`
from another directory opened a new, empty corpus there and announced every story again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from newsmon.config import load_config
from newsmon.devsite import SiteServer
from newsmon.pipeline import Context, deliver, process_feeds
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack


def one_pass(config_file: Path) -> int:
    """A pass (feeds, then delivery) as `newsmon run` makes it, without Prefect: alerts sent."""
    config = load_config(config_file)
    ctx = Context.open(config)

    async def feeds() -> None:
        async with ctx.fetching() as fetcher:
            await process_feeds(ctx, fetcher, config.feeds)

    try:
        asyncio.run(feeds())
        return deliver(ctx).sent
    finally:
        ctx.close()


def project(tmp_path: Path, site: SiteServer, database_url: str) -> Path:
    """A checkout's layout: `<root>/config/newsmon.yaml`, the corpus under `<root>/data/`."""
    (tmp_path / "srv" / "config").mkdir(parents=True)
    path = write_config(
        tmp_path / "srv" / "config",
        feeds=[("frontier-wire", "/feeds/en-ai.atom", "en")],
        base=site.base,
        database_url=database_url,
    )
    with path.open("a", encoding="utf-8") as file:
        file.write("workers: 0\n")  # in the pass's process: no worker processes to start
    return path


def test_a_pass_from_another_directory_uses_the_same_corpus(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file = project(tmp_path, site, "sqlite:///data/newsmon.db")
    monkeypatch.chdir(tmp_path / "srv")  # `make run`: the checkout
    first = one_pass(config_file)
    assert first > 0 and len(slack.top_level()) == first
    assert (tmp_path / "srv" / "data" / "newsmon.db").is_file()  # where it always was

    cron_home = tmp_path / "home"
    cron_home.mkdir()
    monkeypatch.chdir(cron_home)  # cron: `newsmon run --config /srv/…/newsmon.yaml` from $HOME
    assert one_pass(config_file.resolve()) == 0
    assert len(slack.top_level()) == first  # nothing announced twice
    assert list(cron_home.iterdir()) == []  # no second corpus made
