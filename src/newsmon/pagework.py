"""What a page's tree will cost trafilatura, measured before it runs.

trafilatura's link-density step reads, for every block, every link and the text below it: its
time is the sum over elements of how many blocks they sit in. A page of 98,000 links 250
blocks deep (under `extract.MAX_PAGE_TAGS`) cost 40 s of CPU against a worker's 10 s budget.
The sum of the elements' depths is measured in one pass over the tree; a page over
`MAX_TREE_WORK` is refused with a note (the entry's JSON-LD or feed summary is used instead).
The 183 real pages of ../shared/corpus measure 1,000-21,300; the refused page 24.8 million.
"""

from __future__ import annotations

from typing import Any

import lxml.etree

# element-levels (each element counted once per element above it), ~2.4 us of trafilatura's
# CPU each on a page of nested links: about 2.5 s at the bound
MAX_TREE_WORK = 1_000_000


class PageTooDeep(Exception):
    """A page whose tree would cost trafilatura more than `MAX_TREE_WORK`."""


def tree_work(root: Any, limit: int = MAX_TREE_WORK) -> int:
    """The sum of the depths of `root`'s elements, counted up to just past `limit`."""
    depth = total = 0
    for event, _element in lxml.etree.iterwalk(root, events=("start", "end")):
        if event == "end":
            depth -= 1
            continue
        depth += 1
        total += depth
        if total > limit:
            break
    return total


def check_tree_work(root: Any) -> None:
    """PageTooDeep when `root` is over `MAX_TREE_WORK`."""
    if tree_work(root) > MAX_TREE_WORK:
        raise PageTooDeep(f"page too deep to extract (over {MAX_TREE_WORK} element-levels)")
