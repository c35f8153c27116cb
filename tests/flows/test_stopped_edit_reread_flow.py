"""The real `monitor` flow over an edit whose page's worker was stopped through no fault of the
page's (killed twice: `Stop.DIED`). The feed changed an entry already stored, so its page is read
again; the worker reading it died. The stored article stays as it was, the pass counts the page
as stopped, and the edit is read again on a later pass: what only the edited body says (a topic)
is announced then."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from newsmon.devsite import serve
from tests.flows.test_monitor_flow import run_monitor
from tests.flows.test_near_duplicates_flow import _feed, _item
from tests.flows.test_page_retry_flow import OPEN_WEIGHT
from tests.flows.test_stopped_page_retry_flow import (
    HEAVY,
    PAGE,
    TEASER,
    TITLE,
    WorkerStopper,
    _config,
    _row,
)
from tests.support.dedup_set import render
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")

# the story before its edit: no topic in it
BEFORE = (
    "The laboratory described a new reasoning model on Tuesday, with a technical report about "
    "the data mixture it was trained on and the benchmarks it was measured with.",
    "Researchers said it matches larger systems on mathematics, although it trails them on "
    "long documents, and the company promised further sizes in the spring.",
)
EDITED = f"{TITLE}, weights out"


def _feed_of(root: Path, title: str) -> None:
    (root / "feeds/desk.xml").write_bytes(_feed("desk", [_item(title, "{{BASE}}" + PAGE, TEASER)]))


def test_an_edit_whose_worker_died_keeps_the_article_and_is_read_again_on_a_later_pass(
    tmp_path: Path, slack: FakeSlack
) -> None:
    root = tmp_path / "site"
    (root / "desk").mkdir(parents=True)
    (root / "feeds").mkdir()
    (root / "desk/hidden.html").write_bytes(render("origin", "en", TITLE, BEFORE))
    _feed_of(root, TITLE)
    with serve(root) as site:
        config = _config(tmp_path, site, retries=2)
        run_monitor(config)
        first = _row(tmp_path)
        assert first.text_source == "page" and "technical report" in first.text

        # the feed edits the entry; the worker reading its page is killed under it twice
        _feed_of(root, EDITED)
        (root / "desk/hidden.html").write_bytes(HEAVY)
        with WorkerStopper(site, signal.SIGKILL, 2) as stopper:
            stopped = run_monitor(config)
        assert len(stopper.hits) == 2, "the page's worker was not found at its work"
        kept = _row(tmp_path)
        assert (kept.text_source, kept.text) == ("page", first.text)  # the article stays

        # the host is itself again: the edit is read, and its topic announced
        (root / "desk/hidden.html").write_bytes(render("origin", "en", EDITED, OPEN_WEIGHT))
        again = run_monitor(config)
        read = _row(tmp_path)
        assert read.text_source == "page" and "open-weight checkpoints" in read.text
        assert again.updated == 1, again.line()
        assert run_monitor(config).updated == 0  # read, the edit is not read again
        assert site.paths_requested().count(PAGE) == 3
    # the stopped page is counted as such, not as a download failure nor as an update
    assert (stopped.pages_failed, stopped.pages_stopped, stopped.updated) == (0, 1, 0)
    [post] = slack.top_level()
    assert post["channel"] == "#os" and PAGE in str(post)


def test_an_edit_whose_download_failed_is_read_again_though_the_feed_then_answers_304(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """The edit's page answered 503; the feed, unchanged since, answers 304 to the next pass:
    the edit is read all the same (before: the 304 hid it from every later pass)."""
    root = tmp_path / "site"
    (root / "desk").mkdir(parents=True)
    (root / "feeds").mkdir()
    (root / "desk/hidden.html").write_bytes(render("origin", "en", TITLE, BEFORE))
    _feed_of(root, TITLE)
    with serve(root) as site:
        config = _config(tmp_path, site, retries=2)
        run_monitor(config)
        _feed_of(root, EDITED)
        (root / "desk/hidden.html").write_bytes(render("origin", "en", EDITED, OPEN_WEIGHT))
        site.routes[PAGE] = {"status": 503}
        failed = run_monitor(config)
        assert "technical report" in _row(tmp_path).text  # the article stays
        del site.routes[PAGE]
        again = run_monitor(config)
        assert "open-weight checkpoints" in _row(tmp_path).text, again.line()
    assert (failed.pages_failed, failed.updated, again.updated) == (1, 0, 1)
    [post] = slack.top_level()
    assert post["channel"] == "#os" and PAGE in str(post)
