"""Many stored articles that look alike to the index: one site's stories under one standing
opening. The band look-up compares at most `clusters.MAX_CANDIDATES` of them; a teaser of one
of the stories must still find that story, and teasers of two stories must stay apart.

Every story of the site opens with the same paragraph (longer than the lead, `dedup.LEAD_CHARS`),
so every story has the same lead keys: to the lead index they are one text. The stories after it
are synthetic (words of the labelled set in random order, a different draw per story): unrelated
texts look unrelated to the index. Real Store, on SQLite and PostgreSQL (`db_url`).
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from functools import cache

from newsmon.clusters import MAX_CANDIDATES
from newsmon.corpus import Store
from newsmon.corpus.records import DuplicateReason, NewArticle
from tests.support.articles import new_article
from tests.support.dedup_set import DATA

INTRO = (
    "Policy Desk tracker: part of our running coverage of how governments regulate artificial "
    "intelligence, updated as agencies publish; the archive is on our site."
)
STORIES = MAX_CANDIDATES + 14  # more look-alikes than the look-up compares
T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)
ALERTS = {"#policy": ["policy"]}


@cache
def _words() -> tuple[str, ...]:
    return tuple(sorted(set(re.findall(r"[a-z]{4,}", (DATA / "en.txt").read_text().lower()))))


def story(i: int) -> tuple[str, str]:
    """Story `i` of the site: a headline, then the standing opening and ~2,500 characters of
    its own (long: a teaser of ~480 characters is a small part of it, as on real pages)."""
    r = random.Random(i)
    sentences = [" ".join(r.choices(_words(), k=14)).capitalize() + "." for _ in range(24)]
    title = f"Tracker update {i}: " + " ".join(r.choices(_words(), k=5))
    return title, f"{title}\n{INTRO}\n" + " ".join(sentences)


def page(i: int) -> NewArticle:
    title, text = story(i)
    when = T0 + timedelta(hours=i)
    return new_article(
        f"https://policydesk.example/{i}", text, signed=True, title=title, published_at=when
    )


def teaser(i: int) -> NewArticle:
    """Another outlet's feed summary of story `i`: its opening cut at a word near 480
    characters, stored without a page; half an hour after the story."""
    _, text = story(i)
    body = text.split("\n", 1)[1]
    cut = body[:480].rsplit(" ", 1)[0] + "…"
    return new_article(
        f"https://aggregator.example/{i}",
        cut,
        signed=True,
        title=f"Policy Desk: update number {i}",
        text_source="feed-summary",
        published_at=T0 + timedelta(hours=i, minutes=30),
    )


def stored_site(url: str) -> tuple[Store, list[int]]:
    store = Store.open(url)
    ids = []
    for i in range(STORIES):
        got = store.articles.add_article(page(i), alerts=ALERTS)
        assert got.duplicate_of is None, (i, got)  # look-alikes, each its own story
        ids.append(got.id)
    return store, ids


def test_a_teaser_finds_its_story_among_more_look_alikes_than_the_look_up_compares(
    db_url: str,
) -> None:
    store, ids = stored_site(db_url)
    try:
        for i in (STORIES - 1, 2):  # the newest story (the oldest ones fill the cap), an old one
            got = store.articles.add_article(teaser(i), alerts=ALERTS)
            assert (got.duplicate_of, got.duplicate_reason) == (ids[i], DuplicateReason.LEAD), i
            assert got.alerts_queued == 0, i  # the story was announced already: no second post
    finally:
        store.close()


def test_a_new_story_of_the_site_stays_apart_and_its_page_joins_its_teaser(db_url: str) -> None:
    store, _ = stored_site(db_url)
    try:
        # a story not stored yet: its teaser shares only the standing opening
        got = store.articles.add_article(teaser(STORIES), alerts=ALERTS)
        assert got.duplicate_of is None and got.alerts_queued == 1
        # and the page read after it joins the teaser's story, not a look-alike
        later = store.articles.add_article(page(STORIES), alerts=ALERTS)
        assert later.duplicate_of == got.id and later.alerts_queued == 0
    finally:
        store.close()
