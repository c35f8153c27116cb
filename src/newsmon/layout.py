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

Many Korean CMSes and old boards write the body as text separated by ``<br>`` directly in a
``div`` or ``td``, and put their "[관련기사]", "▶ 관련기사", "☞" or "Related:" link lines in that
block: no ``<p>`` to prune, so the headlines of other stories stayed in the body. As Readability
does (``_replaceBrs``), a run of two or more ``<br>`` ends a paragraph: the text between runs
becomes ``<p>``s, which the link-paragraph rule then reads. Within a block, a line (up to a
``<br>``) that is one or more links to other pages of the same site and little else is removed
when it follows a "related" marker ("[관련기사]", "▶", "☞", "Related:", "Read more:"), the marker's
own line too; prose holding a link is never such a line (the link is a small share of it).

Blocks a page hides from its readers are removed: a ``div``, ``section``, list or table whose
class is "hide" or "hidden", or that has the ``hidden`` attribute (not ``until-found``, which
a reader's search opens). KBS keeps a print copy of each article in ``<div class="hide">``;
trafilatura drops an element whose class is "x hide" but not one whose first class is "hide",
so the article came out twice and each of its mentions counted twice for the topics. Inline
elements and buttons with such classes stay (removing them changed nothing on real pages but
which container trafilatura picked).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any
from urllib.parse import urlsplit

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


_HIDDEN_CLASSES = frozenset({"hide", "hidden"})
_HIDABLE_BLOCKS = ("div", "section", "article", "aside", "ul", "ol", "dl", "table", "p", "form")


def _hidden(element: Any) -> bool:
    hidden = element.get("hidden")
    if hidden is not None and hidden.strip().lower() != "until-found":
        return True
    return not _HIDDEN_CLASSES.isdisjoint(str(element.get("class") or "").lower().split())


def text_owners(root: Any, wanted: Callable[[str], bool]) -> Iterator[Any]:
    """The elements holding a piece of text (their own, or a child's tail) that `wanted`
    accepts, script and style aside; one walk of the tree, no string objects made for the
    pieces (an XPath over ``text()`` cost 1.6 ms a page)."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag not in ("script", "style") and element.text and wanted(element.text):
            yield element
        if element.tail and wanted(element.tail):
            parent = element.getparent()
            if parent is not None:
                yield parent


def remove_keeping_tail(element: Any) -> None:
    """Remove `element` from its parent, the text that follows it staying in place."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail and element.tail.strip():
        before = element.getprevious()
        if before is not None:
            before.tail = (before.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def prune_hidden_blocks(root: Any) -> int:
    """Remove every block of the tree `root` (lxml) hidden from readers (see the module's
    docstring); the number removed."""
    doomed = [block for block in root.iter(*_HIDABLE_BLOCKS) if _hidden(block)]
    for block in doomed:
        remove_keeping_tail(block)
    return len(doomed)


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
        remove_keeping_tail(para)
        removed += 1
    return removed


# Readability's phrasing content, with the old inline tags of Korean CMSes (font, u, nobr, ...):
# the content a paragraph is made of; any other element ends one
_PHRASING = frozenset(
    """a abbr audio b bdi bdo big br button cite code data datalist del dfn em embed font i img
    input ins kbd label mark math meter nobr noscript object output progress q ruby s samp
    script select small span strike strong sub sup textarea time tt u var wbr""".split()  # noqa: SIM905
)
# elements whose ``<br>`` runs are left alone: preformatted text, links, form fields
_KEEP_BRS = frozenset(
    "a button head label option pre script select style textarea title".split()  # noqa: SIM905
)


def _is_phrasing(element: Any) -> bool:
    tag = element.tag
    return not isinstance(tag, str) or tag in _PHRASING  # comments travel with the text


def _run_brs(kids: list[Any]) -> set[int]:
    """Positions of the ``<br>`` children that belong to a run of two or more (only blank
    text between them)."""
    run: set[int] = set()
    for i in range(len(kids) - 1):
        if kids[i].tag == "br" and kids[i + 1].tag == "br" and not (kids[i].tail or "").strip():
            run.update((i, i + 1))
    return run


def _new_para(parent: Any, text: str | None) -> Any:
    para = parent.makeelement("p", {})
    para.text = text
    return para


def _split_block(parent: Any) -> int:
    """Make paragraphs of the text between ``<br>`` runs of `parent`, the runs dropped; the
    number made. Only a block of text and inline elements is split: in one that mixes its
    text with ``div`` paragraphs (Blogger's posts), trafilatura kept the new ``<p>``s and
    dropped the ``div``s. Each child is moved at most once: linear in the children."""
    kids = list(parent)
    run = _run_brs(kids)
    if not run or not all(_is_phrasing(kid) for kid in kids):
        return 0
    made = 0
    para: Any = None  # the paragraph being filled
    anchor: Any = None  # the element the next paragraph goes after (None: the parent's start)
    text, parent.text = parent.text, None  # text waiting for a paragraph
    for i, kid in enumerate(kids):
        if i not in run:
            if para is None:
                para = _new_para(parent, text)
                _place(parent, anchor, para)
                anchor, text = para, None
                made += 1
            para.append(kid)  # its tail comes along: the text after it, up to the next child
            continue
        if text and text.strip():  # text between two runs, nothing else
            anchor = _place(parent, anchor, _new_para(parent, text))
            made += 1
        para = None
        text = kid.tail
        parent.remove(kid)
    if text and text.strip():
        _place(parent, anchor, _new_para(parent, text))
        made += 1
    if parent.tag == "p" or parent.tag in _PHRASING:
        parent.tag = "div"  # a paragraph of paragraphs is a block
    return made


def _place(parent: Any, anchor: Any, element: Any) -> Any:
    """Put `element` right after `anchor` in `parent` (first when None); returns it."""
    if anchor is None:
        parent.insert(0, element)
    else:
        anchor.addnext(element)
    return element


def split_br_paragraphs(root: Any) -> int:
    """Turn the text between runs of two or more ``<br>`` of every block of the tree `root`
    (lxml) into paragraphs, as Readability does (``_replaceBrs``); the number made."""
    parents: dict[Any, None] = {}
    for br in root.iter("br"):
        parent = br.getparent()
        if parent is not None and parent.tag not in _KEEP_BRS:
            parents[parent] = None
    return sum(_split_block(parent) for parent in parents)


# what opens a "related" line: a marker word, or a pointing sign leading the line
_MARKER = re.compile(
    r"관련\s*(?:기사|뉴스)|함께\s*(?:보면\s*좋은|볼\s*만한|읽으면\s*좋은)\s*(?:기사|뉴스)|추천\s*기사"
    r"|(?i:related(?:\s+(?:stories|story|articles|article|news|coverage|reading|posts?))?"
    r"|see\s+also|read\s+more|also\s+read|read\s+also|more\s+on\s+this(?:\s+story)?"
    # Portuguese, Spanish, German, French, Italian; then Japanese and Chinese
    r"|saiba\s+mais|leia\s+(?:também|mais)|veja\s+também|lea\s+también|te\s+puede\s+interesar"
    r"|lesen\s+sie\s+auch|mehr\s+zum\s+thema|(?:à\s+)?lire\s+aussi|sur\s+le\s+même\s+sujet"
    r"|leggi\s+anche)|関連(?:記事|ニュース)|(?:相关|相關|延伸)(?:阅读|閱讀|新闻|新聞|文章)|推荐阅读|推薦閱讀"
    r"|^\W*[☞▶▷►➤➜]"
)
# signs, brackets and bullets: not text of a line
_SIGNS = re.compile(r"[\W_]+")
# a line longer than this is not one headline
MAX_LINK_LINE = 200
# text pieces and links read of one element of a line, at most
_MAX_PIECES = 64


def site_host(url: str | None) -> str | None:
    host = urlsplit(url).hostname if url else None
    return _bare(host) if host else None


def _bare(host: str) -> str:
    for prefix in ("www.", "m."):
        if host.startswith(prefix):
            return host[len(prefix) :]
    return host


def to_other_page(href: str | None, host: str | None) -> bool:
    """Whether a link goes to another page of the site whose host is `host` (a relative link
    does; an absolute one when its host is that site, a subdomain of it or its parent)."""
    href = (href or "").strip()
    if not href or href.startswith("#"):
        return False
    try:
        parts = urlsplit(href)
        there = parts.hostname
    except ValueError:
        return False
    if parts.scheme and parts.scheme not in ("http", "https"):
        return False
    if not parts.netloc:
        return True
    if not there or not host:
        return False
    there = _bare(there)
    return there == host or there.endswith("." + host) or host.endswith("." + there)


class _Line:
    """The content of a block between two ``<br>`` (or a block's edge): the element holding
    its first text (its tail, or the block's text), the elements in it, the ``<br>`` ending it.
    Its text is read up to just over `MAX_LINK_LINE` characters (a longer line is no headline),
    so that a line costs a bounded amount whatever the page holds."""

    def __init__(self, start: Any) -> None:
        self.start = start
        self.items: list[Any] = []
        self.end: Any = None
        self.text: list[str] = []
        self.size = 0
        self.linked = 0  # characters of link text to other pages of the site

    def add_text(self, text: str | None) -> None:
        if text and self.size <= MAX_LINK_LINE:
            self.text.append(text)
            self.size += len(text)

    def add(self, kid: Any, host: str | None) -> None:
        self.items.append(kid)
        if not isinstance(kid.tag, str) or self.size > MAX_LINK_LINE:
            return
        for piece in islice(kid.itertext(), _MAX_PIECES):
            self.add_text(piece)
            if self.size > MAX_LINK_LINE:
                return
        for a in islice(kid.iter("a"), _MAX_PIECES):
            if to_other_page(a.get("href"), host):
                self.linked += _chars("".join(islice(a.itertext(), _MAX_PIECES)))

    def kind(self) -> str:
        """ "marker" (a related marker, maybe with links), "links" (links and signs only),
        "other"."""
        if self.size > MAX_LINK_LINE:
            return "other"
        text = "".join(self.text)
        total = _chars(_SIGNS.sub(" ", text))
        if not total:
            return "other"
        marked = _MARKER.search(text) is not None
        rest = _chars(_SIGNS.sub(" ", _MARKER.sub(" ", text))) if marked else total
        if self.linked and self.linked >= LINK_SHARE * rest:
            return "marker" if marked else "links"
        return "marker" if marked and not rest else "other"

    def blank(self) -> bool:
        return not self.items and not "".join(self.text).strip()


def _lines(block: Any, host: str | None) -> list[_Line]:
    """The lines of a block, in order; a child block ends a line and is in none."""
    lines = [_Line(None)]
    lines[0].add_text(block.text)
    for kid in block:
        if kid.tag == "br" or not _is_phrasing(kid):
            lines[-1].end = kid
            lines.append(_Line(kid))
        else:
            lines[-1].add(kid, host)
        lines[-1].add_text(kid.tail)
    return lines


def _drop_line(block: Any, line: _Line) -> None:
    """Remove a line: its text, its elements and the ``<br>`` ending it (whose tail, the next
    line's text, moves to the line's start)."""
    follow = None if line.end is None or line.end.tag != "br" else line.end
    rest = None if follow is None else follow.tail
    if line.start is None:
        block.text = rest
    elif line.start.tag == "br" or follow is not None:
        line.start.tail = rest
    for item in line.items:
        block.remove(item)
    if follow is not None:
        block.remove(follow)


def prune_related_lines(root: Any, url: str | None = None) -> int:
    """Remove, in every paragraph and block of ``<br>`` lines of the tree `root` (lxml), the
    lines of links to other pages of the site (`url`'s) that follow a "related" marker, and
    the marker's line (see the module's docstring); the number of lines removed."""
    host = site_host(url)
    blocks: dict[Any, None] = dict.fromkeys(root.iter("p"))  # a paragraph is a block of lines
    for br in root.iter("br"):
        parent = br.getparent()
        if parent is not None and parent.tag not in _KEEP_BRS:
            blocks[parent] = None
    removed = 0
    for block in blocks:
        lines = _lines(block, host)
        doomed: list[_Line] = []
        opened: _Line | None = None  # a marker line waiting for its links
        after_marker = False
        for line in lines:
            kind = line.kind()
            if kind == "marker" and line.linked:
                doomed.append(line)
                after_marker, opened = True, None
            elif kind == "marker":
                after_marker, opened = False, line
            elif kind == "links" and (after_marker or opened is not None):
                doomed.extend([opened, line] if opened is not None else [line])
                after_marker, opened = True, None
            elif not line.blank():
                after_marker, opened = False, None
        for line in reversed(doomed):
            _drop_line(block, line)
        removed += len(doomed)
    return removed


# what is not a page's story text: its chrome, scripts and forms
_NOT_CONTENT = ("nav", "footer", "aside", "script", "style", "noscript", "template", "form")
# what is left of a page's text once blocks are removed, at least, for them to be chrome
# around a story: a live blog's entries or a digest's items are the page's text
STORY_SHARE = 0.25


def _text_chars(element: Any) -> int:
    return sum(_chars(piece) for piece in element.itertext())


def page_chars(root: Any) -> int:
    """The amount of the page `root`'s text that may be its story (chrome aside)."""
    return _text_chars(root) - sum(
        _text_chars(el)
        for el in root.iter(*_NOT_CONTENT)
        if not any(a.tag in _NOT_CONTENT for a in el.iterancestors())
    )


def leaves_a_story(page: int, blocks: list[Any]) -> bool:
    """Whether a page of `page` characters (`page_chars`) keeps story text of its own besides
    `blocks` (comments, teasers), at least `STORY_SHARE` of theirs; if not, they are its story."""
    inside = sum(_text_chars(block) for block in blocks)
    return page - inside >= STORY_SHARE * inside
