"""The real `monitor` flow over pages that fail to download on the first pass: each is stored
from its feed's teaser at once and tried again on later passes, and what the teaser hid is
announced when the page is read, once.

Two feeds on loopback. "desk" links stories whose teasers name no topic or only one:
- `hidden`: 503 on the first pass; the article is open-weight news (the teaser says nothing);
- `partial`: 500 on the first pass; the teaser names a regulator (policy, announced at once),
  the article adds an open-weight release (open-source, announced when read);
- `gone`: 404: a permanent answer, never tried again;
- `copy`: 503 on the first pass; the article is, word for word, the story "wire" linked and
  announced on the first pass: when read it joins that story and says nothing new;
- `down-a`, `down-b`: on another site (127.0.0.2) that answers 503 all day: each is tried
  `page_retries` more times, then left with its teaser, and while the site is down a pass
  requests one of its pages, not both.
The topic rules are the test's own (one term a topic), so what is checked is the retry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus.records import DuplicateReason
from newsmon.corpus.schema import ArticleRow
from newsmon.devsite import SiteServer, serve
from tests.flows.test_monitor_flow import run_monitor
from tests.flows.test_near_duplicates_flow import _feed, _item
from tests.support.configs import config_data
from tests.support.dedup_set import render
from tests.support.fake_slack import FakeSlack
from tests.support.postgres import PG_URL, throwaway_schema

pytestmark = pytest.mark.usefixtures("prefect_harness")

TOPICS = """\
version: 2
topics:
  open-source:
    label: "Open-source AI"
    min_score: 1
    terms:
      en: ["open-weight"]
  policy:
    label: "AI policy"
    min_score: 1
    terms:
      en: ["regulator"]
"""
CHANNELS = {"open-source": "#os", "policy": "#policy"}
RETRIES = 2

OPEN_WEIGHT = (
    "The laboratory published the open-weight checkpoints of its new reasoning model on Tuesday, "
    "with the training code and a technical report describing the data mixture in detail.",
    "Researchers who tried the model said it runs on a single workstation and matches larger "
    "systems on mathematics benchmarks, although it trails them on long documents.",
    "The company said further sizes will follow in the spring and that the licence allows "
    "commercial use without a separate agreement or any registration.",
)
REGULATOR = (
    "The national competition regulator opened an inquiry into how the laboratory's new model "
    "was trained and which partners had early access to it before the launch.",
    "On the same day the laboratory released the model as an open-weight download, with "
    "checkpoints and code available to anyone under a permissive licence.",
    "The regulator said it would publish its first findings within three months and invited "
    "comments from developers, universities and consumer groups.",
)
WIRE = (
    "A second laboratory announced on Monday that its flagship model is now open-weight, "
    "publishing every checkpoint from the smallest to the largest size for download.",
    "The release includes the evaluation harness the team used, so outside researchers can "
    "reproduce the published scores on their own hardware and compare results.",
    "Engineers at several universities said they had already started to fine-tune the model "
    "for medical and legal documents in languages the original team did not cover.",
)
DOWN = ("This page never loads during the test, so its teaser stays the stored text.",) * 3


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not PG_URL, reason="NEWSMON_TEST_POSTGRES_URL is not set"),
            ],
        ),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'corpus.db'}"
    else:
        with throwaway_schema(prefix="retry") as url:
            yield url


def build_site(root: Path, other_site: str) -> dict[str, str]:
    """Write the pages and feeds; return each story's path (the down site's pages are served
    by `other_site` from the same folder)."""
    pages = {
        "hidden": ("Lab ships its new model", OPEN_WEIGHT, "A lab shipped a model on Tuesday."),
        "partial": (
            "Regulator looks at a new model",
            REGULATOR,
            "A regulator opened an inquiry into a lab.",
        ),
        "gone": ("A story that was taken down", DOWN, "A page that was removed."),
        "copy": ("Second lab opens its model", WIRE, "Another outlet's account of a launch."),
        "down-a": ("A story that never loads", DOWN, "A page that is down all day."),
        "down-b": ("Another that never loads", DOWN, "Its neighbour, down as well."),
    }
    desk = []
    for name, (title, paragraphs, teaser) in pages.items():
        if name != "gone":
            (root / f"desk/{name}.html").parent.mkdir(parents=True, exist_ok=True)
            (root / f"desk/{name}.html").write_bytes(render("origin", "en", title, paragraphs))
        base = other_site if name.startswith("down") else "{{BASE}}"
        desk.append(_item(title, f"{base}/desk/{name}.html", teaser))
    (root / "wire").mkdir()
    (root / "wire/origin.html").write_bytes(
        render("origin", "en", "Second lab opens its model", WIRE)
    )
    wire = [_item("Lab opens its flagship", "{{BASE}}/wire/origin.html", "An open-weight launch.")]
    (root / "feeds").mkdir()
    (root / "feeds/desk.xml").write_bytes(_feed("desk", desk))
    (root / "feeds/wire.xml").write_bytes(_feed("wire", wire))
    return {name: f"/desk/{name}.html" for name in pages} | {"wire": "/wire/origin.html"}


def waiting(db_url: str) -> dict[str, int]:
    store = Store.open(db_url)
    try:
        return {h.name: h.pages_waiting for h in store.feed_health()}
    finally:
        store.close()


def _posted(slack: FakeSlack, paths: dict[str, str]) -> list[tuple[str, str]]:
    by_path = {path: name for name, path in paths.items()}
    out = []
    for post in slack.top_level():
        text = post["blocks"][0]["text"]["text"]
        [name] = [n for p, n in by_path.items() if p in text]
        out.append((name, post["channel"]))
    return sorted(out)


def test_pages_that_failed_are_read_on_later_passes_and_announce_what_their_teaser_hid(
    tmp_path: Path, db_url: str, slack: FakeSlack
) -> None:
    since = utcnow()
    root = tmp_path / "site"
    root.mkdir()
    down_site = SiteServer(root.resolve(), host="127.0.0.2").start()
    try:
        paths = build_site(root, down_site.base)
        for name in ("down-a", "down-b"):
            down_site.routes[paths[name]] = {"status": 503}
        with serve(root) as site:
            run_passes(tmp_path, db_url, slack, site, down_site, paths)
    finally:
        down_site.stop()

    # the copy's source is named in the thread of the story it joined
    [reply] = slack.replies()
    assert "desk" in str(reply) and paths["copy"] in str(reply)

    store = Store.open(db_url)
    try:
        with store.session() as s:
            rows = {r.url.rsplit("/", 1)[-1]: r for r in s.scalars(select(ArticleRow))}
            hidden, copy, origin = rows["hidden.html"], rows["copy.html"], rows["origin.html"]
            assert hidden.text_source == "page" and "open-weight checkpoints" in hidden.text
            assert hidden.page_retry_at is None and hidden.page_attempts == 2
            for down in (rows["down-a.html"], rows["down-b.html"]):
                assert down.text_source == "feed-summary" and down.page_retry_at is None
                assert down.page_attempts == 1 + RETRIES
                assert down.extraction_note and f"{1 + RETRIES} tries" in down.extraction_note
            assert copy.duplicate_of_id == origin.id
            assert copy.duplicate_reason is DuplicateReason.HASH
            gone = rows["gone.html"]
            assert gone.page_retry_at is None and gone.page_attempts == 1
        # what `newsmon health` judges: the pages that could not be read in the end
        [desk] = [h for h in store.feed_health(pages_since=since) if h.name == "desk"]
        assert (desk.recent_articles, desk.recent_unread) == (6, 3)  # down-a, down-b, gone
        assert desk.last_page_error and desk.last_page_error.startswith("page fetch failed")
    finally:
        store.close()


def write_one_term_config(
    tmp_path: Path,
    base: str,
    feeds: list[tuple[str, str]],
    db_url: str | None = None,
    edit: Callable[[dict[str, Any]], None] | None = None,
    **options: Any,
) -> Path:
    """A configuration on the test's one-term topics (`TOPICS`, to `CHANNELS`); `edit` changes
    the configuration's data before it is written, `options` go to `config_data`."""
    topics = tmp_path / "topics.yaml"
    topics.write_text(TOPICS, encoding="utf-8")
    data = config_data(
        tmp_path,
        feeds=feeds,
        base=base,
        database_url=db_url,
        topics=topics,
        channels=CHANNELS,
        **options,
    )
    if edit is not None:
        edit(data)
    config = tmp_path / "newsmon.yaml"
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    return config


def write_retry_config(
    tmp_path: Path, site: SiteServer, feeds: list[tuple[str, str]], db_url: str | None = None
) -> Path:
    """The test's topics and `RETRIES`; a try is due again after milliseconds, not minutes,
    so every pass may try again."""

    def soon(data: dict[str, Any]) -> None:
        data["poll"] = {"soft_backoff_minutes": 0.0001}

    return write_one_term_config(
        tmp_path, site.base, feeds, db_url, soon, fetch={"page_retries": RETRIES}
    )


def run_passes(
    tmp_path: Path,
    db_url: str,
    slack: FakeSlack,
    site: SiteServer,
    down_site: SiteServer,
    paths: dict[str, str],
) -> None:
    config = write_retry_config(
        tmp_path, site, [("desk", "/feeds/desk.xml"), ("wire", "/feeds/wire.xml")], db_url
    )
    site.routes.update(
        {
            paths["hidden"]: {"status": 503},
            paths["partial"]: {"status": 500},
            paths["copy"]: {"status": 503},
        }
    )
    first = run_monitor(config)
    # the teasers alone: the regulator's story (policy) and the wire's open-weight story
    assert _posted(slack, paths) == [("partial", "#policy"), ("wire", "#os")]
    assert first.pages_failed == 6 and first.pages_retried == 0  # the 404 too
    assert waiting(db_url) == {"desk": 5, "wire": 0}
    feeds = CliRunner().invoke(app, ["feeds", "--config", str(config)])
    assert feeds.exit_code == 0 and feeds.output.count("pages to try again: 5") == 1

    for name in ("hidden", "partial", "copy"):  # the first site is back
        del site.routes[paths[name]]
    down_before = len(down_site.requests)
    second = run_monitor(config)
    # hidden, partial, copy and one page of the down site; its other page waits on it
    assert (second.pages_retried, second.pages_recovered, second.pages_postponed) == (4, 3, 1)
    assert len(down_site.requests) - down_before == 1
    # what the teasers hid, once; the copy joins the wire's story and says nothing new
    assert _posted(slack, paths) == [
        ("hidden", "#os"),
        ("partial", "#os"),
        ("partial", "#policy"),
        ("wire", "#os"),
    ]

    for _ in range(2 * RETRIES + 2):  # the down site's pages, one request a pass
        if waiting(db_url)["desk"] == 0:
            break
        down_before = len(down_site.requests)
        run_monitor(config)
        assert len(down_site.requests) - down_before == 1
    assert waiting(db_url) == {"desk": 0, "wire": 0}
    assert run_monitor(config).pages_retried == 0
    feeds = CliRunner().invoke(app, ["feeds", "--config", str(config)])
    assert "pages not downloaded: 3 of 6 articles in 7 days are their teasers" in feeds.output
    assert len(_posted(slack, paths)) == 4
    down_requests = down_site.paths_requested()
    for name in ("down-a", "down-b"):
        assert down_requests.count(paths[name]) == 1 + RETRIES
    requested = site.paths_requested()
    assert requested.count(paths["gone"]) == 1
    assert requested.count(paths["hidden"]) == 2


def test_a_feed_that_is_not_due_still_has_its_pages_tried_again(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """A publisher's long TTL (or a backoff) spaces the feed's polls, not its pages' tries:
    the page that failed is read on the next pass, though the feed is not fetched again."""
    root = tmp_path / "site"
    (root / "desk").mkdir(parents=True)
    (root / "desk/hidden.html").write_bytes(
        render("origin", "en", "Lab ships its new model", OPEN_WEIGHT)
    )
    item = _item("Lab ships its new model", "{{BASE}}/desk/hidden.html", "A lab shipped a model.")
    feed = _feed("desk", [item]).replace(b"<link>", b"<ttl>600</ttl><link>", 1)
    (root / "feeds").mkdir()
    (root / "feeds/desk.xml").write_bytes(feed)
    with serve(root) as site:
        config = write_retry_config(tmp_path, site, [("desk", "/feeds/desk.xml")])
        site.routes["/desk/hidden.html"] = {"status": 503}
        first = run_monitor(config)
        assert (first.pages_failed, slack.top_level()) == (1, [])  # the teaser names no topic
        del site.routes["/desk/hidden.html"]
        second = run_monitor(config)
        requested = site.paths_requested()
    assert (second.feeds_not_due, second.pages_retried, second.pages_recovered) == (1, 1, 1)
    assert requested.count("/feeds/desk.xml") == 1  # polled once: <ttl> is 10 hours
    assert requested.count("/desk/hidden.html") == 2
    [post] = slack.top_level()
    assert post["channel"] == "#os" and "/desk/hidden.html" in str(post)
