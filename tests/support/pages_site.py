"""A loopback site for the page-layout flow tests: pages from a folder of tests/data behind one
feed whose items carry a neutral teaser, so what gets classified is what the extractor takes
from each page; and the channels each page's alerts reached."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.flows.test_monitor_flow import alerts_posted
from tests.flows.test_near_duplicates_flow import _feed, _item
from tests.support.fake_slack import FakeSlack


def build_pages_site(
    root: Path,
    pages: Path,
    lang: str,
    linked: tuple[str, ...],
    *,
    title: str,
    teaser: str,
    unlinked: tuple[str, ...] = (),
) -> None:
    """`root`/`lang`/<name>.html for every page; the feed `root`/feeds/`lang`.xml links the
    `linked` ones (titled `title` 1, 2, …); `unlinked` pages are served but not in the feed."""
    (root / lang).mkdir(parents=True)
    items = []
    for n, name in enumerate(linked):
        # a teaser that says nothing of the topic: the page decides
        items.append(_item(f"{title} {n + 1}", f"{{{{BASE}}}}/{lang}/{name}.html", teaser))
    for name in linked + unlinked:
        shutil.copy(pages / f"{name}.html", root / lang / f"{name}.html")
    (root / "feeds").mkdir()
    (root / "feeds" / f"{lang}.xml").write_bytes(_feed(lang, items))


def channels_by_page(slack: FakeSlack) -> dict[str, list[str]]:
    """The channels each page's top-level alerts went to, by the page's file name."""
    posted: dict[str, list[str]] = {}
    for path, channel in alerts_posted(slack):
        posted.setdefault(Path(path).stem, []).append(channel)
    return posted
