"""The labelled near-duplicate set (tests/data/dedup/*.txt) and its mechanical variants.

Originals and hard negatives are written by hand; the variants are generated here, the same way
every time: re-wrapped in other site templates (then extracted by newsmon's real extractor),
headline rewritten, one paragraph edited, truncated to about 60 %, AMP and tracking URLs.
Summary-length stories (*.short.txt: a headline and one or two sentences) get the copies such an
item meets instead: under another headline on another site (plain, with a byline and a
republication line, lightly edited), re-wrapped with a byline, and a feed's teaser without a page.
Used by tests/integration/test_dedup_set.py, tests/flows/test_near_duplicates_flow.py and
bench/dedup_thresholds.py.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from newsmon.extract import extract_article

DATA = Path(__file__).resolve().parent.parent / "data" / "dedup"
TRUNCATE_AT = 0.6
VARIANTS = ("rewrap-a", "rewrap-b", "headline", "edited", "truncated", "amp", "tracking")
URL_VARIANTS = ("amp", "tracking")  # same page, other address: the URL layer's job
SHORT_VARIANTS = ("rewrap-b", "retitled", "retitled-b", "retitled-edited", "teaser")


@dataclass(frozen=True)
class Piece:
    """An original story or a hard negative, as written in the data files."""

    id: str
    kind: str  # "story" or "negative"
    lang: str
    title: str
    url: str
    paragraphs: tuple[str, ...]
    alt_title: str = ""
    near: str = ""
    edit: tuple[int, str] | None = None
    short: bool = False  # summary-length: a headline and one or two sentences

    @property
    def summary(self) -> str:
        """What a feed carries as the entry's summary: its first paragraph."""
        return self.paragraphs[0]

    @property
    def variants(self) -> tuple[str, ...]:
        return SHORT_VARIANTS if self.short else VARIANTS


@dataclass(frozen=True)
class Doc:
    """One page of the set: what a feed entry would carry."""

    id: str
    label: str | None  # the original story this is a copy of; None for a story of its own
    variant: str  # "original", "negative" or one of VARIANTS / SHORT_VARIANTS
    lang: str
    title: str
    url: str
    html: bytes = field(repr=False)
    summary: str = ""  # a feed's teaser, for an entry that has no page
    short: bool = False  # of a summary-length story

    def text(self) -> str:
        """What the pipeline would store: the page's text, or the feed's summary when the page
        has too little text (as a summary-length page may) or there is no page."""
        if not self.html:
            return self.summary
        return extracted_text(self.html, self.url, self.lang, self.title, self.summary)


def _parse(path: Path) -> list[Piece]:
    pieces: list[Piece] = []
    blocks = re.split(r"^=== ", path.read_text(encoding="utf-8"), flags=re.M)[1:]
    raw: dict[str, tuple[str, dict[str, str], list[str], tuple[int, str] | None]] = {}
    for block in blocks:
        head, _, rest = block.partition("\n---\n")
        first, *meta_lines = head.strip().splitlines()
        kind, pid, *extra = first.split()
        meta = dict(line.split(": ", 1) for line in meta_lines if ": " in line)
        meta.update(e.split("=", 1) for e in extra)
        body, _, edit_part = rest.partition("\n--- edit ")
        paragraphs = [p.strip() for p in body.strip().split("\n\n") if p.strip()]
        edit = None
        if edit_part:
            index, _, text = edit_part.partition("\n")
            edit = (int(index), text.strip())
        raw[pid] = (kind, meta, paragraphs, edit)
    for pid, (kind, meta, paragraphs, edit) in raw.items():
        resolved = []
        for p in paragraphs:
            m = re.search(r"QUOTE (\S+) (\d+)", p)
            if m:
                quoted = raw[m.group(1)][2][int(m.group(2))]
                p = p.replace(m.group(0), f"\u201c{quoted}\u201d")
            resolved.append(p)
        pieces.append(
            Piece(
                pid,
                kind,
                path.name.split(".")[0],
                meta["title"],
                meta["url"],
                tuple(resolved),
                meta.get("alt_title", ""),
                meta.get("near", ""),
                edit,
                path.name.endswith(".short.txt"),
            )
        )
    return pieces


@cache
def pieces() -> tuple[Piece, ...]:
    return tuple(p for path in sorted(DATA.glob("*.txt")) for p in _parse(path))


@cache
def lookalikes() -> tuple[Piece, ...]:
    """Stories with another story of their site under the same furniture (data/dedup/lookalikes:
    apart from the labelled set, whose figures the README quotes)."""
    return tuple(p for path in sorted((DATA / "lookalikes").glob("*.txt")) for p in _parse(path))


@cache
def notes() -> tuple[Piece, ...]:
    """Parts of one series whose feed summaries are its editor's note (data/dedup/notes), and a
    part whose summary closes the note and opens its story."""
    return tuple(p for path in sorted((DATA / "notes").glob("*.txt")) for p in _parse(path))


# --- site templates ---------------------------------------------------------------------------

_CHROME = {
    "origin": (
        "Frontier Daily",
        ["Latest", "AI", "Policy", "Business"],
        ["Most read: chip export controls tighten", "Opinion: who audits the auditors?"],
    ),
    "a": (
        "Tech Digest Wire",
        ["Gadgets", "Enterprise", "Regulation", "Podcasts"],
        ["The best earbuds of the year", "What the AI Act's fines could cost Big Tech"],
    ),
    "b": (
        "Morning Signal",
        ["World", "Markets", "Science", "Tech"],
        ["Markets close higher on chip rally", "Ten laptops we tested this spring"],
    ),
}
_KO_CHROME = {
    "origin": (
        "AI 데일리",
        ["전체기사", "AI", "정책·규제", "산업"],
        ["많이 본 뉴스: 반도체 수출 통제", "오픈소스 LLM 비교"],
    ),
    "a": (
        "테크 위클리",
        ["뉴스", "모바일", "보안", "칼럼"],
        ["갤럭시 신제품 사전 예약", "클라우드 요금 인상"],
    ),
    "b": (
        "모닝 시그널",
        ["경제", "사회", "IT과학", "국제"],
        ["코스피 상승 마감", "봄 신상 노트북 10종 비교"],
    ),
}
_TAILS = {
    "en": {
        "b": "This article first appeared on Frontier Daily and is republished with permission.",
        "truncated": "Read the full story on Frontier Daily.",
    },
    "ko": {
        "b": "이 기사는 AI 데일리에서 제공받아 게재했습니다. 무단 전재 및 재배포 금지.",
        "truncated": "기사 전문은 AI 데일리에서 볼 수 있습니다.",
    },
}
_BYLINE = {"en": "By Staff Reporter, Morning Signal", "ko": "모닝 시그널 김민지 기자"}


def render(
    site: str, lang: str, title: str, paragraphs: tuple[str, ...] | list[str], *, tail: str = ""
) -> bytes:
    name, menu, related = (_KO_CHROME if lang == "ko" else _CHROME)[site]
    e = html.escape
    body = "\n".join(f"<p>{e(p)}</p>" for p in paragraphs)
    byline = f"<p class='byline'>{e(_BYLINE[lang])}</p>" if site == "b" else ""
    tail_html = f"<p>{e(tail)}</p>" if tail else ""
    nav = "".join(f"<li><a href='/{i}'>{e(m)}</a></li>" for i, m in enumerate(menu))
    rel = "".join(f"<li><a href='/r{i}'>{e(r)}</a></li>" for i, r in enumerate(related))
    page = f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{e(title)} | {e(name)}</title>
<meta property="og:title" content="{e(title)}"><meta property="og:site_name" content="{e(name)}">
</head><body>
<div class="cookie">{e(name)} uses cookies. <a href="#">Accept</a></div>
<header><div class="logo">{e(name)}</div><ul class="nav">{nav}</ul></header>
<main><article><h1>{e(title)}</h1>{byline}
{body}
{tail_html}</article>
<aside class="related"><h3>Related</h3><ul>{rel}</ul></aside></main>
<footer>© 2025 {e(name)}. All rights reserved. <a href="/about">About</a></footer>
</body></html>"""
    return page.encode("utf-8")


@cache
def extracted_text(page: bytes, url: str, lang: str, title: str = "", summary: str = "") -> str:
    found = extract_article(
        page, url=url, language_hint=lang, feed_title=title, feed_summary=summary
    )
    return found.text


def truncate(paragraphs: tuple[str, ...], share: float = TRUNCATE_AT) -> list[str]:
    """The first `share` of the text, cut at the end of a sentence, as a syndication would."""
    total = sum(len(p) for p in paragraphs)
    budget = int(total * share)
    out: list[str] = []
    for p in paragraphs:
        if len(p) <= budget:
            out.append(p)
            budget -= len(p)
            continue
        ends = [m.end() for m in re.finditer(r"[.!?][\"”']?(?=\s)", p) if m.end() <= budget]
        if ends:
            out.append(p[: ends[-1]])
        break
    return out


def _amp(url: str) -> str:
    return url + ("&amp=1" if "?" in url else "/amp")


def _tracking(url: str) -> str:
    return url + ("&" if "?" in url else "?") + "utm_source=twitter&utm_medium=social&fbclid=x1"


def _edited(p: Piece) -> list[str]:
    edited = list(p.paragraphs)
    if p.edit:
        edited[p.edit[0]] = p.edit[1]
    return edited


def _variant(p: Piece, variant: str) -> tuple[str, str, bytes]:
    """(title, URL, page) of one variant of story `p`; no page for a feed's teaser."""
    site_a = f"https://techdigest.example/wire/{p.id}.html"
    site_b = f"https://morningsignal.example/tech/{p.id}"
    tails = _TAILS[p.lang]
    if variant == "retitled":
        return p.alt_title, site_a, render("a", p.lang, p.alt_title, p.paragraphs)
    if variant == "retitled-b":
        page = render("b", p.lang, p.alt_title, p.paragraphs, tail=tails["b"])
        return p.alt_title, site_b + "-retitled", page
    if variant == "retitled-edited":
        return p.alt_title, site_a + "?v=2", render("a", p.lang, p.alt_title, _edited(p))
    if variant == "teaser":
        return p.alt_title, f"https://digestfeed.example/item/{p.id}", b""
    if variant == "rewrap-a":
        return p.title, site_a, render("a", p.lang, p.title, p.paragraphs)
    if variant == "rewrap-b":
        return p.title, site_b, render("b", p.lang, p.title, p.paragraphs, tail=tails["b"])
    if variant == "headline":
        return p.alt_title, site_a + "?v=2", render("a", p.lang, p.alt_title, p.paragraphs)
    if variant == "edited":
        return p.title, site_b + "-updated", render("origin", p.lang, p.title, _edited(p))
    if variant == "truncated":
        short = truncate(p.paragraphs)
        return (
            p.title,
            site_b + "-short",
            render("b", p.lang, p.title, short, tail=tails["truncated"]),
        )
    page = render("origin", p.lang, p.title, p.paragraphs)
    if variant == "amp":
        return p.title, _amp(p.url), page
    if variant == "tracking":
        return p.title, _tracking(p.url), page
    raise ValueError(variant)


def documents(chosen: tuple[Piece, ...] | None = None) -> list[Doc]:
    """Originals, then hard negatives, then every variant: the order a test stores them in
    (of the labelled set unless `chosen`)."""
    out: list[Doc] = []
    chosen = pieces() if chosen is None else chosen
    stories = [p for p in chosen if p.kind == "story"]
    negatives = [p for p in chosen if p.kind == "negative"]
    for p in stories + negatives:
        kind = "original" if p.kind == "story" else "negative"
        page = render("origin", p.lang, p.title, p.paragraphs)
        out.append(Doc(p.id, None, kind, p.lang, p.title, p.url, page, p.summary, p.short))
    for p in stories:
        for variant in p.variants:
            title, url, page = _variant(p, variant)
            # a feed carries the story as its page says it, edits included
            summary = _edited(p)[0] if variant == "retitled-edited" else p.summary
            doc = Doc(
                f"{p.id}~{variant}", p.id, variant, p.lang, title, url, page, summary, p.short
            )
            out.append(doc)
    return out


def pairs() -> Iterator[tuple[Doc, Doc, bool]]:
    """(a, b, same story?) for every pair of distinct pages worth measuring: each variant with its
    original, and every pair of distinct stories (hard negatives included)."""
    docs = documents()
    heads = [d for d in docs if d.label is None]
    by_id = {d.id: d for d in heads}
    for d in docs:
        if d.label is not None and d.variant not in URL_VARIANTS:
            yield by_id[d.label], d, True
    for i, a in enumerate(heads):
        for b in heads[i + 1 :]:
            yield a, b, False


@dataclass
class Evaluation:
    """Outcome of storing the whole set in a corpus, originals first."""

    true_positives: int = 0  # variants put in their original's cluster
    false_negatives: list[str] = field(default_factory=list)  # variants left alone
    false_merges: list[str] = field(default_factory=list)  # merged into a wrong cluster
    decisions: dict[str, tuple[str | None, float | None]] = field(default_factory=dict)

    @property
    def recall(self) -> float:
        return self.true_positives / (self.true_positives + len(self.false_negatives))

    @property
    def precision(self) -> float:
        merged = self.true_positives + len(self.false_merges)
        return self.true_positives / merged if merged else 1.0


def evaluate(store: object, docs: list[Doc] | None = None) -> Evaluation:
    """Store every document (the labelled set's unless `docs`) as the pipeline would
    (canonical URL, hash, signature) and score "is a duplicate of" against the labels."""
    from newsmon.corpus import Store
    from newsmon.corpus.records import DuplicateURLError
    from newsmon.urls import canonical_url
    from tests.support.articles import new_article

    assert isinstance(store, Store)
    result = Evaluation()
    ids: dict[str, int] = {}
    by_url: dict[str, str] = {}
    for doc in documents() if docs is None else docs:
        text = doc.text()
        url = canonical_url(doc.url)
        article = new_article(
            url,
            text,
            signed=True,
            url=doc.url,
            title=doc.title,
            language=doc.lang,
            published_at=None,
        )
        found: str | None
        try:
            stored = store.add_article(article)
        except DuplicateURLError:  # the URL layer: a known page, never fetched again
            found = by_url[url]
            result.decisions[doc.id] = (f"{found} (url)", 1.0)
        else:
            ids[doc.id] = stored.id
            by_url[url] = doc.id
            found = next((k for k, v in ids.items() if v == stored.duplicate_of), None)
            reason = f"{found} ({stored.duplicate_reason})" if found else None
            result.decisions[doc.id] = (reason, stored.similarity)
        if doc.label is None:
            if found is not None:
                result.false_merges.append(f"{doc.id} -> {found}")
        elif found == doc.label:
            result.true_positives += 1
        elif found is None:
            result.false_negatives.append(doc.id)
        else:
            result.false_merges.append(f"{doc.id} -> {found}")
    return result
