"""Boxes of site chrome known by their title, removed before extraction: "많이 본 뉴스", "Most
read", "관련기사", "Related stories", "댓글 3", "12 responses", "Tags", ...

News CMSes put such boxes inside the article's container, and when their class names are not
ones trafilatura knows (``rank_box``, ``box-popular``, ``cmt_wrap``, ``discussion``) and their
items carry a summary longer than the headline's link, nothing prunes them: the summaries of
other stories and readers' comments ("they should publish the open weights", "AI 기본법 시행령이나
빨리") became the story's text and made its topics. What every such box has, whatever its markup,
is its title, so the box is found by it:

- a heading (``h2``-``h6``) whose whole text is such a title (digits, signs and spaces aside)
  opens a section that runs to the next heading of the same or a higher rank or the end of its
  parent; the section is removed, heading included;
- any other short element whose whole text is such a title and that opens its parent (its first
  element, no text before it: ``<div class="cmt_head"><strong>댓글 3</strong></div>``) takes
  the rest of its parent with it.

A title's wrappers (``<header><h3>Trending</h3></header>``) are the title; an element holding
the title and anything else (an empty list a script fills) is the box, and what follows it is
not (Express's empty "Trending" box sits between two parts of the story).

A section holding the page's ``h1`` is never removed. A title is matched whole, so a story's
subheading that merely starts with a word ("Related work", "Comments from the minister") stays.
Titles are known in Korean and English, and Portuguese, Spanish, German, French, Italian,
Japanese and Chinese ("Saiba mais", "Mehr zum Thema", "À lire aussi", "関連記事", "延伸阅读").
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

from newsmon.layout import remove_keeping_tail

# titles, lower case with digits, signs and spaces removed
_TITLES = frozenset(
    """related relatedstories relatedarticles relatedposts relatednews relatedcoverage
    relatedcontent relatedreading relatedlinks morestories morenews moreonthisstory
    moreonthistopic mostread mostpopular mostviewed mostshared mostcommented mostwatched
    popular popularnow popularstories populararticles popularposts trending trendingnow
    trendingstories topstories editorspicks recommended recommendedforyou recommendedstories
    recommendedarticles youmayalsolike youmightalsolike youmaylike youmightlike youmayalsoenjoy
    youmightalsoenjoy youmayhavemissed dontmiss readnext
    whattoreadnext upnext seealso alsoread readmore latest latestnews lateststories comments
    comment responses replies leaveacomment leaveareply jointhediscussion readercomments tags
    tagged keywords 관련기사 관련뉴스 연관기사 관련기사더보기 많이본뉴스 많이본기사 가장많이본뉴스
    가장많이본기사 많이읽은기사 인기기사 인기뉴스 실시간인기기사 실시간인기뉴스 랭킹뉴스 주요뉴스
    이시각주요뉴스 오늘의주요뉴스 추천기사 추천뉴스 함께보면좋은기사 함께볼만한기사 화제의뉴스
    포토뉴스 최신기사 최신뉴스 댓글 전체댓글 베스트댓글 독자의견 태그 키워드 기자의다른기사
    이기자의다른기사
    saibamais leiatambém leiamais vejatambém vejamais notíciasrelacionadas matériasrelacionadas
    maislidas maislidos comentários vocêpodegostar vocêtambémpodegostar vocêpodetambémgostar
    leatambién tepuedegustar tambiéntepuedegustar tepuedeinteresar tambiéntepuedeinteresar
    noticiasrelacionadas artículosrelacionados lomásleído másleídas másleídos comentarios
    mehrzumthema lesensieauch daskönntesieauchinteressieren meistgelesen ähnlicheartikel
    verwandteartikel kommentare àlireaussi lireaussi surlemêmesujet lespluslus
    articlesassociés voiraussi ànepasmanquer vousaimerezaussi vousaimerezégalement
    commentaires leggianche potrebbepiacertianche tipotrebbeinteressare potrebbeinteressarti
    piùletti articolicorrelati commenti 関連記事 関連ニュース 人気記事 おすすめ記事
    アクセスランキング コメント 相关新闻 相關新聞 相关文章 相關文章 相关阅读 相關閱讀 延伸阅读
    延伸閱讀 推荐阅读 推薦閱讀 热门文章 熱門文章 热门新闻 熱門新聞 评论 評論""".split()  # noqa: SIM905
)
_NOISE = re.compile(r"[\W\d_]+")
_LONGEST = max(len(t) for t in _TITLES)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
# elements that may be a box's title when they open their parent
_TITLE_TAGS = (
    "div",
    "p",
    "span",
    "strong",
    "b",
    "em",
    "dt",
    "header",
    "a",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
)
# text pieces read of an element to know whether it is a title, at most
_MAX_PIECES = 16
# ancestors a title is looked for above the element bearing its text (wrappers), at most
_MAX_CLIMB = 4
# elements (and comments) a title or a line of hashtags holds, at most: a block of more is
# neither, however little text it has (its empty elements were each read, for every block
# around them: 49,000 empty elements 250 blocks deep took 5 s)
_MAX_NODES = 256


def _few_nodes(element: Any) -> bool:
    return next(islice(element.iter(), _MAX_NODES, None), None) is None


def _title_key(element: Any) -> str | None:
    """The element's whole text as a title key, or None when it is longer than any title;
    reads a bounded part of the element whatever it holds."""
    if not _few_nodes(element):
        return None
    pieces = list(islice(element.itertext(), _MAX_PIECES + 1))
    if len(pieces) > _MAX_PIECES or sum(map(len, pieces)) > 4 * _LONGEST + 40:
        return None
    return _NOISE.sub("", "".join(pieces)).lower()


def _opens_parent(element: Any) -> bool:
    parent = element.getparent()
    if parent is None or (parent.text or "").strip():
        return False
    first = next((kid for kid in parent if isinstance(kid.tag, str)), None)
    return first is element


def _box(title: Any) -> list[Any] | None:
    """The elements of the box that `title` opens, or None when it opens none."""
    rank = _HEADINGS.get(title.tag, 0)
    key = _title_key(title)
    if key not in _TITLES:
        return None
    for _ in range(_MAX_CLIMB):  # the outermost wrapper of the title alone
        parent = title.getparent()
        if parent is None or parent.tag in ("body", "html") or _title_key(parent) != key:
            break
        if sum(isinstance(kid.tag, str) for kid in parent) > 1:
            break  # the parent is the box (with its list empty): the siblings are the story
        title = parent
    if (title.tail or "").strip() or (not rank and not _opens_parent(title)):
        return None  # a word opening a line of prose ("<b>Tags</b> are ..."), no title
    if title.getparent() is None:
        return None
    box = [title]
    for sibling in title.itersiblings():
        if not isinstance(sibling.tag, str):
            continue
        level = _HEADINGS.get(sibling.tag, 0)
        if rank and level and level <= rank:
            break
        box.append(sibling)
    if any(next(part.iter("h1"), None) is not None for part in box):
        return None
    return box


def prune_titled_boxes(root: Any) -> int:
    """Remove from the tree `root` (lxml) every box of chrome opened by a title (see the
    module's docstring); the number of boxes removed."""
    boxes = [box for el in root.iter(*_TITLE_TAGS) if (box := _box(el)) is not None]
    removed = 0
    for box in boxes:
        parent = box[0].getparent()
        if parent is None:  # inside a box removed already
            continue
        for element in box:
            if element.getparent() is parent:
                parent.remove(element)
        removed += 1
    return removed


# blocks that may be a line of hashtags
_TAG_BLOCKS = ("p", "div", "ul", "ol", "dl", "section", "aside")
# a hashtag: "#" then up to this many characters
_MAX_TAG = 40
_MAX_TAG_TEXT = 2_000


def _all_hashtags(element: Any) -> bool:
    """Whether the element's whole text is two or more hashtags ("#오픈소스 AI #탈옥"); reads a
    bounded part of the element whatever it holds."""
    if not _few_nodes(element):
        return False
    pieces = list(islice(element.itertext(), 4 * _MAX_PIECES + 1))
    if len(pieces) > 4 * _MAX_PIECES:
        return False
    text = "".join(pieces).strip()
    if not text.startswith("#") or len(text) > _MAX_TAG_TEXT:
        return False
    tags = text[1:].split("#")
    return len(tags) >= 2 and all(0 < len(tag.strip()) <= _MAX_TAG for tag in tags)


def prune_hashtag_blocks(root: Any) -> int:
    """Remove from the tree `root` (lxml) every block whose text is hashtags alone (see the
    module's docstring), keeping the text that follows it; the number removed."""
    doomed = [el for el in root.iter(*_TAG_BLOCKS) if _all_hashtags(el)]
    removed = 0
    for element in doomed:
        if element.getparent() is not None:
            remove_keeping_tail(element)
            removed += 1
    return removed
