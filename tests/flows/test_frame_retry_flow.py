"""The real `monitor` flow over a linked page that is only a frame around the article (a blog's
post frame), the framed page's download failing softly (a 503) on the first pass. The entry is
stored from its teaser, the failure counted in `pages_failed`, and the framed article read on a
later pass, as a plain page that failed softly would be: what only its body says is announced
once."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.devsite import serve
from tests.flows.test_monitor_flow import run_monitor
from tests.flows.test_page_retry_flow import OPEN_WEIGHT
from tests.flows.test_stopped_page_retry_flow import (
    FRAME_PAGE,
    FRAMED,
    PAGE,
    TEASER,
    TITLE,
    _config,
    _row,
    _site,
)
from tests.support.dedup_set import render
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_a_frame_whose_download_failed_softly_is_read_again_on_a_later_pass(
    tmp_path: Path, slack: FakeSlack
) -> None:
    root = tmp_path / "site"
    _site(root)
    (root / "desk/hidden.html").write_text(FRAME_PAGE)
    (root / "desk/post.html").write_bytes(render("origin", "en", TITLE, OPEN_WEIGHT))
    with serve(root) as site:
        config = _config(tmp_path, site, retries=2)
        site.routes[FRAMED] = {"status": 503}  # the framed article's host is down, for now
        totals = run_monitor(config)
        first = _row(tmp_path)
        assert (first.text_source, first.text) == ("feed-summary", TEASER)
        assert first.page_retry_at is not None and first.page_attempts == 1, first.extraction_note
        assert slack.top_level() == []

        del site.routes[FRAMED]  # up again: the framed article is read, it replaces the teaser
        second = run_monitor(config)
        read = _row(tmp_path)
        assert read.text_source == "page" and "open-weight checkpoints" in read.text
        assert (second.pages_retried, second.pages_recovered) == (1, 1)
        assert read.page_retry_at is None and read.page_attempts == 2
        assert site.paths_requested().count(FRAMED) == 2
    # a download that failed, as a plain page's would be
    assert (totals.pages_failed, totals.pages_stopped) == (1, 0), totals.line()
    [post] = slack.top_level()
    assert post["channel"] == "#os" and PAGE in str(post)
