"""Readable evidence: which rule words matched, what the text said, and a snippet a person can read.

A hit is kept as a span of the field (first atom to last, particles included); a reader wants
neither the raw span ("법률 수첩] AI") nor a rule expression ("(court | ruling) NEAR/5 (AI | …)"),
so a hit is labelled by the rule words that matched ("법률 … AI") and the snippet is the sentence
around it, cut at word boundaries only when the sentence is too long. For `newsmon eval`, a term
of which a part occurred without counting is described as a near miss, with the reason.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable

from newsmon.rules.matcher import FieldHits, Matcher, Span
from newsmon.rules.model import Field, NearMiss, NearMissKind, Term
from newsmon.rules.shown import ShownText

Cut = Callable[[int, int], str]  # a span of the text the rules read, as it is shown

SNIPPET_CHARS = 240  # longest snippet; a longer sentence is cut at words around the hit
SHORT_SENTENCE = 80  # a sentence this short (a heading, a dateline) gets its neighbours too
MATCHED_CHARS = 80  # TermHit.matched and label are cut to this
GAP = " … "
WINDOW = 2 * SNIPPET_CHARS  # how far around a hit sentence ends are looked for

# A sentence ends at . ! ? (or their full-width forms), closing quotes or brackets allowed,
# before white space; or at a line break; or, as Korean feed summaries run sentences together
# ("…밝혔다.이번"), at a period between a Hangul syllable and a letter. Initials and common
# abbreviations do not end one.
_END = re.compile(r"[.!?。！？\n]")
_CLOSERS = "\"'”’)]」』"
_OPENERS = "\"'“‘"
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]|\b(?:Mr|Ms|Mrs|Dr|Prof|St|vs|etc|Inc|Ltd|Co|Corp|Jr|Sr|No|e\.g|i\.e|U\.S|U\.K))\.$"
)


def _atom_at(matcher: Matcher, ids: tuple[int, ...], hits: FieldHits, lo: int, hi: int) -> Span:
    """The earliest occurrence of any of `ids` inside [lo, hi), and which atom it is (span[2])."""
    best: tuple[int, int, int] | None = None  # start, end, atom id
    for i in ids:
        for start, end, core_end in hits.found.get(i, ()):
            if start >= hi:
                break
            if start >= lo and end <= hi:
                if best is None or start < best[0]:
                    best = (start, core_end, i)
                break
    return best if best is not None else (lo, hi, -1)


def _words(matcher: Matcher, atom_id: int, cut: Cut, start: int, end: int) -> str:
    """The rule words of one atom as written; a regex shows what it matched instead."""
    if atom_id < 0:
        return " ".join(cut(start, end).split())
    atom = matcher.atoms[atom_id]
    return " ".join(cut(start, end).split()) if atom.key is None else atom.text


def describe(
    matcher: Matcher, term: Term, hits: FieldHits, span: Span, shown: ShownText | None = None
) -> tuple[str, str]:
    """(label, matched) of one hit: the rule words that matched, and the words the text used
    (as written, when `shown` maps the folded text the rules read onto it), with " … "
    standing for whatever a NEAR pair had between its sides."""
    text = hits.text
    cut: Cut = shown.piece if shown is not None else lambda lo, hi: text[lo:hi]
    atoms, near, _ = matcher.plans[id(term)]
    lo, hi = span[0], span[1]
    if not near and len(atoms) == 1 and matcher.atoms[atoms[0]].key is not None:
        matched = " ".join(cut(lo, hi).split())  # one word or phrase: its label is itself
        return matcher.atoms[atoms[0]].text[:MATCHED_CHARS], matched[:MATCHED_CHARS]
    first = _atom_at(matcher, atoms, hits, lo, hi)
    if not near:
        label = _words(matcher, first[2], cut, lo, hi)
        matched = " ".join(cut(lo, hi).split())
        return label[:MATCHED_CHARS], matched[:MATCHED_CHARS]
    second = _atom_at(matcher, near, hits, lo, hi)
    pair = sorted([first, second])
    (a_start, a_end, a_id), (b_start, b_end, b_id) = pair
    label = (
        _words(matcher, a_id, cut, a_start, a_end)
        + GAP
        + _words(matcher, b_id, cut, b_start, b_end)
    )
    gap = text[a_end:b_start]
    if b_start <= a_end or not gap.strip():
        matched = " ".join(cut(a_start, max(a_end, b_end)).split())
    else:
        matched = (
            " ".join(cut(a_start, a_end).split()) + GAP + " ".join(cut(b_start, b_end).split())
        )
    return label[:MATCHED_CHARS], matched[:MATCHED_CHARS]


def near_miss(matcher: Matcher, term: Term, fields: dict[Field, FieldHits]) -> NearMiss | None:
    """Why a term that occurred in part did not count: its NOT part occurred, it stood in the
    body only (a ``title:`` term), or both sides of a NEAR pair occurred too far apart."""
    atoms, near, unless = matcher.plans[id(term)]

    def occurs(ids: tuple[int, ...], names: tuple[Field, ...] = ("title", "body")) -> bool:
        return any(i in fields[n].found for i in ids for n in names)

    if not occurs(atoms) and not occurs(near):
        return None
    if unless and occurs(unless):
        return NearMiss(term.text, "its NOT part occurs", NearMissKind.NOT_PART)
    if term.title_only and occurs(atoms, ("body",)) and not occurs(atoms, ("title",)):
        return NearMiss(term.text, "only in the body (a title: term)", NearMissKind.TITLE_ONLY)
    if near and occurs(atoms) and occurs(near):
        unit = "characters" if term.unit == "chars" else "words"
        return NearMiss(
            term.text,
            f"both sides occur, not within {term.distance} {unit}",
            NearMissKind.NEAR_WINDOW,
        )
    # One side of a NEAR pair alone is not a near miss: "AI" alone is in every article.
    return None


def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"


def sentence_starts(text: str, lo: int = 0, hi: int | None = None) -> list[int]:
    """Offsets in text[lo:hi] where sentences start, with lo first and hi (default: the end)
    last."""
    size = len(text)
    hi = size if hi is None else hi
    starts = [lo]
    for m in _END.finditer(text, lo, hi):
        at = m.end()
        if m.group(0) == "\n":
            starts.append(at)
            continue
        while at < size and text[at] in _CLOSERS:
            at += 1
        if at >= size:
            continue
        nxt, before = text[at], text[m.start() - 1] if m.start() else ""
        if nxt.isspace():
            if not (
                before.isascii()
                and before.isalpha()
                and _ABBREVIATION.search(text, max(0, m.start() - 5), m.start() + 1)
            ):
                starts.append(at)
        elif _is_hangul(before) and (_is_hangul(nxt) or nxt.isalpha() or nxt in _OPENERS):
            starts.append(at)
    if starts[-1] != hi:
        starts.append(hi)
    return starts


def _clean(piece: str) -> str:
    return " ".join(piece.split())


def snippet(text: str, start: int, end: int) -> str:
    """The sentence around text[start:end]; short sentences bring a neighbour, a long one is
    cut at word boundaries around the hit ("…" marks a cut, never a sentence boundary)."""
    # Sentence ends are looked for only this far around the hit; a window's edge inside the
    # text is no sentence start, so nothing is extended onto it.
    lo_w, hi_w = max(0, start - WINDOW), min(len(text), end + WINDOW)
    bounds = sentence_starts(text, lo_w, hi_w)
    first = 0 if lo_w == 0 else 1
    last = len(bounds) - 1 if hi_w == len(text) else len(bounds) - 2
    i = bisect_right(bounds, start) - 1
    j = max(i + 1, bisect_left(bounds, end))

    pieces: dict[int, str] = {}  # sentence k, cleaned: the loop below asks for each often

    def sentence(k: int) -> str:
        if k not in pieces:
            pieces[k] = _clean(text[bounds[k] : bounds[k + 1]])
        return pieces[k]

    def joined(a: int, b: int) -> str:  # sentences a..b-1, one space between them
        return " ".join(p for p in map(sentence, range(a, b)) if p)

    # A heading or a dateline alone says little: add the next sentence, else the one before.
    while bounds[j] - bounds[i] < 2 * SNIPPET_CHARS and len(joined(i, j)) < SHORT_SENTENCE:
        if j < last and len(joined(i, j + 1)) <= SNIPPET_CHARS:
            j += 1
        elif i > first and len(joined(i - 1, j)) <= SNIPPET_CHARS:
            i -= 1
        else:
            break
    if i >= first and j <= last and bounds[j] - bounds[i] < 4 * SNIPPET_CHARS:
        whole = joined(i, j)  # (a span four times too long is surely too long cleaned, too)
        if len(whole) <= SNIPPET_CHARS:
            return whole
    # Too long: a window of whole words around the hit, inside the sentence.
    lo, hi = bounds[i], bounds[j]
    room = max(0, SNIPPET_CHARS - (end - start)) // 2
    cut_lo, cut_hi = max(lo, start - room), min(hi, end + room)
    if cut_lo > lo:
        space = text.find(" ", cut_lo, start)
        cut_lo = space + 1 if space != -1 else start
    if cut_hi < hi:
        space = text.rfind(" ", end, cut_hi)
        cut_hi = space if space != -1 else end
    piece = _clean(text[cut_lo:cut_hi])
    return ("…" if cut_lo > lo else "") + piece + ("…" if cut_hi < hi else "")
