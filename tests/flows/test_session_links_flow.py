"""A feed that puts a servlet session id in its links (`story.html;jsessionid=…`, a new one
each time it is generated): the real `monitor` flow, run twice, knows the story the second
time instead of fetching its page again and storing it as another article."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.flows.test_monitor_flow import run_monitor
from tests.flows.test_near_duplicates_flow import _feed, _item
from tests.flows.test_page_retry_flow import OPEN_WEIGHT, write_one_term_config
from tests.support.dedup_set import render
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")

TITLE = "Lab ships its new model"


def test_a_link_with_another_session_id_is_the_same_page(tmp_path: Path, slack: FakeSlack) -> None:
    from newsmon.devsite import serve

    root = tmp_path / "site"
    (root / "desk").mkdir(parents=True)
    (root / "feeds").mkdir()
    (root / "desk/story.html").write_bytes(render("origin", "en", TITLE, OPEN_WEIGHT))

    def feed(session: str) -> bytes:
        link = f"{{{{BASE}}}}/desk/story.html;jsessionid={session}"
        return _feed("desk", [_item(TITLE, link, "An open-weight launch.")])

    with serve(root) as site:
        for session in ("A1B2C3", "D4E5F6"):
            site.routes[f"/desk/story.html;jsessionid={session}"] = {"file": "desk/story.html"}
        config = write_one_term_config(tmp_path, site.base, [("desk", "/feeds/desk.xml")])
        (root / "feeds/desk.xml").write_bytes(feed("A1B2C3"))
        first = run_monitor(config)
        (root / "feeds/desk.xml").write_bytes(feed("D4E5F6"))
        second = run_monitor(config, force=True)
        pages = [p for p in site.paths_requested() if p.startswith("/desk/")]

    assert (first.new_articles, len(slack.top_level())) == (1, 1)
    assert (second.new_articles, second.duplicates, second.already_seen) == (0, 0, 1)
    assert pages == ["/desk/story.html;jsessionid=A1B2C3"]
    assert len(slack.top_level()) == 1
