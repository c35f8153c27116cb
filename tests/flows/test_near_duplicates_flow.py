"""The real `monitor` flow over feeds carrying stories and their copies: one alert per story.

The site is generated into a temporary folder from the labelled set (tests/data/dedup/) and
served on loopback: an outlet publishes two stories (English, Korean) and two hard negatives
(another DeepSeek open-weights release, a parliamentary hearing on the same act the same day);
a wire site republishes the stories in its own template with rewritten headlines and links the
English one by its AMP URL and the Korean one with tracking parameters; a third site carries
an edited copy, a copy truncated to ~60 % and a re-wrapped one, plus a weekly digest quoting the
English story.
"""

from __future__ import annotations

import json
import re
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import pytest

from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.devsite import serve
from tests.flows.test_monitor_flow import run_monitor
from tests.support.configs import write_config
from tests.support.dedup_set import Piece, _variant, pieces, render
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")

STORIES = ("en-deepseek-r1", "ko-basic-act-decree")
NEGATIVES = ("en-deepseek-janus", "ko-basic-act-hearing", "en-weekly-digest")
CHANNELS = {"open-source": "#ai-open-source", "ai-safety": "#ai-safety", "policy": "#ai-policy"}


def _item(title: str, link: str, summary: str) -> str:
    return (
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
        f"<guid>{escape(link)}</guid><pubDate>{format_datetime(utcnow())}</pubDate>"
        f"<description>{escape(summary)}</description></item>"
    )


def _feed(name: str, items: list[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{name}</title><link>{{{{BASE}}}}/</link>{''.join(items)}</channel></rss>"
    ).encode()


def build_site(root: Path) -> None:
    by_id = {p.id: p for p in pieces()}
    feeds: dict[str, list[str]] = {"origin": [], "wire": [], "signal": []}
    routes: dict[str, dict[str, str]] = {}

    def page(path: str, body: bytes) -> str:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(body)
        return "{{BASE}}/" + path

    def carry(feed: str, p: Piece, title: str, link: str) -> None:
        feeds[feed].append(_item(title, link, p.paragraphs[0]))

    for pid in STORIES + NEGATIVES:
        p = by_id[pid]
        link = page(f"origin/{pid}.html", render("origin", p.lang, p.title, p.paragraphs))
        carry("signal" if pid == "en-weekly-digest" else "origin", p, p.title, link)
    for pid in STORIES:
        p = by_id[pid]
        for feed, variant in [
            ("wire", "headline"),
            ("signal", "rewrap-b"),
            ("signal", "edited"),
            ("signal", "truncated"),
        ]:
            title, _, body = _variant(p, variant)
            carry(feed, p, title, page(f"{feed}/{pid}-{variant}.html", body))
    # the AMP rendering, at its own path, and a tracking link to the original
    en, ko = by_id["en-deepseek-r1"], by_id["ko-basic-act-decree"]
    amp = page("origin/en-deepseek-r1.amp.html", render("b", "en", en.title, en.paragraphs))
    routes["/origin/en-deepseek-r1.html/amp"] = {
        "file": "origin/en-deepseek-r1.amp.html",
        "content_type": "text/html; charset=utf-8",
    }
    assert amp
    carry("wire", en, en.title, "{{BASE}}/origin/en-deepseek-r1.html/amp")
    carry("wire", ko, ko.title, "{{BASE}}/origin/ko-basic-act-decree.html?utm_source=x&fbclid=1")
    for name, items in feeds.items():
        (root / "feeds").mkdir(exist_ok=True)
        (root / "feeds" / f"{name}.xml").write_bytes(_feed(name, items))
    (root / "_routes.json").write_text(json.dumps(routes), encoding="utf-8")


def write_site_config(
    tmp_path: Path, base: str, feeds: tuple[str, ...] = ("origin", "wire", "signal")
) -> Path:
    return write_config(
        tmp_path,
        feeds=[(name, f"/feeds/{name}.xml") for name in feeds],
        base=base,
        channels=CHANNELS,
    )


def story_of(path: str) -> str:
    """The labelled story a page path belongs to (file names start with its id)."""
    name = path.removesuffix("/amp").rsplit("/", 1)[-1]
    return re.sub(r"(-(headline|rewrap-b|edited|truncated))?(\.amp)?\.html$", "", name)


def test_one_alert_per_story_across_copies(tmp_path: Path, slack: FakeSlack) -> None:
    site_root = tmp_path / "site"
    build_site(site_root)
    with serve(site_root) as site:
        config = write_site_config(tmp_path, site.base)
        totals = run_monitor(config)

        posted = []
        for post in slack.posts:
            link = re.match(r"\*<([^|>]+)\|", post["blocks"][0]["text"]["text"])
            assert link
            posted.append(story_of(urlsplit(link.group(1)).path))
        # exactly one alert per story: two stories with copies, three distinct hard negatives
        assert sorted(posted) == sorted(STORIES + NEGATIVES), [
            p["blocks"][0]["text"]["text"][:120] for p in slack.posts
        ]
        assert totals.new_articles == len(STORIES + NEGATIVES)
        # 4 copies of each story stored as duplicates; the AMP and tracking links are known URLs
        assert totals.duplicates == 8

        store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
        try:
            rows = store.list_articles(limit=100)
            heads = {story_of(urlsplit(a.url).path): a for a in rows if a.duplicate_of_id is None}
            assert set(heads) == set(STORIES + NEGATIVES)
            en = store.cluster(heads["en-deepseek-r1"].id)
            assert en is not None and len(en.members) == 5
            assert {story_of(urlsplit(m.url).path) for m in en.members} == {"en-deepseek-r1"}
            assert set(en.sources) == {"origin", "wire", "signal"}
            # the AMP link was never fetched as a new article, but the cluster remembers it
            urls = [m.url for m in en.members] + [s.url for s in en.sightings]
            assert any(u.endswith("/origin/en-deepseek-r1.html/amp") for u in urls)
            ko = store.cluster(heads["ko-basic-act-decree"].id)
            assert ko is not None and len(ko.members) == 5
            assert any("ko-basic-act-decree.html" in s.url for s in ko.sightings) or any(
                m.url.endswith("ko-basic-act-decree.html") for m in ko.members
            )
        finally:
            store.close()


def test_an_edit_under_the_same_url_updates_the_article_and_alerts_no_one(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """Only the feed that first stored an article can signal an edit (other feeds title the
    page their own way), so the outlet's feed goes first here; then the copies arrive."""
    site_root = tmp_path / "site"
    build_site(site_root)
    with serve(site_root) as site:
        run_monitor(write_site_config(tmp_path, site.base, ("origin",)))
        config = write_site_config(tmp_path, site.base)
        run_monitor(config)

        # The outlet edits the English story under the same URL: new headline, one paragraph
        # changed. The next pass re-reads it and updates the article; nobody is alerted again.
        slack.reset()
        en_piece = next(p for p in pieces() if p.id == "en-deepseek-r1")
        _, _, edited = _variant(en_piece, "edited")
        new_title = "DeepSeek R1: open weights, MIT licence (updated)"
        edited = edited.replace(en_piece.title.encode(), new_title.encode())
        (site_root / "origin" / "en-deepseek-r1.html").write_bytes(edited)
        feed_path = site_root / "feeds" / "origin.xml"
        feed_path.write_bytes(
            feed_path.read_bytes().replace(
                escape(en_piece.title).encode(), escape(new_title).encode()
            )
        )
        again = run_monitor(config)
        assert slack.posts == [] and again.alerts_sent == 0 and again.new_articles == 0
        assert again.updated == 1

    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        [original] = [
            a
            for a in store.list_articles(limit=100)
            if a.url.endswith("/origin/en-deepseek-r1.html")
        ]
        assert original.title == new_title
        assert en_piece.edit is not None and en_piece.edit[1][:40] in original.text
        cluster = store.cluster(original.id)
        assert cluster is not None and len(cluster.members) == 5  # same article, same cluster
    finally:
        store.close()
