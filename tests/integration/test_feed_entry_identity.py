"""Entries as CMSs really write them, told apart or kept one: several items that share one link
(a GUID that is the section's address, a live blog whose updates all link the page) or one
GUID (`<guid isPermaLink="false">1</guid>` on every item), and an item listed twice. The real
parser and pipeline against a loopback site; each pass reads the feed's bytes as served."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.devsite import SiteServer, serve
from tests.integration.test_fetching import BODY, articles, rss, run_pass, site_config
from tests.support.configs import make_config

# Three stories of one section, each on open source, none a copy of another.
STORIES = [
    (
        "메타, 라마 가중치 오픈소스로 공개",
        "메타가 새 언어모델 라마의 가중치를 오픈소스 라이선스로 내려받게 했다.",
    ),
    (
        "국내 스타트업, 번역 모델 가중치 오픈소스 공개",
        "서울의 한 스타트업이 한국어 번역 모델의 가중치를 깃허브에 오픈소스로 공개했다고 밝혔다.",
    ),
    (
        "구글 젬마 새 버전 오픈소스로 풀어",
        "구글이 젬마 모델 새 버전의 가중치를 누구나 쓰도록 오픈소스로 공개했다.",
    ),
]


def entry(story: int, link: str = "", guid: str = "") -> str:
    title, text = STORIES[story]
    parts = [f"<title>{title}</title>", f"<description>{text}</description>"]
    parts.append(f"<link>{link}</link>" if link else "")
    parts.append(guid)
    parts.append("<pubDate>Mon, 24 Feb 2025 09:00:00 +0900</pubDate>")
    return f"<item>{''.join(parts)}</item>"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteServer]:
    root = tmp_path / "site"
    root.mkdir()
    section = f"<html><body><article>{BODY}</article></body></html>"
    (root / "news").mkdir()
    (root / "news" / "index.html").write_text(section, encoding="utf-8")
    (root / "live.html").write_text(section, encoding="utf-8")
    (root / "_routes.json").write_text(json.dumps({}))
    with serve(root) as server:
        yield server


def publish(site: SiteServer, *items: str) -> None:
    (Path(site.root) / "feed.xml").write_text(rss("".join(items)), encoding="utf-8")


def test_items_whose_guid_is_the_section_address_are_each_a_story(
    tmp_path: Path, site: SiteServer
) -> None:
    """No `<link>`, and a permalink GUID naming the section: every item had the section's key,
    so the first was stored (with the section page's text) and the others never announced."""
    section = f"{site.base}/news/"
    guid = f"<guid>{section}</guid>"
    publish(site, entry(0, guid=guid), entry(1, guid=guid))
    config = site_config(tmp_path, site, {"cms": "/feed.xml"}, allow_private_networks=True)
    first = run_pass(config)["cms"]
    assert (first.new_articles, first.alerts_queued) == (2, 2), first
    assert "/news/" not in site.paths_requested()  # the section holds every item: not read
    publish(site, entry(2, guid=guid), entry(0, guid=guid), entry(1, guid=guid))
    again = run_pass(config, force=True)["cms"]
    assert (again.new_articles, again.alerts_queued, again.updated) == (1, 1, 0), again
    stored = articles(config)
    assert all(stored[title].url == section for title, _ in STORIES)


def test_live_blog_updates_linking_one_page_are_each_a_story(
    tmp_path: Path, site: SiteServer
) -> None:
    """A live blog's updates: one link, a GUID each. The second was taken for the first (never
    announced); a new update next pass for an edit of it (re-read, never announced)."""
    page = f"{site.base}/live.html"
    a = entry(0, page, '<guid isPermaLink="false">live-1</guid>')
    b = entry(1, page, '<guid isPermaLink="false">live-2</guid>')
    c = entry(2, page, '<guid isPermaLink="false">live-3</guid>')
    publish(site, b, a)
    config = site_config(tmp_path, site, {"live": "/feed.xml"}, allow_private_networks=True)
    assert run_pass(config)["live"].new_articles == 2
    publish(site, c, b, a)
    again = run_pass(config, force=True)["live"]
    assert (again.new_articles, again.alerts_queued, again.updated) == (1, 1, 0), again


def test_a_story_stored_alone_at_its_link_is_not_announced_again_when_another_joins_it(
    tmp_path: Path, site: SiteServer
) -> None:
    """The first update was stored under the page's key while it was the page's only entry; it
    keeps that row when a second update links the page too (a new key would announce it twice)."""
    page = f"{site.base}/live.html"
    a = entry(0, page, '<guid isPermaLink="false">live-1</guid>')
    b = entry(1, page, '<guid isPermaLink="false">live-2</guid>')
    publish(site, a)
    config = site_config(tmp_path, site, {"live": "/feed.xml"}, allow_private_networks=True)
    assert run_pass(config)["live"].new_articles == 1
    publish(site, b, a)
    again = run_pass(config, force=True)["live"]
    assert (again.new_articles, again.alerts_queued, again.updated) == (1, 1, 0), again
    publish(site, b, a)
    third = run_pass(config, force=True)["live"]
    assert (third.new_articles, third.alerts_queued, third.updated) == (0, 0, 0), third


def test_items_without_links_sharing_one_guid_are_each_a_story(
    tmp_path: Path, site: SiteServer
) -> None:
    """`<guid isPermaLink="false">1</guid>` on every item of a feed without links: one key for
    all, the second story never announced."""
    guid = '<guid isPermaLink="false">1</guid>'
    publish(site, entry(0, guid=guid), entry(1, guid=guid))
    config = site_config(tmp_path, site, {"cms": "/feed.xml"})
    first = run_pass(config)["cms"]
    assert (first.new_articles, first.alerts_queued) == (2, 2), first
    publish(site, entry(2, guid=guid), entry(0, guid=guid), entry(1, guid=guid))
    again = run_pass(config, force=True)["cms"]
    assert (again.new_articles, again.alerts_queued) == (1, 1), again


def test_an_item_listed_twice_is_one_story(tmp_path: Path, site: SiteServer) -> None:
    """The same item twice in one feed (two categories): one story, one alert, also when its
    GUID differs between the two listings."""
    page = f"{site.base}/live.html"
    twice = entry(0, page, '<guid isPermaLink="false">a-1</guid>')
    other = entry(0, page, '<guid isPermaLink="false">b-1</guid>')
    publish(site, twice, twice, other)
    config = site_config(tmp_path, site, {"cms": "/feed.xml"}, allow_private_networks=True)
    first = run_pass(config)["cms"]
    assert (first.entries, first.new_articles, first.alerts_queued) == (1, 1, 1), first


PLAIN = (
    "메타가 새 언어모델 라마 4를 내놓았다. 회사는 이번 모델이 이전 모델보다 추론 속도가 두 배 "
    "빠르고, 한국어와 일본어 성능이 크게 좋아졌다고 설명했다. 출시 행사는 캘리포니아 본사에서 "
    "열렸고, 개발자 수백 명이 참석했다. 회사 관계자는 앞으로 더 많은 언어를 지원하겠다고 말했다."
)
OPEN = PLAIN + (
    " 메타는 이날 라마 4의 가중치를 오픈소스 라이선스로 공개해 누구나 내려받아 쓸 수 있게 했다."
    " 오픈소스 커뮤니티는 공개된 가중치로 미세조정 모델을 잇달아 내놓고 있다."
)


def test_an_edit_that_makes_a_silent_story_match_announces_it_once(
    tmp_path: Path, site: SiteServer, db_url: str
) -> None:
    """A story stored without a topic (no alert) whose publisher then edits it into one (the
    weights are released as open source): the edit updated it in place and, edits never
    alerting, the story was never announced. It is announced once, as a page read at last is;
    a story announced already is not again."""
    root = Path(site.root)
    (root / "story.html").write_text(f"<html><body><article><p>{PLAIN}</p></article></body></html>")
    page = f"{site.base}/story.html"
    guid = '<guid isPermaLink="false">llama-4</guid>'

    def item(title: str) -> str:
        return f"<item><title>{title}</title><link>{page}</link>{guid}<description>{title}</description></item>"

    publish(site, item("메타, 라마 4 출시"))
    config = make_config(
        tmp_path, feeds=[("meta", "/feed.xml")], base=site.base, database_url=db_url
    )
    first = run_pass(config)["meta"]
    assert (first.new_articles, first.alerts_queued) == (1, 0), first
    (root / "story.html").write_text(f"<html><body><article><p>{OPEN}</p></article></body></html>")
    publish(site, item("메타, 라마 4 출시…가중치 오픈소스로 공개"))
    edited = run_pass(config, force=True)["meta"]
    assert (edited.updated, edited.alerts_queued) == (1, 1), edited
    publish(site, item("메타, 라마 4 출시…가중치 오픈소스 공개"))  # edited again: announced already
    again = run_pass(config, force=True)["meta"]
    assert (again.updated, again.alerts_queued) == (1, 0), again
