"""A story the deployed release (tests/support/old_release.py: a5335bd) stored from a link whose
host ends in an ideographic full stop (`host。`), under the key it gave it (a trailing dot on
the host), is found by every lookup of a stored story by its link, not only by a feed's pass:
`backfill --urls` with that link or the plain one says `stored already` and requests nothing
(a real loopback server), and the corpus's lookup by key finds it. SQLite and PostgreSQL.

Before: only a feed's entry looked for the dotted key; a backfill fetched the page again and
stored (and with `--alerts` announced) the story a second time."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event

from newsmon.corpus import Store
from newsmon.devsite import SiteServer
from newsmon.pipeline import Context, PageOutcome, backfill_pages
from newsmon.urls import canonical_url
from tests.conftest import DEMO_SITE
from tests.integration.test_entry_keys_deployed import _deployed_key
from tests.support.articles import new_article
from tests.support.delivery import config_path, context
from tests.support.fake_slack import FakeSlack
from tests.support.old_release import deployed_source

# Tests of migrating, of old releases' corpora or of a corpus's first open: no copy of one at head.
pytestmark = pytest.mark.fresh_corpus

STORY = "/en/ftc-ai-inquiry.html"


def _stopped(url: str) -> str:
    """`url` with its host written ending in `。`, as some Korean feeds write `yna.co.kr。`."""
    parts = urlsplit(url)
    return parts._replace(netloc=f"{parts.hostname}\u3002:{parts.port}").geturl()


def _given(ctx: Context, urls: list[str]) -> list[PageOutcome]:
    async def go() -> list[PageOutcome]:
        async with ctx.fetching() as fetcher:
            return await backfill_pages(ctx, fetcher, urls, announce=True)

    return asyncio.run(go())


def test_a_backfill_finds_a_story_stored_under_the_dotted_key(
    db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    site = SiteServer(DEMO_SITE.resolve())
    site.start()
    ctx = context(config_path(tmp_path, db_url, default_channel="#ai-news"), fake)
    try:
        plain = site.url(STORY)
        stopped = _stopped(plain)
        deployed = _deployed_key(deployed_source(tmp_path / "old"), stopped)
        assert deployed != canonical_url(stopped) == canonical_url(plain)
        assert urlsplit(deployed).hostname == "127.0.0.1."  # the key the deployed release gave
        stored = ctx.store.add_article(new_article(deployed, "the story", url=stopped))
        outcomes = _given(ctx, [stopped, plain])
        found = ctx.store.known_articles([canonical_url(plain)])
        requested = site.paths_requested()
    finally:
        ctx.close()
        site.stop()
    assert [(o.fate, o.alerts_queued) for o in outcomes] == [("stored already", 0)] * 2
    assert requested == []
    assert found[canonical_url(plain)].id == stored.id


def test_a_row_under_a_dotted_key_is_found_by_its_own_page_only(db_url: str) -> None:
    """The dotted key is looked for by the plain key, and a row under it stands for the page
    its link gives: another page's row stored under the dotted form of this key is not it."""
    store = Store.open(db_url)
    try:
        ours = store.add_article(
            new_article("https://yna.co.kr./view/AKR1", url="https://www.yna.co.kr\u3002/view/AKR1")
        )
        store.add_article(
            new_article("https://yna.co.kr./view/AKR2", url="https://yna.co.kr/view/AKR9")
        )
        found = store.known_articles(["https://yna.co.kr/view/AKR1", "https://yna.co.kr/view/AKR2"])
    finally:
        store.close()
    assert {k: v.id for k, v in found.items()} == {"https://yna.co.kr/view/AKR1": ours.id}


def test_a_known_story_is_not_looked_for_under_its_dotted_key(db_url: str) -> None:
    """The dotted key is asked for only for a key found under no other: a story found under
    its own key (every entry of an unchanged feed, each pass) costs one key asked of the
    database, not two. Before: every lookup asked for both."""
    store = Store.open(db_url)
    sent: list[object] = []

    def watch(*args: Any) -> None:
        parameters = args[3]
        rows = parameters if isinstance(parameters, list) else [parameters]
        for row in rows:
            sent.extend(row.values() if isinstance(row, dict) else row or ())

    try:
        store.add_article(
            new_article("https://yna.co.kr/view/AKR1", url="https://yna.co.kr/view/AKR1")
        )
        event.listen(store.engine, "before_cursor_execute", watch)
        try:
            known = store.known_articles(["https://yna.co.kr/view/AKR1"])
            asked_known = list(sent)
            sent.clear()
            new = store.known_articles(["https://yna.co.kr/view/AKR2"])
        finally:
            event.remove(store.engine, "before_cursor_execute", watch)
    finally:
        store.close()
    assert list(known) == ["https://yna.co.kr/view/AKR1"]
    assert "https://yna.co.kr./view/AKR1" not in asked_known
    assert "https://yna.co.kr/view/AKR1" in asked_known
    assert new == {}
    assert "https://yna.co.kr./view/AKR2" in sent  # a story not found is looked for there
