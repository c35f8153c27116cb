"""A page read at last that makes its teaser a copy of a story, while both stories' alerts still
wait (Slack was down when they were stored): the story goes out once per channel.

A network incident takes down both a site and Slack. The teaser of "desk"'s copy names the topic
but reads as another story, so its alert is queued beside the wire story's; when the page is
read it is, word for word, the wire story. The copy's alert, still waiting, is held back: the
story is announced by the alert already queued for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus, DuplicateReason
from newsmon.corpus.schema import AlertRow, ArticleRow
from newsmon.devsite import serve
from tests.flows.test_monitor_flow import run_monitor
from tests.flows.test_near_duplicates_flow import _feed, _item
from tests.flows.test_page_retry_flow import WIRE, write_retry_config
from tests.support.dedup_set import render
from tests.support.fake_slack import FakeSlack, Scripted

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_a_page_read_at_last_does_not_announce_again_a_story_whose_alert_waits(
    tmp_path: Path, db_url: str, slack: FakeSlack
) -> None:
    root = tmp_path / "site"
    for folder in ("desk", "wire", "feeds"):
        (root / folder).mkdir(parents=True)
    page = render("origin", "en", "Second lab opens its model", WIRE)
    (root / "wire/origin.html").write_bytes(page)
    (root / "desk/copy.html").write_bytes(page)
    wire = [_item("Lab opens its flagship", "{{BASE}}/wire/origin.html", "An open-weight launch.")]
    teaser = "Another outlet says the second lab's new weights are open-weight now."
    desk = [_item("Second lab opens its model", "{{BASE}}/desk/copy.html", teaser)]
    (root / "feeds/wire.xml").write_bytes(_feed("wire", wire))
    (root / "feeds/desk.xml").write_bytes(_feed("desk", desk))

    with serve(root) as site:
        config = write_retry_config(
            tmp_path, site, [("wire", "/feeds/wire.xml"), ("desk", "/feeds/desk.xml")], db_url
        )
        site.routes["/desk/copy.html"] = {"status": 503}
        slack.channel_id("#os")  # the bot can see it: lookups after the outage work
        slack.outage = Scripted(503, {"ok": False, "error": "service_unavailable"})
        first = run_monitor(config)
        assert first.alerts_pending == 2 and not slack.top_level()  # both wait for Slack

        del site.routes["/desk/copy.html"]
        slack.outage = None
        second = run_monitor(config)
        assert second.pages_recovered == 1

    posted = [p["channel"] for p in slack.top_level()]
    assert posted == ["#os"], slack.top_level()
    store = Store.open(db_url)
    try:
        with store.session() as s:
            rows = {r.url.rsplit("/", 1)[-1]: r for r in s.scalars(select(ArticleRow))}
            copy, origin = rows["copy.html"], rows["origin.html"]
            assert copy.duplicate_of_id == origin.id
            assert copy.duplicate_reason is DuplicateReason.HASH
            statuses = {a.article_id: a.status for a in s.scalars(select(AlertRow))}
            assert statuses == {origin.id: AlertStatus.SENT, copy.id: AlertStatus.SKIPPED}
    finally:
        store.close()
