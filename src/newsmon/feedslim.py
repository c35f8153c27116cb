"""Entries too big to be stories, made small before feedparser reads them.

feedparser handles each element and each character reference of a feed in Python (~15 µs
each): one entry of megabytes of XHTML tags or of unknown elements cost its whole feed the
parse budget, every pass, and with it every other story of the feed. An entry of more than
`MAX_ENTRY_BYTES` is read alone by lxml (C; recovering from errors, resolving no entity, no
network): a field holding elements (Atom's XHTML content) becomes its first `MAX_FIELD_CHARS`
characters of markup as HTML in CDATA, a longer text is cut there; its first children and the
fields feedparser reads are kept (`MAX_CHILDREN` at most), the rest go, and the entry is written
back in its place. Smaller entries, and
feeds whose encoding is not ASCII-compatible, are left as they are.
"""

from __future__ import annotations

import itertools

import lxml.etree

from newsmon.bounds import xml_text
from newsmon.charset import decode
from newsmon.feedrepair import entry_spans, root_start

MAX_ENTRY_BYTES = 512 * 1024
MAX_FIELD_CHARS = 200_000  # the markup newsmon renders of a field at most (feeds)
MAX_OTHER_CHILDREN = 100
MAX_CHILDREN = 1000
# What feedparser reads of an entry (local names, any namespace): kept whatever their number.
_KNOWN = frozenset({
    "title", "link", "id", "guid", "description", "summary", "content", "encoded", "pubDate",
    "published", "updated", "date", "issued", "modified", "created", "author", "creator",
    "name", "email", "contributor", "category", "source", "enclosure", "comments",
})  # fmt: skip
_KNOWN_TAGS = tuple(f"{{*}}{name}" for name in sorted(_KNOWN))  # in any namespace
_PARSER = lxml.etree.XMLParser(
    recover=True, resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True
)


def slim_entries(data: bytes, encoding: str | None) -> tuple[bytes, int]:
    """`data` with each entry over `MAX_ENTRY_BYTES` made small, and how many were."""
    if len(data) <= MAX_ENTRY_BYTES:
        return data, 0
    codec = encoding or _utf8(data)  # undeclared XML is UTF-8; else left to feedparser
    if codec is None or not _ascii_compatible(codec):
        return data, 0
    big = [(s, e) for s, e in entry_spans(data) if e - s > MAX_ENTRY_BYTES]
    if not big:
        return data, 0
    opening, name = root_start(data)
    pieces: list[bytes] = []
    at = slimmed = 0
    for start, end in big:
        try:
            small = _slim(data[start:end], opening, name, codec)
        except (ValueError, TypeError, lxml.etree.LxmlError):  # lxml refused its own tree
            small = None  # left as it is: feedparser reads it as before, slowly
        if small is not None:
            pieces += [data[at:start], small]
            at, slimmed = end, slimmed + 1
    pieces.append(data[at:])
    return b"".join(pieces), slimmed


def thin_entries(data: bytes, encoding: str | None, keep: int | None) -> tuple[bytes, int]:
    """`data` with only its first and last `keep` entries when it lists over twice as many, and
    how many entries it lists (0 when left as it is).

    feedparser reads every entry in Python (~0.3 ms each) though a pass uses `keep`: a 10 MiB
    feed of 40,000 small ones went over its parse budget, every pass. The first and last are
    what `newest_entries` chooses from, whichever way the feed is ordered. An entry is dropped
    only if its comments and CDATA sections close inside it (dropping it changes nothing
    around it); feeds whose encoding is not ASCII-compatible are left as they are."""
    if keep is None or len(data) <= MAX_ENTRY_BYTES:
        return data, 0
    codec = encoding or _utf8(data)
    if codec is None or not _ascii_compatible(codec):
        return data, 0
    spans = list(entry_spans(data))
    if len(spans) <= 2 * keep:
        return data, 0
    pieces: list[bytes] = []
    at = 0
    for start, end in spans[keep:-keep]:
        entry = data[start:end]
        if entry.count(b"<!--") == entry.count(b"-->") and entry.count(b"<![CDATA[") == entry.count(
            b"]]>"
        ):
            pieces.append(data[at:start])
            at = end
    pieces.append(data[at:])
    return b"".join(pieces), len(spans)


def _utf8(data: bytes) -> str | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "utf-8"


def _ascii_compatible(codec: str) -> bool:
    try:
        return "<item>&".encode(codec) == b"<item>&"
    except LookupError:
        return False


def _cdata(text: str) -> lxml.etree.CDATA:
    """The first `MAX_FIELD_CHARS` of `text` as a CDATA section: escaped, each of its tags would
    cost feedparser a few Python calls again."""
    return lxml.etree.CDATA(text[:MAX_FIELD_CHARS].replace("]]>", "]]&gt;"))


def _kept(item: lxml.etree._Element) -> list[lxml.etree._Element]:
    """The entry's first children and the fields feedparser reads, `MAX_CHILDREN` at most,
    found by lxml in C: an entry can hold a million elements."""
    first = list(itertools.islice(item.iterchildren(), MAX_OTHER_CHILDREN))
    seen = set(first)
    known = (child for child in item.iterchildren(*_KNOWN_TAGS) if child not in seen)
    return first + list(itertools.islice(known, MAX_CHILDREN - len(first)))


def _slim(entry: bytes, opening: bytes, name: str, codec: str) -> bytes | None:
    """The entry made small, in `codec`; None when lxml finds no entry in it (or raises)."""
    text = xml_text(decode(opening, codec) + decode(entry, codec)) + f"</{name}>"
    root = lxml.etree.fromstring(text, _PARSER)
    if root is None or len(root) == 0 or not isinstance(root[0].tag, str):
        return None
    item = root[0]
    if lxml.etree.QName(item).localname.lower() not in ("item", "entry"):
        return None
    small = lxml.etree.Element(item.tag, dict(item.attrib), nsmap=item.nsmap)
    for child in _kept(item):
        if len(child):  # elements inside (XHTML): their markup, as HTML text
            whole = lxml.etree.tostring(child, encoding="unicode", with_tail=False)
            inner = whole[whole.index(">") + 1 : whole.rindex("<")]
            child[:] = []
            child.text = _cdata(inner)
            if child.get("type") == "xhtml":
                child.set("type", "html")
        elif child.text and len(child.text) > MAX_FIELD_CHARS:
            child.text = _cdata(child.text)
        child.tail = None
        small.append(child)
    out: str = lxml.etree.tostring(small, encoding="unicode")
    return out.encode(codec, "xmlcharrefreplace")
