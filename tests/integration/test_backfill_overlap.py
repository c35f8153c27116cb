"""A backfill overlapping a scheduled pass on one corpus (SQLite and PostgreSQL): the backfill
reads a batch of articles, the pass rewrites one of them (its page read at last), then the
backfill applies the rules to what it read. It must not undo what the pass just stored."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from newsmon.config import Config
from newsmon.corpus import Store
from newsmon.corpus.holds import Hold, HoldReason
from newsmon.corpus.records import AlertStatus, StoredMatch
from newsmon.pipeline import (
    Context,
    PageOutcome,
    backfill_pages,
    deliver,
    reclassify_batch,
    to_stored,
)
from newsmon.rules import Rules, load_rules
from tests.integration.test_concurrent_corpus import stories
from tests.support.articles import new_article
from tests.support.fake_slack import FakeSlack

RULES = """\
version: 2
topics:
  policy:
    terms: {en: ["FTC", "regulation"]}
"""
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
TEASER = "A short teaser about a watchdog."
PAGE = "The FTC opened an inquiry into AI chips; regulation of the sector may follow."
TITLE = "Watchdog looks at chips"
# A story's policy match and its alert in the default channel, as a pass stores them.
SPOKEN = ([StoredMatch("policy", 3, [], "snippet")], "v1", {"#ai-news": ["policy"]})


def load_rules_text(tmp_path: Path) -> Rules:
    rules_path = tmp_path / "topics.yaml"
    rules_path.write_text(RULES, encoding="utf-8")
    return load_rules(rules_path)


def test_a_page_read_at_last_during_a_backfill_keeps_its_matches_and_alert(
    db_url: str, tmp_path: Path
) -> None:
    """The pass reads the page of an article stored from its teaser while a backfill holds the
    teaser in its batch: the page matches policy and its alert is queued. The backfill then
    classified the teaser (no topic) and withdrew that alert: a story never announced."""
    rules = load_rules_text(tmp_path)
    store = Store.open(db_url)
    try:
        ctx = Context(Config(), rules, store)
        teaser = store.add_article(
            new_article("https://w.example/chips", TEASER, title=TITLE, text_source="feed")
        )
        assert rules.classify(TITLE, TEASER) == []

        batch = next(store.reclassify_batches(EPOCH, None))  # the backfill's read
        assert [r.id for r in batch] == [teaser.id]

        page = new_article("https://w.example/chips", PAGE, title=TITLE, signed=True)
        matches = to_stored(rules.classify(TITLE, PAGE))
        recovered = store.recover_page(
            teaser.id, TEASER, page, matches, rules.version, {"#policy": ["policy"]}
        )
        assert recovered.replaced and recovered.alerts_queued == 1  # the pass's write

        outcome = reclassify_batch(ctx, batch, queue_alerts=False)  # the backfill goes on

        assert [m.topic for m in store.matches_of(teaser.id)] == ["policy"]
        assert store.count_alerts(AlertStatus.PENDING) == 1
        assert store.count_alerts(AlertStatus.SKIPPED) == 0
        assert outcome.alerts_withdrawn == 0 and not outcome.removed
    finally:
        store.close()


def test_given_pages_with_alerts_do_not_announce_a_story_twice_in_a_channel(
    db_url: str, tmp_path: Path, slack: FakeSlack
) -> None:
    """R's teaser matched but was too old to announce (its alert held back); its page, read at
    last, showed R to be a copy of H, whose story was announced in #ai-news. An operator then
    backfills R's URL with `--alerts`: R's held-back alert was revived and H's story posted in
    #ai-news a second time."""
    store = Store.open(db_url)
    try:
        ctx = Context(Config(), load_rules_text(tmp_path), store)
        full, other = stories()[:2]
        note = Hold(HoldReason.TOO_OLD, "older than 24 h when first seen")
        store.add_article(new_article("https://h.example/s", full, signed=True), *SPOKEN)
        assert deliver(ctx, 10).sent == 1 and len(slack.top_level("#ai-news")) == 1

        r_url = "https://r.example/s"
        lone = store.add_article(
            new_article(r_url, other, signed=True, text_source="feed"),
            *SPOKEN,
            alert_status=AlertStatus.SKIPPED,
            alert_hold=note,
        )
        page = new_article(r_url, full, signed=True)
        recovered = store.recover_page(
            lone.id, other, page, *SPOKEN, alert_status=AlertStatus.SKIPPED, alert_hold=note
        )
        assert recovered.joined  # R is a copy of H's story now

        async def given_page() -> list[PageOutcome]:
            async with ctx.fetching() as fetcher:
                return await backfill_pages(ctx, fetcher, [r_url], announce=True)

        [outcome] = asyncio.run(given_page())
        assert outcome.fate == "stored already"
        deliver(ctx, 10)

        assert len(slack.top_level("#ai-news")) == 1, "H's story posted twice in #ai-news"
        assert outcome.alerts_queued == 0
    finally:
        store.close()


def test_a_given_page_a_pass_stores_meanwhile_is_still_announced_with_alerts(
    db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    """`backfill --urls --alerts` of a feed's old page while the scheduled pass reads that
    feed: the pass stores the page first (its alert held back, too old) while the backfill
    downloads it. The backfill's write then met the stored page and reported it `stored
    already` with nothing queued: the story the operator asked to announce never was."""
    from newsmon.devsite import SiteServer
    from newsmon.urls import canonical_url
    from tests.conftest import DEMO_SITE
    from tests.support.delivery import config_path, context

    path = "/en/ftc-ai-inquiry.html"
    site = SiteServer(DEMO_SITE.resolve(), routes={path: {"delay": 0.5}}).start()
    try:
        url = site.url(path)
        ctx = context(config_path(tmp_path, db_url, default_channel="#ai-news"), fake)
        try:

            async def overlapping() -> list[PageOutcome]:
                async with ctx.fetching() as fetcher:
                    given = asyncio.create_task(backfill_pages(ctx, fetcher, [url], announce=True))
                    while not site.requests:  # the backfill is downloading the page
                        await asyncio.sleep(0.01)
                    await asyncio.to_thread(  # the pass stores it meanwhile, too old
                        ctx.store.add_article,
                        new_article(canonical_url(url), PAGE, url=url, signed=True),
                        *SPOKEN,
                        alert_status=AlertStatus.SKIPPED,
                        alert_hold=Hold(HoldReason.TOO_OLD, "older than 24 h when first seen"),
                    )
                    return await given

            [page] = asyncio.run(overlapping())
            delivered = deliver(ctx, 10)
        finally:
            ctx.close()
    finally:
        site.stop()
    assert page.fate == "stored already" and page.alerts_queued == 1, page
    assert delivered.sent == 1 and len(fake.top_level("#ai-news")) == 1
