"""Page layout read before extraction: tables that lay a page out turned into blocks, and
paragraphs that are lists of links to other stories taken out.

Old CMSes (many Korean papers, EUC-KR sites, boards) put the whole page in nested ``<table>``s:
menu, article, "related" and "most read" boxes and footer are rows and cells. trafilatura finds
no article container in them and, asked to keep tables, keeps the outer one whole, chrome and
all: each story of such a site then matched every topic its sidebar named, and two stories
sharing the sidebar were near-duplicates. As blocks (``div``), the cells are what they are:
the article's cell is found as an article and link lists are pruned as link lists.

Which tables are data is decided as Mozilla's Readability decides it (``_markDataTables``):
``role="presentation"`` or ``datatable="0"`` is layout; a summary, a caption or any ``th``,
``thead``, ``tfoot``, ``col``, ``colgroup`` is data; a table holding a table is layout; one
row or one column is layout; 10 rows or more than 4 columns is data; otherwise data when
rows x columns > 10. One change: a caption or header cell counts for the table it belongs to
only (Readability counts a nested table's too), so a page's layout table is not taken for data
because the article in it has a table of results. Data tables stay tables.

A paragraph of two or more links and little else (link text at least 80 % of its text) is a
"related" or "don't miss" box set inside the article ("[관련기사]" and two headlines, "Related:
A · B"): trafilatura prunes such paragraphs only under 60 characters, so a box of two headlines
of other stories stayed in the body and made their topics the story's.
"""

from __future__ import annotations

from typing import Any

_DATA_DESCENDANTS = ("col", "colgroup", "tfoot", "thead", "th")
_PARTS = ("tbody", "tr", "td", "th")


def _span(cell: Any, name: str) -> int:
    try:
        return max(1, int(str(cell.get(name) or "1").strip()))
    except ValueError:
        return 1


def _own(table: Any, tag: str) -> Any:
    """The table's first `tag` element that is not inside a table nested in it, or None."""
    for element in table.iter(tag):
        if next(element.iterancestors("table"), None) is table:
            return element
    return None


def _rows_and_columns(table: Any) -> tuple[int, int]:
    """Rows (with their rowspan) and the widest row's cells (with their colspan), as
    Readability counts them: every ``tr`` below the table, nested tables' too."""
    rows = columns = 0
    for row in table.iter("tr"):
        rows += _span(row, "rowspan")
        columns = max(columns, sum(_span(cell, "colspan") for cell in row.iter("td")))
    return rows, columns


def is_data_table(table: Any) -> bool:
    """Whether a ``<table>`` holds data (rows and columns to read as such) rather than lay
    out the page (Readability's test, see the module's docstring)."""
    if (table.get("role") or "").strip().lower() == "presentation":
        return False
    if (table.get("datatable") or "").strip() == "0":
        return False
    if table.get("summary"):
        return True
    caption = _own(table, "caption")
    if caption is not None and (len(caption) or (caption.text or "").strip()):
        return True
    if any(_own(table, tag) is not None for tag in _DATA_DESCENDANTS):
        return True
    if any(inner is not table for inner in table.iter("table")):
        return False
    rows, columns = _rows_and_columns(table)
    if rows == 1 or columns == 1:
        return False
    if rows >= 10 or columns > 4:
        return True
    return rows * columns > 10


def unwrap_layout_tables(root: Any) -> int:
    """Turn every layout table of the tree `root` (lxml) into ``div`` blocks, its rows and cells
    too (a nested data table stays a table), and text following one a paragraph; the number
    of tables turned."""
    layout = [t for t in root.iter("table") if not is_data_table(t)]
    if not layout:
        return 0
    chosen = set(layout)
    for part in [p for p in root.iter(*_PARTS)]:
        owner = next(part.iterancestors("table"), None)
        if owner is not None and owner in chosen:
            part.tag = "div"
    for table in layout:
        table.tag = "div"
        if table.tail and table.tail.strip():
            # text after a table starts a block of its own (a photo's table is often followed
            # by the lead sentence); as the tail of a div trafilatura would drop it with the div
            block = table.makeelement("p", {})
            block.text, table.tail = table.tail, None
            table.addnext(block)
    return len(layout)


# a paragraph whose link text is at least this share of its text is a list of links
LINK_SHARE = 0.8


def _chars(text: str) -> int:
    return len("".join(text.split()))


def prune_link_paragraphs(root: Any) -> int:
    """Remove every ``<p>`` of the tree `root` (lxml) that holds two or more links and little
    else (see the module's docstring), keeping the text that follows it; the number removed."""
    removed = 0
    for para in list(root.iter("p")):
        links = para.findall(".//a")
        parent = para.getparent()
        if len(links) < 2 or parent is None:
            continue
        total = _chars("".join(para.itertext()))
        linked = sum(_chars("".join(a.itertext())) for a in links)
        if not total or linked < LINK_SHARE * total:
            continue
        if para.tail and para.tail.strip():
            before = para.getprevious()
            if before is not None:
                before.tail = (before.tail or "") + para.tail
            else:
                parent.text = (parent.text or "") + para.tail
        parent.remove(para)
        removed += 1
    return removed
